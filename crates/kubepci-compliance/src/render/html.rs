//! One self-contained, printable HTML file: no external assets, no JavaScript. An overview of
//! the principal requirements as inline SVG, then each requirement's detail; the print
//! stylesheet starts each principal requirement on a new page and keeps requirement blocks
//! together.

use std::fmt::Write as _;

use kubepci_rules::pci;

use super::{FINDINGS_SHOWN, colour, ink};
use crate::model::{Report, RequirementResult, Status};

const STYLE: &str = r#"
:root { --ink: #1a1a1a; --muted: #5f6368; --rule: #d0d4d8; --panel: #f5f7f9; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.45 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 0 auto; max-width: 60rem; padding: 1.5rem; }
h1 { font-size: 20pt; margin: 0 0 .25rem; }
h2 { font-size: 15pt; margin: 1.6rem 0 .6rem; border-bottom: 2px solid var(--ink); padding-bottom: .2rem; }
h3 { font-size: 12pt; margin: 1.2rem 0 .4rem; color: var(--muted); }
h4 { font-size: 11pt; margin: 0 0 .3rem; }
p { margin: .3rem 0; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 .8rem; font-size: 9.5pt; }
th, td { border: 1px solid var(--rule); padding: .25rem .4rem; text-align: left; vertical-align: top; }
th { background: var(--panel); }
td.num, th.num { text-align: right; white-space: nowrap; }
code, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 8.5pt; overflow-wrap: anywhere; }
.meta { color: var(--muted); }
.badge { display: inline-block; padding: .05rem .45rem; border-radius: .25rem; font-size: 9pt; font-weight: 600; white-space: nowrap; }
.attention { border: 2px solid #b71c1c; background: #fdecea; padding: .5rem .8rem; margin: .8rem 0; }
.attention h2 { border: none; margin: 0 0 .3rem; color: #b71c1c; }
.attention li { margin: .15rem 0; }
.req { border: 1px solid var(--rule); border-left: .4rem solid var(--rule); padding: .5rem .7rem; margin: .6rem 0; break-inside: avoid; page-break-inside: avoid; }
.req .head { display: flex; justify-content: space-between; gap: 1rem; align-items: baseline; }
.kv { display: grid; grid-template-columns: 9rem 1fr; gap: .1rem .6rem; margin: .3rem 0; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; }
.legend span { margin-right: .9rem; white-space: nowrap; }
.swatch { display: inline-block; width: .8rem; height: .8rem; vertical-align: -.1rem; margin-right: .25rem; border: 1px solid #999; }
svg text { font-family: "DejaVu Sans", Arial, sans-serif; }
.principal { break-before: page; page-break-before: always; }
footer { margin-top: 2rem; border-top: 1px solid var(--rule); padding-top: .5rem; }
@page { size: A4; margin: 16mm 14mm 18mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  a { color: inherit; text-decoration: none; }
  thead { display: table-header-group; }
  tr, .kv, .attention { break-inside: avoid; page-break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
}
"#;

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn badge(status: Status) -> String {
    format!(
        r#"<span class="badge" style="background:{};color:{}">{}</span>"#,
        colour(status),
        ink(status),
        esc(status.label())
    )
}

/// Renders the report.
#[must_use]
pub fn render(report: &Report) -> String {
    let mut out = String::with_capacity(64 * 1024 + report.findings.len() * 256);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>PCI DSS v{} report, {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&report.pci_dss_version),
        esc(&report.generated_at)
    );
    header(&mut out, report);
    attention(&mut out, report);
    overview(&mut out, report);
    scope(&mut out, report);
    audit_log(&mut out, report);
    for p in &report.overview {
        principal(&mut out, report, &p.id, &p.title);
    }
    waivers(&mut out, report);
    footer(&mut out, report);
    out.push_str("</body>\n</html>\n");
    out
}

fn header(out: &mut String, r: &Report) {
    let _ = write!(
        out,
        "<header>\n<h1>PCI DSS v{} compliance report</h1>\n<p class=\"meta\">Generated {} by {} {} · waivers and attestations evaluated as of {} · {} requirements assessed, {} findings ({} open, {} waived)</p>\n",
        esc(&r.pci_dss_version),
        esc(&r.generated_at),
        esc(&r.tool.name),
        esc(&r.tool.version),
        esc(&r.as_of),
        r.summary.requirements,
        r.summary.findings,
        r.summary.open_findings,
        r.summary.waived_findings
    );
    match &r.signature {
        Some(s) => {
            let _ = writeln!(
                out,
                "<p class=\"meta\">Signed by key <code>{}+{}</code> over <code>{}</code>: check the JSON report with <code>kubepci report verify</code>.</p>",
                esc(&s.key_name),
                esc(&s.key_id),
                esc(&s.digest)
            );
        }
        None => out.push_str("<p class=\"meta\">Unsigned.</p>\n"),
    }
    out.push_str("</header>\n");
}

fn attention(out: &mut String, r: &Report) {
    if r.attention.is_empty() {
        return;
    }
    out.push_str("<section class=\"attention\">\n<h2>Needs attention</h2>\n<ul>\n");
    for a in &r.attention {
        let reqs = if a.requirements.is_empty() {
            String::new()
        } else {
            format!(
                " <span class=\"meta\">({})</span>",
                esc(&a.requirements.join(", "))
            )
        };
        let _ = writeln!(out, "<li>{}{reqs}</li>", esc(&a.text));
    }
    out.push_str("</ul>\n</section>\n");
}

/// The overview: one bar per principal requirement, its requirements stacked by status.
fn overview(out: &mut String, r: &Report) {
    const ROW: u32 = 26;
    const LABEL: u32 = 330;
    const BAR: u32 = 300;
    const VERDICT: u32 = 110;
    let width = LABEL + BAR + VERDICT + 20;
    let height = ROW * u32::try_from(r.overview.len()).unwrap_or(0) + 30;
    out.push_str("<section>\n<h2>Overview</h2>\n");
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"overview-title\" viewBox=\"0 0 {width} {height}\" width=\"100%\" style=\"max-width:{width}px\">\n<title id=\"overview-title\">Requirements by status for each principal requirement</title>\n"
    );
    let _ = writeln!(
        out,
        "<text x=\"0\" y=\"14\" font-size=\"11\" font-weight=\"bold\">Principal requirement</text><text x=\"{LABEL}\" y=\"14\" font-size=\"11\" font-weight=\"bold\">Requirements by status</text><text x=\"{}\" y=\"14\" font-size=\"11\" font-weight=\"bold\">Verdict</text>",
        LABEL + BAR + 12
    );
    for (row, p) in r.overview.iter().enumerate() {
        let y = 24 + ROW * u32::try_from(row).unwrap_or(0);
        let total: usize = p.by_status.values().sum();
        let title: String = if p.title.chars().count() > 48 {
            let cut: String = p.title.chars().take(46).collect();
            format!("{cut}…")
        } else {
            p.title.clone()
        };
        let _ = writeln!(
            out,
            "<text x=\"0\" y=\"{}\" font-size=\"11\"><tspan font-weight=\"bold\">{}</tspan> {}</text>",
            y + 13,
            esc(&p.id),
            esc(&title)
        );
        let mut x = f64::from(LABEL);
        for status in Status::ALL {
            let n = p.by_status.get(status.as_str()).copied().unwrap_or(0);
            if n == 0 || total == 0 {
                continue;
            }
            #[allow(clippy::cast_precision_loss)]
            let w = f64::from(BAR) * n as f64 / total as f64;
            let _ = writeln!(
                out,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"18\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"0.5\"><title>{}: {n}</title></rect>",
                colour(status),
                esc(status.label())
            );
            if w >= 16.0 {
                let _ = writeln!(
                    out,
                    "<text x=\"{:.1}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{}\">{n}</text>",
                    x + w / 2.0,
                    y + 13,
                    ink(status)
                );
            }
            x += w;
        }
        let (verdict, fill) = match p.verdict.as_str() {
            "not-in-place" => ("Not in place", colour(Status::NotInPlace)),
            "incomplete" => ("Incomplete", colour(Status::NotAttested)),
            "in-place" => ("In place", colour(Status::InPlace)),
            _ => ("Not applicable", colour(Status::NotApplicable)),
        };
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{y}\" width=\"{VERDICT}\" height=\"18\" rx=\"3\" fill=\"{fill}\"/><text x=\"{}\" y=\"{}\" font-size=\"10.5\" text-anchor=\"middle\" fill=\"{}\">{verdict}</text>",
            LABEL + BAR + 12,
            LABEL + BAR + 12 + VERDICT / 2,
            y + 13,
            if p.verdict == "incomplete" || p.verdict == "not-applicable" {
                "#111111"
            } else {
                "#ffffff"
            }
        );
    }
    out.push_str("</svg>\n<p class=\"legend\">");
    for status in Status::ALL {
        let _ = write!(
            out,
            "<span><span class=\"swatch\" style=\"background:{}\"></span>{}</span>",
            colour(status),
            esc(status.label())
        );
    }
    out.push_str("</p>\n<table>\n<thead><tr><th>Status</th><th class=\"num\">Requirements</th><th>What it means</th></tr></thead>\n<tbody>\n");
    for status in Status::ALL {
        let n = r
            .summary
            .by_status
            .get(status.as_str())
            .copied()
            .unwrap_or(0);
        let meaning = match status {
            Status::NotInPlace => "A rule giving evidence for it has an open finding.",
            Status::AttestationOverdue => "Its attestation's next review date has passed.",
            Status::NotAttested => "It needs an attestation and has none in force.",
            Status::NotTested => "No rule for it ran, or its rules had nothing to check.",
            Status::InPlaceWithWaivers => {
                "Its findings are all waived: in place only through the waivers' compensating controls."
            }
            Status::Attested => "Attested by its owner with an evidence reference.",
            Status::InPlace => {
                "Its rules ran and found nothing open (and its attestation is current where it needs one)."
            }
            Status::NotApplicable => "Outside the platform, or not applicable to the entity.",
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{n}</td><td>{meaning}</td></tr>",
            badge(status)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn scope(out: &mut String, r: &Report) {
    let s = &r.scope;
    out.push_str("<section>\n<h2>Scope statement</h2>\n<dl class=\"kv\">\n");
    let source = if s.source == "scan-result" {
        match &s.scan {
            Some(scan) => format!(
                "a saved scan result (kubepci {}, as of {}, {} files, {} documents)",
                scan.tool_version, scan.as_of, scan.files, scan.documents
            ),
            None => "a saved scan result".to_owned(),
        }
    } else {
        "manifests read and scanned for this report".to_owned()
    };
    let entity = if s.entity.declared {
        format!(
            "{}{}{}",
            s.entity.kind,
            if s.entity.multi_tenant {
                ", multi-tenant"
            } else {
                ""
            },
            if s.entity.designated_entity {
                ", designated entity"
            } else {
                ""
            }
        )
    } else {
        "not declared: every requirement, including those for service providers, is assessed"
            .to_owned()
    };
    let segmentation = s.segmentation.as_ref().map_or_else(
        || "not evaluated".to_owned(),
        |g| format!("{}: {}", g.status, g.summary),
    );
    let by_scope = s
        .namespaces_by_scope
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    for (k, v) in [
        ("Evidence", source),
        ("Entity", entity),
        ("Objects", format!("{} objects evaluated", s.objects)),
        (
            "Namespaces",
            if by_scope.is_empty() {
                "none".into()
            } else {
                by_scope
            },
        ),
        ("Segmentation", segmentation),
        (
            "Rule catalogue",
            format!(
                "{} rules, digest sha256:{}",
                s.catalogue.rules, s.catalogue.digest
            ),
        ),
        (
            "Inputs",
            format!(
                "{} input(s), digest of the list sha256:{}",
                s.inputs.len(),
                s.inputs_digest
            ),
        ),
    ] {
        let _ = writeln!(out, "<dt>{k}</dt><dd>{}</dd>", esc(&v));
    }
    out.push_str("</dl>\n");
    if !s.namespaces.is_empty() {
        out.push_str("<h3>Namespaces in scope</h3>\n<table>\n<thead><tr><th>Namespace</th><th>Scope</th><th>Zone</th><th>Scope from</th></tr></thead>\n<tbody>\n");
        for n in &s.namespaces {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&n.name),
                esc(&n.scope),
                esc(n.zone.as_deref().unwrap_or("")),
                esc(&n.source)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    const INPUTS_SHOWN: usize = 40;
    out.push_str("<h3>Inputs</h3>\n<table>\n<thead><tr><th>Input</th><th class=\"num\">Bytes</th><th>SHA-256</th></tr></thead>\n<tbody>\n");
    for i in s.inputs.iter().take(INPUTS_SHOWN) {
        let _ = writeln!(
            out,
            "<tr><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"mono\">{}</td></tr>",
            esc(&i.name),
            i.bytes,
            esc(&i.sha256)
        );
    }
    out.push_str("</tbody>\n</table>\n");
    if s.inputs.len() > INPUTS_SHOWN {
        let _ = writeln!(
            out,
            "<p class=\"meta\">… and {} more; the JSON report lists every input with its digest.</p>",
            s.inputs.len() - INPUTS_SHOWN
        );
    }
    if !s.input_errors.is_empty() {
        out.push_str("<h3>Documents not assessed</h3>\n<ul>\n");
        for e in &s.input_errors {
            let _ = writeln!(out, "<li class=\"mono\">{}</li>", esc(e));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<h3>What this report cannot assess</h3>\n<ul>\n");
    for l in &s.limitations {
        let _ = writeln!(out, "<li>{}</li>", esc(l));
    }
    out.push_str("</ul>\n</section>\n");
}

fn audit_log(out: &mut String, r: &Report) {
    out.push_str("<section>\n<h2>Audit log</h2>\n");
    match &r.audit_log {
        None => out.push_str("<p>No audit store was given: the report is not anchored to an audit-log checkpoint.</p>\n"),
        Some(log) => {
            let _ = write!(
                out,
                "<dl class=\"kv\">\n<dt>Log</dt><dd>{}</dd>\n<dt>Verification</dt><dd>{}</dd>\n<dt>Checkpoint</dt><dd>{} entries, root hash <code>{}</code></dd>\n<dt>Store</dt><dd>{} entries, {} after the checkpoint</dd>\n<dt>Public key</dt><dd><code>{}</code></dd>\n</dl>\n<p>The signed checkpoint (C2SP signed note); <code>kubepci audit verify --checkpoint</code> proves the log still extends it:</p>\n<pre class=\"mono\">{}</pre>\n",
                esc(&log.origin),
                if log.verified {
                    "every entry's hash recomputed and every checkpoint verified: OK".to_owned()
                } else {
                    esc(&format!("FAILED: {}", log.problems.join("; ")))
                },
                log.size,
                esc(&log.root_hash),
                log.entries,
                log.unsigned_entries,
                esc(&log.key),
                esc(&log.checkpoint)
            );
        }
    }
    out.push_str("</section>\n");
}

fn principal(out: &mut String, r: &Report, id: &str, title: &str) {
    let mine: Vec<&RequirementResult> = r
        .requirements
        .iter()
        .filter(|q| pci::principal_of(&q.id) == id)
        .collect();
    let heading = if id.starts_with('A') {
        format!("Appendix {id}")
    } else {
        format!("Requirement {id}")
    };
    let _ = write!(
        out,
        "<section class=\"principal\" id=\"req-{}\">\n<h2>{heading}: {}</h2>\n",
        esc(id),
        esc(title)
    );
    let mut section = "";
    let mut outside = Vec::new();
    for q in &mine {
        if q.status == Status::NotApplicable && q.classification == "not-applicable" {
            outside.push(*q);
            continue;
        }
        if q.section != section {
            section = &q.section;
            let name = pci::requirement(section).map_or("", |s| s.title);
            let _ = writeln!(out, "<h3>{} {}</h3>", esc(section), esc(name));
        }
        requirement(out, r, q);
    }
    if !outside.is_empty() {
        out.push_str("<h3>Outside the platform</h3>\n<table>\n<thead><tr><th>Requirement</th><th>Title</th><th>Where it is assessed</th></tr></thead>\n<tbody>\n");
        for q in outside {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&q.id),
                esc(&q.title),
                esc(&q.reason)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

fn requirement(out: &mut String, r: &Report, q: &RequirementResult) {
    let _ = write!(
        out,
        "<div class=\"req\" id=\"r-{}\" style=\"border-left-color:{}\">\n<div class=\"head\"><h4>{} {}</h4>{}</div>\n<p>{}</p>\n<p class=\"meta\">{} · {}{}</p>\n",
        esc(&q.id),
        colour(q.status),
        esc(&q.id),
        esc(&q.title),
        badge(q.status),
        esc(&q.status_reason),
        esc(&q.classification),
        esc(&q.reason),
        match q.applies.as_str() {
            "sp" => " · service providers",
            "mtsp" => " · multi-tenant service providers",
            "de" => " · designated entities",
            _ => "",
        }
    );
    if !q.rules.is_empty() {
        out.push_str("<table>\n<thead><tr><th>Rule</th><th>Severity</th><th class=\"num\">Objects evaluated</th><th class=\"num\">Open</th><th class=\"num\">Waived</th></tr></thead>\n<tbody>\n");
        for rule in &q.rules {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code> {}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&rule.id),
                esc(&rule.name),
                esc(&rule.severity),
                rule.objects_evaluated
                    .map_or_else(|| "–".to_owned(), |n| n.to_string()),
                rule.open,
                rule.waived
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    if !q.findings.is_empty() {
        out.push_str("<table>\n<thead><tr><th>Finding</th><th>Object</th><th>Where</th></tr></thead>\n<tbody>\n");
        for f in q
            .findings
            .iter()
            .filter_map(|&i| r.findings.get(i))
            .take(FINDINGS_SHOWN)
        {
            let waived = f
                .waiver
                .as_ref()
                .map(|w| format!(" <strong>waived ({})</strong>", esc(w)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code> {}: {}{waived}</td><td>{} <span class=\"meta\">({})</span></td><td class=\"mono\">{}</td></tr>",
                esc(&f.rule_id),
                esc(&f.severity),
                esc(&f.message),
                esc(&f.object),
                esc(&f.scope),
                esc(f.location.as_deref().unwrap_or(&f.pointer))
            );
        }
        out.push_str("</tbody>\n</table>\n");
        if q.findings.len() > FINDINGS_SHOWN {
            let _ = writeln!(
                out,
                "<p class=\"meta\">… and {} more findings; the JSON report lists them all.</p>",
                q.findings.len() - FINDINGS_SHOWN
            );
        }
    }
    for id in &q.waivers {
        if let Some(w) = r.waivers.iter().find(|w| &w.id == id) {
            let _ = writeln!(
                out,
                "<p>Waiver <strong>{}</strong> ({}): approved by {}, expires {}{}.</p>",
                esc(&w.id),
                esc(&w.state),
                esc(w
                    .approver
                    .as_deref()
                    .unwrap_or("unknown (not in the register given)")),
                esc(&w.expires),
                w.compensating_control
                    .as_ref()
                    .map(|c| format!("; compensating control: {}", esc(c)))
                    .unwrap_or_default()
            );
        }
    }
    if let Some(a) = &q.attestation {
        let _ = write!(
            out,
            "<dl class=\"kv\">\n<dt>Attested by</dt><dd>{}</dd>\n<dt>On</dt><dd>{} (next review {}{})</dd>\n",
            esc(&a.owner),
            esc(&a.date),
            esc(&a.next_review),
            if a.overdue { ", overdue" } else { "" }
        );
        if let Some(e) = &a.evidence {
            let _ = writeln!(out, "<dt>Evidence</dt><dd>{}</dd>", esc(e));
        }
        if let Some(n) = &a.not_applicable {
            let _ = writeln!(out, "<dt>Not applicable</dt><dd>{}</dd>", esc(n));
        }
        let _ = writeln!(
            out,
            "<dt>Recorded</dt><dd class=\"mono\">{} (covers {})</dd>\n</dl>",
            esc(&a.source),
            esc(&a.covers)
        );
    }
    out.push_str("</div>\n");
}

fn waivers(out: &mut String, r: &Report) {
    out.push_str("<section class=\"principal\">\n<h2>Waivers and compensating controls</h2>\n");
    if r.waivers.is_empty() {
        out.push_str("<p>No waiver applies.</p>\n");
    } else {
        out.push_str("<table>\n<thead><tr><th>Waiver</th><th>State</th><th>Rules (requirements)</th><th class=\"num\">Findings</th><th>Approver</th><th>Expires</th><th>Compensating control</th></tr></thead>\n<tbody>\n");
        for w in &r.waivers {
            let state = esc(&w.state);
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{state}</td><td>{} ({})</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&w.id),
                esc(&w.rules.join(", ")),
                esc(&w.requirements.join(", ")),
                w.findings,
                esc(w.approver.as_deref().unwrap_or("–")),
                esc(&w.expires),
                esc(w
                    .compensating_control
                    .as_deref()
                    .unwrap_or("none: a risk acceptance"))
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    if !r.unmapped_rules.is_empty() {
        out.push_str("<h3>Rules without a PCI DSS requirement</h3>\n<table>\n<thead><tr><th>Rule</th><th class=\"num\">Findings</th></tr></thead>\n<tbody>\n");
        for u in &r.unmapped_rules {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code> {}</td><td class=\"num\">{}</td></tr>",
                esc(&u.id),
                esc(&u.name),
                u.findings
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

fn footer(out: &mut String, r: &Report) {
    out.push_str("<footer class=\"meta\">\n");
    let _ = writeln!(
        out,
        "<p>Statuses follow the Report on Compliance's findings: in place, and attested, support <em>In Place</em>; in place with waivers supports <em>In Place</em> only through the waivers' compensating controls, which the assessor validates; not tested, not attested and attestation overdue are <em>Not Tested</em>. Report {}, schema {}.</p>",
        esc(&r.generated_at),
        esc(&r.schema)
    );
    if let Some(s) = &r.signature {
        let _ = writeln!(out, "<pre class=\"mono\">{}</pre>", esc(&s.note));
    }
    out.push_str("</footer>\n");
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }
}
