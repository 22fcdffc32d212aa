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

    /// Gatekeeper ConstraintTemplates with their Constraints, and ValidatingAdmissionPolicies
    /// with their bindings and parameters, to run beside the catalogue (files or
    /// directories; repeatable; added to `policies:` of the configuration)
    #[arg(long = "policies", value_name = "PATH")]
    pub(crate) policies: Vec<PathBuf>,

    /// Engine for templates that carry both Rego and K8sNativeValidation (CEL) code
    #[arg(long, value_enum, default_value_t = super::policy::EngineArg::Cel)]
    pub(crate) policy_engine: super::policy::EngineArg,
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
        let loaded = load_policies(&config, &self.policies, self.policy_engine)?;
        let disabled: Vec<&str> = config
            .disabled
            .iter()
            .copied()
            .chain(config.disabled_policies.iter().map(String::as_str))
            .collect();
        let rules = selection.resolve_with(&disabled, &loaded)?;
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

/// The policies of `--policies` and of the configuration, as rules.
fn load_policies(
    config: &Config,
    extra: &[PathBuf],
    engine: super::policy::EngineArg,
) -> anyhow::Result<Vec<kubepci_rules::RuleRef>> {
    let paths: Vec<PathBuf> = config.policies.iter().chain(extra).cloned().collect();
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let loaded =
        kubepci_engine::load_policies(&paths, engine.into()).context("loading policies")?;
    for id in &config.disabled_policies {
        if !loaded.rules.iter().any(|r| r.meta().id == id.as_str()) {
            tracing::warn!(rule = %id, "`disable` names a policy that is not loaded");
        }
    }
    tracing::info!(
        files = loaded.files,
        policies = loaded.rules.len(),
        "policies loaded"
    );
    Ok(loaded.rules)
}

/// Today in UTC.
pub(crate) fn today_utc() -> kubepci_engine::Date {
    time::OffsetDateTime::now_utc().date()
}
