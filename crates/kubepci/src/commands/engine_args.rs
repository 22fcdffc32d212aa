//! The arguments that choose what the engine checks and how — one set, so that `kubepci scan`
//! and `kubepci webhook serve` read the same configuration, waivers and rule selection.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use kubepci_engine::{Config, RuleSelection, ScanOptions, WaiverRegister};
use kubepci_model::Scope;

/// Configuration, waivers, scopes and rule selection.
#[derive(Debug, Args)]
pub(crate) struct EngineArgs {
    /// Configuration file (default: ./kubepci.yaml when it exists)
    #[arg(short, long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    /// Waiver register (YAML) applied to the findings
    #[arg(short, long, value_name = "FILE")]
    pub(crate) waivers: Option<PathBuf>,

    /// PCI scope of a namespace, overriding its label and the configuration (repeatable)
    #[arg(long = "scope", value_name = "NS=SCOPE", value_parser = parse_scope)]
    pub(crate) scopes: Vec<(String, Scope)>,

    /// Run only these rules (IDs, names or groups: pss-baseline, pss-restricted); repeatable
    /// or comma-separated
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub(crate) rules: Vec<String>,

    /// Skip these rules (IDs, names or groups); repeatable or comma-separated
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub(crate) skip: Vec<String>,
}

impl EngineArgs {
    /// The engine's options: configuration (with `--scope` overrides), waiver register and the
    /// selected rules.
    pub(crate) fn options(
        &self,
        default_namespace: Option<String>,
        as_of: kubepci_engine::Date,
    ) -> anyhow::Result<ScanOptions> {
        let config = load_configuration(self.config.as_ref(), &self.scopes)?;
        let waivers = load_register(self.waivers.as_ref())?;
        let selection = RuleSelection {
            only: self.rules.clone(),
            skip: self.skip.clone(),
        };
        let rules = selection.resolve(&config.disabled)?;
        if rules.is_empty() {
            bail!("no rule selected");
        }
        Ok(ScanOptions {
            config,
            rules,
            waivers,
            default_namespace,
            as_of,
        })
    }
}

pub(crate) fn parse_scope(text: &str) -> Result<(String, Scope), String> {
    let (ns, scope) = text
        .split_once('=')
        .ok_or("expected NS=SCOPE, e.g. payments=cde")?;
    let scope = Scope::from_label(scope).ok_or("scope must be cde, connected or out-of-scope")?;
    if ns.is_empty() {
        return Err("namespace is empty".into());
    }
    Ok((ns.to_owned(), scope))
}

/// Reads `--config` (or `./kubepci.yaml` when it exists) and applies `--scope` overrides.
pub(crate) fn load_configuration(
    config: Option<&PathBuf>,
    scopes: &[(String, Scope)],
) -> anyhow::Result<Config> {
    let path = match config {
        Some(p) => Some(p.clone()),
        None => Some(PathBuf::from("kubepci.yaml")).filter(|p| p.is_file()),
    };
    let mut config = match path {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading configuration {}", path.display()))?;
            kubepci_engine::load_config(&path.display().to_string(), &text)?
        }
        None => Config::default(),
    };
    for (ns, scope) in scopes {
        config.scopes.insert(ns.clone(), *scope);
    }
    Ok(config)
}

fn load_register(path: Option<&PathBuf>) -> anyhow::Result<Option<WaiverRegister>> {
    path.map(|path| {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading waiver register {}", path.display()))?;
        Ok(kubepci_engine::parse_waivers(
            &path.display().to_string(),
            &text,
        )?)
    })
    .transpose()
}

/// Today in UTC.
pub(crate) fn today_utc() -> kubepci_engine::Date {
    time::OffsetDateTime::now_utc().date()
}
