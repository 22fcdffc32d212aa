//! The human-readable format: findings grouped by file (waived ones apart), input errors,
//! waiver notes, then a summary by PCI DSS requirement. Colour only when asked (the CLI asks
//! when stdout is a terminal).

use std::fmt::Write as _;

use kubepci_engine::ScanReport;
use kubepci_model::{Finding, Severity};
use kubepci_rules::pci;
use kubepci_rules::signatures::Outcome;

use crate::{RenderOptions, Summary};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    fn bold(&self, t: &str) -> String {
        self.wrap("1", t)
    }
    fn dim(&self, t: &str) -> String {
        self.wrap("2", t)
    }
    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.wrap(code, &format!("{:<8}", s.as_str()))
    }
}

/// Renders the table format.
#[must_use]
pub fn render(report: &ScanReport, options: &RenderOptions) -> String {
    let p = Paint { on: options.color };
    let summary = Summary::of(report, options.fail_on);
    let mut out = String::new();
    let s = &report.stats;
    let _ = writeln!(
        out,
        "{}",
        p.dim(&format!(
            "kubepci {} · PCI DSS v{} · {} rules · {} files, {} documents, {} objects checked",
            options.tool_version,
            pci::PCI_DSS_VERSION,
            report.rules.len(),
            s.files,
            s.documents,
            s.objects
        ))
    );
    let (waived, open): (Vec<&Finding>, Vec<&Finding>) =
        report.findings.iter().partition(|f| f.is_waived());
    write_group(&mut out, &p, report, &open);
    if !waived.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.bold("Waived findings (still findings; covered by the waiver register)")
        );
        write_group(&mut out, &p, report, &waived);
    }
    if !report.errors.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.bold("Input errors (these documents were not checked)")
        );
        for e in &report.errors {
            let _ = writeln!(out, "  {e}");
        }
    }
    if !report.waiver_notes.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Waiver register"));
        for note in &report.waiver_notes {
            let _ = writeln!(out, "  {note}");
        }
    }
    write_image_signatures(&mut out, &p, report);
    write_requirements(&mut out, &p, &summary);
    let counts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|sev| summary.by_severity.get(sev).map(|n| format!("{n} {sev}")))
        .collect();
    let verdict = if summary.failed() {
        p.wrap(
            "1;31",
            &format!(
                "FAIL: {} open finding(s) at or above {}",
                summary.failing, options.fail_on
            ),
        )
    } else {
        p.wrap(
            "1;32",
            &format!("PASS: no open finding at or above {}", options.fail_on),
        )
    };
    let _ = writeln!(
        out,
        "\n{} open finding(s){}, {} waived, {} input error(s). {verdict}",
        summary.open,
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        },
        summary.waived,
        summary.input_errors,
    );
    out
}

fn write_group(out: &mut String, p: &Paint, report: &ScanReport, findings: &[&Finding]) {
    let mut current_file: Option<&str> = None;
    for f in findings {
        let file = f.location.as_ref().map_or("(no file)", |l| &*l.file);
        if current_file != Some(file) {
            let _ = writeln!(out, "\n{}", p.bold(file));
            current_file = Some(file);
        }
        let position = f
            .location
            .as_ref()
            .map_or_else(String::new, |l| format!("{}:{}", l.line, l.column));
        let meta = report.rule(f.rule_id);
        let name = meta.map_or("", |m| m.name);
        let pci_refs = match meta {
            Some(m) if m.pci.is_empty() => "unmapped".to_owned(),
            Some(m) => m.pci.join(", "),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "  {:<8} {} {} {}  {}",
            position,
            p.severity(f.severity),
            p.bold(f.rule_id),
            name,
            f.object
        );
        let waiver = f.waiver.as_ref().map_or_else(String::new, |w| {
            format!("  waived by {} until {}", w.id, w.expires)
        });
        let _ = writeln!(
            out,
            "           {}  {}{}",
            f.message,
            p.dim(&format!("[{}] PCI {pci_refs}", f.scope)),
            waiver
        );
    }
}

/// `--verify-images`: every image a signing policy covers, and what its registry showed.
fn write_image_signatures(out: &mut String, p: &Paint, report: &ScanReport) {
    if report.image_verifications.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{}",
        p.bold("Image signatures (verified in the registries)")
    );
    for v in &report.image_verifications {
        let colour = match v.outcome {
            Outcome::Verified => "32",
            Outcome::Rejected => "31",
            Outcome::Unavailable => "33",
        };
        let outcome = p.wrap(colour, &format!("{:<11}", v.outcome.as_str()));
        let _ = writeln!(out, "  {outcome} {}", v.image);
        let digest = v.digest.as_deref().unwrap_or("(not resolved)");
        let detail = if v.signers.is_empty() {
            v.reason.clone().unwrap_or_default()
        } else {
            format!("signed by {}", v.signers.join(", "))
        };
        let _ = writeln!(
            out,
            "              {}  {}",
            p.dim(&format!("{digest} · policy {}", v.policy)),
            detail
        );
    }
}

fn write_requirements(out: &mut String, p: &Paint, summary: &Summary) {
    if summary.by_requirement.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{}",
        p.bold(&format!(
            "Summary by PCI DSS v{} requirement",
            pci::PCI_DSS_VERSION
        ))
    );
    let _ = writeln!(
        out,
        "  {:<4} {:<58} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>6}",
        "Req", "Title", "rules", "crit", "high", "med", "low", "info", "waived"
    );
    for r in &summary.by_requirement {
        let n = |s: Severity| r.open.get(&s).copied().unwrap_or(0);
        // Requirement and title share 63 columns (`unmapped` is longer than an ID).
        let width = 62 - r.id.chars().count().max(4);
        let title: String = if r.title.chars().count() > width {
            format!("{}…", r.title.chars().take(width - 1).collect::<String>())
        } else {
            r.title.to_owned()
        };
        let label = format!("{:<4} {title}", r.id);
        let _ = writeln!(
            out,
            "  {:<63} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>6}",
            label,
            r.rules,
            n(Severity::Critical),
            n(Severity::High),
            n(Severity::Medium),
            n(Severity::Low),
            n(Severity::Info),
            r.waived
        );
    }
}
