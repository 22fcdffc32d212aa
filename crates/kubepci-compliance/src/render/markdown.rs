//! Markdown for pull-request comments: what needs attention, the principal requirements at a
//! glance, and the requirements not in place with their findings. Bounded in size (a comment
//! holds at most 65,536 characters); the HTML and JSON reports carry the rest.

use std::fmt::Write as _;

use super::FINDINGS_SHOWN;
use crate::model::{Report, Status};

/// Longest output; a pull-request comment holds 65,536 characters.
const MAX_CHARS: usize = 60_000;

/// Escapes text for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', " ")
        .replace('<', "&lt;")
}

fn verdict(v: &str) -> &'static str {
    match v {
        "not-in-place" => "❌ not in place",
        "incomplete" => "⚠️ incomplete",
        "in-place" => "✅ in place",
        _ => "– not applicable",
    }
}

/// Renders the report.
#[must_use]
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## PCI DSS v{} report\n\n{} requirements assessed as of {} by kubepci {}: {} findings ({} open, {} waived).\n",
        report.pci_dss_version,
        report.summary.requirements,
        report.as_of,
        report.tool.version,
        report.summary.findings,
        report.summary.open_findings,
        report.summary.waived_findings
    );
    if !report.attention.is_empty() {
        out.push_str("### Needs attention\n\n");
        for a in &report.attention {
            let _ = writeln!(out, "- {}", cell(&a.text));
        }
        out.push('\n');
    }
    out.push_str("| Requirement | Verdict | In place | Waived | Attested | Not in place | Open to attest or test | N/A |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
    for p in &report.overview {
        let n = |s: Status| p.by_status.get(s.as_str()).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "| **{}** {} | {} | {} | {} | {} | {} | {} | {} |",
            p.id,
            cell(&p.title),
            verdict(&p.verdict),
            n(Status::InPlace),
            n(Status::InPlaceWithWaivers),
            n(Status::Attested),
            n(Status::NotInPlace),
            n(Status::NotTested) + n(Status::NotAttested) + n(Status::AttestationOverdue),
            n(Status::NotApplicable)
        );
    }
    let failing: Vec<_> = report
        .requirements
        .iter()
        .filter(|q| q.status == Status::NotInPlace)
        .collect();
    if !failing.is_empty() {
        out.push_str("\n### Not in place\n");
        for q in failing {
            if out.len() > MAX_CHARS {
                out.push_str("\n_Truncated: the HTML and JSON reports list every requirement._\n");
                break;
            }
            let _ = writeln!(
                out,
                "\n**{} {}** — {}\n",
                q.id,
                cell(&q.title),
                cell(&q.status_reason)
            );
            for f in q
                .findings
                .iter()
                .filter_map(|&i| report.findings.get(i))
                .filter(|f| f.waiver.is_none())
                .take(FINDINGS_SHOWN)
            {
                let _ = writeln!(
                    out,
                    "- `{}` {} {}: {}{}",
                    f.rule_id,
                    f.severity,
                    cell(&f.object),
                    cell(&f.message),
                    f.location
                        .as_ref()
                        .map(|l| format!(" (`{}`)", cell(l)))
                        .unwrap_or_default()
                );
            }
            if q.open_findings > FINDINGS_SHOWN {
                let _ = writeln!(out, "- … and {} more", q.open_findings - FINDINGS_SHOWN);
            }
        }
    }
    if let Some(log) = &report.audit_log {
        let _ = writeln!(
            out,
            "\nAudit log `{}`: checkpoint of {} entries, root `{}`, {}.",
            log.origin,
            log.size,
            log.root_hash,
            if log.verified {
                "verified"
            } else {
                "**does not verify**"
            }
        );
    }
    if let Some(s) = &report.signature {
        let _ = writeln!(out, "\nSigned by `{}` over `{}`.", s.key_name, s.digest);
    }
    out
}
