//! SARIF 2.1.0 output for code-scanning UIs.
//!
//! - `tool.driver.rules`: every rule that ran, with its summary, description, help (text and
//!   markdown: rationale and remediation), default level and properties: `tags` (PCI DSS
//!   requirement IDs as `pci-dss/4.0.1/<id>`, plus `security`), `security-severity` (the
//!   score GitHub code scanning uses to rank alerts) and `precision`.
//! - `results`: one per finding, with `ruleId`/`ruleIndex`, `level`, the file region (line and
//!   column), a logical location naming the Kubernetes object, the JSON pointer and scope as
//!   properties, and a `partialFingerprints` entry stable across line moves. Waived findings
//!   carry an accepted external `suppression` whose justification names the waiver — viewers
//!   show them as suppressed, not as fixed.
//! - Input errors become `toolExecutionNotifications` of the invocation.

use kubepci_engine::ScanReport;
use kubepci_model::Severity;
use serde_json::{Value, json};

use crate::RenderOptions;

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// FNV-1a, a stable (non-cryptographic) hash for fingerprints.
fn fnv1a(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Renders SARIF 2.1.0.
#[must_use]
pub fn render(report: &ScanReport, options: &RenderOptions) -> String {
    let rules: Vec<Value> = report
        .rules
        .iter()
        .map(|m| {
            let docs = m.parsed_docs();
            let mut tags: Vec<String> = m.pci.iter().map(|id| format!("pci-dss/{}/{id}", kubepci_rules::pci::PCI_DSS_VERSION)).collect();
            tags.push("security".to_owned());
            json!({
                "id": m.id,
                "name": m.name,
                "shortDescription": {"text": m.summary},
                "fullDescription": {"text": docs.what_first_paragraph()},
                "help": {
                    "text": format!("{}\n\nHow to fix: {}", docs.why, docs.fix),
                    "markdown": format!("## Why is this bad?\n{}\n\n## How to fix\n{}\n\nPCI DSS v{}: {}", docs.why, docs.fix, kubepci_rules::pci::PCI_DSS_VERSION, m.pci.join(", ")),
                },
                "defaultConfiguration": {"level": level(m.severity)},
                "properties": {
                    "tags": tags,
                    "security-severity": security_severity(m.severity),
                    "precision": "high",
                    "problem.severity": level(m.severity),
                },
            })
        })
        .collect();
    let index_of = |id: &str| report.rules.iter().position(|m| m.id == id);
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut result = json!({
                "ruleId": f.rule_id,
                "level": level(f.severity),
                "message": {"text": format!("{}: {}", f.object, f.message)},
                "locations": [{
                    "logicalLocations": [{
                        "name": f.object.name,
                        "fullyQualifiedName": f.object.to_string(),
                        "kind": "object",
                    }],
                }],
                "partialFingerprints": {
                    "kubepciFinding/v1": fnv1a(&[f.rule_id, &f.object.to_string(), f.pointer.as_str()]),
                },
                "properties": {
                    "pointer": f.pointer.as_str(),
                    "scope": f.scope.as_str(),
                    "severity": f.severity.as_str(),
                },
            });
            if let Some(i) = index_of(f.rule_id) {
                result["ruleIndex"] = json!(i);
            }
            if let Some(loc) = &f.location {
                result["locations"][0]["physicalLocation"] = json!({
                    "artifactLocation": {"uri": uri_of(&loc.file)},
                    "region": {"startLine": loc.line, "startColumn": loc.column},
                });
            }
            if let Some(w) = &f.waiver {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!("waiver {} (expires {})", w.id, w.expires),
                }]);
            }
            result
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": {"text": e.kind.to_string()},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri_of(&e.file)},
                    "region": {"startLine": e.position.line.max(1), "startColumn": e.position.column.max(1)},
                }}],
            })
        })
        .collect();
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kubepci",
                "version": options.tool_version,
                "semanticVersion": options.tool_version,
                "informationUri": "https://github.com/kubepci/kubepci",
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    });
    let mut text = serde_json::to_string_pretty(&sarif).unwrap_or_default();
    text.push('\n');
    text
}

/// A file name as a URI reference: relative paths stay relative (SARIF viewers resolve them
/// against the repository root), with `/` separators and spaces and `%` escaped.
fn uri_of(file: &str) -> String {
    let mut out = String::with_capacity(file.len());
    for c in file.chars() {
        match c {
            '\\' => out.push('/'),
            ' ' => out.push_str("%20"),
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            c => out.push(c),
        }
    }
    if out == "-" { "stdin".to_owned() } else { out }
}
