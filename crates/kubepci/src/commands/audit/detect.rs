//! `kubepci audit detect`: Falco rules over audit events from files, offline.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use kubepci_detect::input::split_events;
use kubepci_detect::{Alert, Detector, Engine, EngineOptions, EventMeta, Matching, Priority};

use super::{EXIT_ERROR, EXIT_OK, now_ns};

/// Detection settings shared by `audit detect` and `audit serve`.
#[derive(Debug, Clone, Args)]
pub(crate) struct RuleArgs {
    /// A Falco rules file (k8s_audit rules run, other sources load and are skipped); repeatable,
    /// loaded in order after kubepci's built-in PCI rules
    #[arg(long = "rules", value_name = "FILE")]
    pub(crate) rules: Vec<PathBuf>,
    /// Do not load kubepci's built-in PCI rules
    #[arg(long)]
    pub(crate) no_default_rules: bool,
    /// Run only rules at or above this priority
    #[arg(long, default_value = "debug", value_parser = parse_priority)]
    pub(crate) min_priority: Priority,
    /// `all`: every matching rule alerts; `first`: only the first (Falco's default)
    #[arg(long, value_enum, default_value_t = RuleMatching::All)]
    pub(crate) rule_matching: RuleMatching,
    /// The value of `ka.cluster.name`
    #[arg(long)]
    pub(crate) cluster_name: Option<String>,
    /// The `hostname` of alerts (default: this machine's name)
    #[arg(long)]
    pub(crate) hostname: Option<String>,
}

fn parse_priority(text: &str) -> Result<Priority, String> {
    text.parse()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RuleMatching {
    /// Every matching rule raises an alert
    All,
    /// Only the first matching rule in load order
    First,
}

/// This machine's host name.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

impl RuleArgs {
    /// Loads the built-in rules (unless disabled) and the files, and compiles them.
    pub(crate) fn engine(&self) -> anyhow::Result<Engine> {
        let mut set = if self.no_default_rules {
            kubepci_detect::RuleSet::new()
        } else {
            kubepci_detect::builtin::with_pci_rules().context("loading the built-in rules")?
        };
        for path in &self.rules {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading rules file {}", path.display()))?;
            set.load(&path.display().to_string(), &text)?;
        }
        let engine = Engine::compile(
            &set,
            EngineOptions {
                min_priority: self.min_priority,
                matching: match self.rule_matching {
                    RuleMatching::All => Matching::All,
                    RuleMatching::First => Matching::First,
                },
                hostname: self.hostname.clone().unwrap_or_else(hostname),
                cluster_name: self.cluster_name.clone(),
            },
        )?;
        for w in engine.warnings() {
            tracing::debug!(warning = %w, "rules");
        }
        tracing::info!(
            rules = engine.rules().len(),
            other_sources = engine.skipped_rules(),
            disabled = engine.disabled_rules(),
            "detection rules loaded"
        );
        Ok(engine)
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum AlertFormat {
    /// One falcosidekick-compatible JSON alert per line
    Json,
    /// Columns for people
    Table,
}

#[derive(Debug, Args)]
pub(crate) struct DetectArgs {
    #[command(flatten)]
    rules: RuleArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = AlertFormat::Json)]
    format: AlertFormat,
    /// The events' source, as `audit serve` records it (alert IDs derive from it)
    #[arg(long)]
    source: Option<String>,
    /// Files of audit events: JSON lines (the log backend), an Event, an EventList; `-` for stdin
    #[arg(required = true, value_name = "EVENTS")]
    events: Vec<PathBuf>,
}

/// Prints alerts as a table row or a JSON line.
pub(crate) fn write_alert(
    out: &mut impl std::io::Write,
    alert: &Alert,
    format: AlertFormat,
) -> std::io::Result<()> {
    match format {
        AlertFormat::Json => {
            serde_json::to_writer(&mut *out, alert).map_err(std::io::Error::other)?;
            out.write_all(b"\n")
        }
        AlertFormat::Table => {
            let text = alert
                .output
                .split_once(": ")
                .map_or(alert.output.as_str(), |(_, t)| t);
            let text = text.split_once(' ').map_or(text, |(_, t)| t);
            writeln!(
                out,
                "{:<30} {:<13} {:<45} {}",
                alert.time, alert.priority, alert.rule, text
            )
        }
    }
}

pub(crate) fn run(a: DetectArgs) -> anyhow::Result<ExitCode> {
    let engine = match a.rules.engine() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(EXIT_ERROR));
        }
    };
    let mut detector = Detector::new(&engine);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    if matches!(a.format, AlertFormat::Table) {
        writeln!(
            out,
            "{:<30} {:<13} {:<45} OUTPUT",
            "TIME", "PRIORITY", "RULE"
        )?;
    }
    let mut bad_input = false;
    let mut alerts = Vec::new();
    let (mut events_seen, mut alerts_raised) = (0usize, 0usize);
    for path in &a.events {
        let name = path.display().to_string();
        let bytes = if name == "-" {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("reading stdin")?;
            buf
        } else {
            std::fs::read(path).with_context(|| format!("reading {name}"))?
        };
        let source = a.source.clone().unwrap_or_else(|| format!("file:{name}"));
        let (events, errors) = split_events(&bytes);
        for e in &errors {
            eprintln!("{name}:{}: {}", e.line, e.message);
            bad_input = true;
        }
        let meta = EventMeta {
            source: &source,
            received_ns: now_ns(),
        };
        for e in events {
            events_seen += 1;
            alerts.clear();
            if let Err(err) = detector.detect(&bytes[e.range], &meta, &mut alerts) {
                eprintln!("{name}:{}: {err}", e.line);
                bad_input = true;
            }
            for alert in &alerts {
                alerts_raised += 1;
                match write_alert(&mut out, alert, a.format) {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                        return Ok(ExitCode::from(EXIT_OK));
                    }
                    other => other.context("writing alerts")?,
                }
            }
        }
    }
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("writing alerts")?,
    }
    tracing::info!(
        events = events_seen,
        alerts = alerts_raised,
        "detection finished"
    );
    Ok(ExitCode::from(if bad_input { EXIT_ERROR } else { EXIT_OK }))
}
