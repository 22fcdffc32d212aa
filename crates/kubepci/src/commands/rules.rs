//! `kubepci rules`: the catalogue.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use kubepci_rules::{RULES, pci};
use serde::Serialize;

use super::EXIT_OK;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ListFormat {
    /// One line per rule
    Table,
    /// JSON array of rule metadata
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct RulesArgs {
    #[command(subcommand)]
    pub(crate) command: Option<RulesCommand>,

    /// Output format of the list
    #[arg(short, long, value_enum, default_value_t = ListFormat::Table)]
    pub(crate) format: ListFormat,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// Print one rule's documentation (by ID or name)
    Explain {
        /// Rule ID (KP1001) or name (privileged-container)
        rule: String,
    },
}

#[derive(Serialize)]
struct RuleEntry<'a> {
    id: &'a str,
    name: &'a str,
    summary: &'a str,
    severity: &'a str,
    target: String,
    admission: &'a str,
    pci: &'a [&'a str],
    tags: Vec<&'a str>,
    rationale: String,
    remediation: String,
}

pub(crate) fn run(args: RulesArgs) -> anyhow::Result<ExitCode> {
    let text = match args.command {
        Some(RulesCommand::Explain { rule }) => {
            let rule = kubepci_rules::find(&rule)
                .with_context(|| format!("no rule `{rule}` (see `kubepci rules`)"))?;
            kubepci_rules::docgen::rule_page(rule)
        }
        None => match args.format {
            ListFormat::Table => table(),
            ListFormat::Json => {
                let entries: Vec<RuleEntry<'_>> = RULES
                    .iter()
                    .map(|r| {
                        let m = r.meta();
                        let docs = m.parsed_docs();
                        RuleEntry {
                            id: m.id,
                            name: m.name,
                            summary: m.summary,
                            severity: m.severity.as_str(),
                            target: kubepci_rules::docgen::describe_target(&m.target),
                            admission: m.admission.as_str(),
                            pci: m.pci,
                            tags: m.tags.iter().map(|t| t.as_str()).collect(),
                            rationale: docs.why,
                            remediation: docs.fix,
                        }
                    })
                    .collect();
                let mut text = serde_json::to_string_pretty(&entries)?;
                text.push('\n');
                text
            }
        },
    };
    super::write_stdout(text.as_bytes())?;
    Ok(ExitCode::from(EXIT_OK))
}

fn table() -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<7} {:<34} {:<9} {:<22} {:<10} SUMMARY",
        "ID",
        "NAME",
        "SEVERITY",
        format!("PCI DSS v{}", pci::PCI_DSS_VERSION),
        "ADMISSION"
    );
    for rule in RULES {
        let m = rule.meta();
        let _ = writeln!(
            out,
            "{:<7} {:<34} {:<9} {:<22} {:<10} {}",
            m.id,
            m.name,
            m.severity.as_str(),
            m.pci.join(","),
            m.admission.as_str(),
            m.summary
        );
    }
    let _ = writeln!(
        out,
        "\n{} rules. `kubepci rules explain ID` prints one rule's documentation. ADMISSION: how the\nwebhook runs the rule (object, namespace or cluster context; scan-only rules only run in scans).",
        RULES.len()
    );
    out
}
