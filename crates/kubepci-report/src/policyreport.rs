//! `wgpolicyk8s.io/v1alpha2` PolicyReports: the convention Kyverno, Kubewarden and the Policy
//! Reporter UI read, so existing dashboards show kubepci's findings.
//!
//! The output is one `v1` `List` (`kubectl apply -f` takes it): a `PolicyReport` named
//! `kubepci` in every namespace the input has, and a `ClusterPolicyReport` named `kubepci`
//! for cluster-scoped objects. Each finding is one result:
//!
//! | field | value |
//! |---|---|
//! | `source` | `kubepci` |
//! | `policy` | the rule's name (`privileged-container`) |
//! | `rule` | the rule's ID (`KP1001`) |
//! | `category` | `PCI DSS <primary requirement>` |
//! | `result` | `fail`, or `skip` when a waiver covers it (exceptions are `skip` in Kyverno too) |
//! | `severity` | `high` (critical, high), `medium`, `low` (low, info): the CRD's enum |
//! | `resources` | the object at fault |
//! | `properties` | `pci` (every requirement ID), `pciDssVersion`, `severity` (kubepci's own), `scope`, `pointer`, `location`, `waiver`, `waiverExpires` |
//!
//! Reports carry results for findings only; passes are counted in `summary.pass` (rules that
//! ran and found nothing in that namespace), never listed, so a report stays small. A report
//! holds at most [`MAX_RESULTS`] results (the rest are counted in the summary and the
//! `kubepci.io/truncated-results` annotation says how many were left out): an object must stay
//! well below etcd's 1.5 MiB limit.

use std::collections::{BTreeMap, BTreeSet};

use kubepci_engine::ScanReport;
use kubepci_model::{Finding, Severity};
use serde_json::{Value, json};

use crate::RenderOptions;

/// Most results in one report.
pub const MAX_RESULTS: usize = 1000;

/// The CRD's severity for a kubepci severity.
fn crd_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low | Severity::Info => "low",
    }
}

/// The rules that ran, by ID: a finding's name and PCI references come from the metadata of
/// the rule that made it (so rules loaded at run time are reported like built-in ones).
type RuleIndex<'a> = BTreeMap<&'a str, &'a kubepci_rules::RuleMeta>;

fn result(f: &Finding, rules: &RuleIndex<'_>) -> Value {
    let (name, pci) = rules.get(f.rule_id).map_or_else(
        || (f.rule_id.to_owned(), Vec::new()),
        |m| (m.name.to_owned(), m.pci.to_vec()),
    );
    let mut properties = BTreeMap::new();
    properties.insert("pci", pci.join(","));
    properties.insert(
        "pciDssVersion",
        kubepci_rules::pci::PCI_DSS_VERSION.to_owned(),
    );
    properties.insert("severity", f.severity.as_str().to_owned());
    properties.insert("scope", f.scope.as_str().to_owned());
    properties.insert("pointer", f.pointer.as_str().to_owned());
    if let Some(l) = &f.location {
        properties.insert("location", format!("{}:{}:{}", l.file, l.line, l.column));
    }
    if let Some(w) = &f.waiver {
        properties.insert("waiver", w.id.clone());
        properties.insert("waiverExpires", w.expires.clone());
    }
    let mut resource = json!({
        "apiVersion": f.object.api_version,
        "kind": f.object.kind,
        "name": f.object.name,
    });
    if let Some(ns) = &f.object.namespace {
        resource["namespace"] = json!(ns);
    }
    json!({
        "source": "kubepci",
        "policy": name,
        "rule": f.rule_id,
        "category": pci.first().map_or_else(|| "PCI DSS".to_owned(), |p| format!("PCI DSS {p}")),
        "result": if f.waiver.is_some() { "skip" } else { "fail" },
        "severity": crd_severity(f.severity),
        "scored": true,
        "message": f.message,
        "resources": [resource],
        "properties": properties,
    })
}

/// What every report of one run shares.
struct Run<'a> {
    rules: RuleIndex<'a>,
    options: &'a RenderOptions,
    as_of: String,
}

fn report(
    run: &Run<'_>,
    kind: &str,
    namespace: Option<&str>,
    findings: &[&Finding],
    errors: usize,
) -> Value {
    let (options, as_of, rules_run) = (run.options, run.as_of.as_str(), run.rules.len());
    let failing_rules: BTreeSet<&str> = findings.iter().map(|f| f.rule_id).collect();
    let fail = findings.iter().filter(|f| f.waiver.is_none()).count();
    let skip = findings.len() - fail;
    let results: Vec<Value> = findings
        .iter()
        .take(MAX_RESULTS)
        .map(|f| result(f, &run.rules))
        .collect();
    let mut metadata = json!({
        "name": "kubepci",
        "labels": {"app.kubernetes.io/managed-by": "kubepci"},
        "annotations": {
            "kubepci.io/version": options.tool_version,
            "kubepci.io/as-of": as_of,
        },
    });
    if let Some(ns) = namespace {
        metadata["namespace"] = json!(ns);
    }
    if findings.len() > MAX_RESULTS {
        metadata["annotations"]["kubepci.io/truncated-results"] =
            json!((findings.len() - MAX_RESULTS).to_string());
    }
    json!({
        "apiVersion": "wgpolicyk8s.io/v1alpha2",
        "kind": kind,
        "metadata": metadata,
        "summary": {
            "pass": rules_run.saturating_sub(failing_rules.len()),
            "fail": fail,
            "warn": 0,
            "error": errors,
            "skip": skip,
        },
        "results": results,
    })
}

/// The reports as one `v1` `List`.
#[must_use]
pub fn document(report_in: &ScanReport, options: &RenderOptions) -> Value {
    let as_of = format!(
        "{:04}-{:02}-{:02}",
        report_in.as_of.year(),
        u8::from(report_in.as_of.month()),
        report_in.as_of.day()
    );
    let mut by_namespace: BTreeMap<&str, Vec<&Finding>> = report_in
        .namespaces
        .iter()
        .map(|n| (n.name.as_str(), Vec::new()))
        .collect();
    let mut cluster: Vec<&Finding> = Vec::new();
    for f in &report_in.findings {
        match &f.object.namespace {
            Some(ns) => by_namespace.entry(ns.as_str()).or_default().push(f),
            None => cluster.push(f),
        }
    }
    let run = Run {
        rules: report_in.rules.iter().map(|m| (m.id, *m)).collect(),
        options,
        as_of,
    };
    let mut items: Vec<Value> = by_namespace
        .iter()
        .map(|(ns, findings)| report(&run, "PolicyReport", Some(ns), findings, 0))
        .collect();
    items.push(report(
        &run,
        "ClusterPolicyReport",
        None,
        &cluster,
        report_in.errors.len(),
    ));
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}

/// Renders the reports, pretty-printed JSON with a trailing newline.
#[must_use]
pub fn render(report: &ScanReport, options: &RenderOptions) -> String {
    let mut text = serde_json::to_string_pretty(&document(report, options)).unwrap_or_default();
    text.push('\n');
    text
}
