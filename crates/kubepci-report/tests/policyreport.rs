//! `scan --format policyreport` against the upstream wgpolicyk8s.io/v1alpha2 CRD schemas
//! (tests/data/wgpolicyk8s.io, see SOURCE.md there).

use std::path::Path;

use kubepci_engine::{Config, RuleSelection, ScanOptions};
use kubepci_model::Severity;
use kubepci_report::{Format, RenderOptions};
use serde_json::Value;

fn data(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/wgpolicyk8s.io")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("schema file")).expect("JSON")
}

/// The schema as the API server applies it: a structural schema prunes fields it does not
/// declare, so here an undeclared field is an error (we would lose it silently otherwise).
fn closed(mut schema: Value) -> Value {
    fn close(v: &mut Value) {
        if let Some(map) = v.as_object_mut() {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (key, child) in map.iter_mut() {
                // `metadata` is `type: object` without properties: anything goes.
                if key != "metadata" {
                    close(child);
                }
            }
        } else if let Some(items) = v.as_array_mut() {
            items.iter_mut().for_each(close);
        }
    }
    close(&mut schema);
    schema
}

fn example_reports() -> (Value, kubepci_engine::ScanReport) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let text = std::fs::read_to_string(root.join("waivers.yaml")).expect("waivers");
    let waivers = kubepci_engine::parse_waivers("waivers.yaml", &text).expect("valid");
    let paths = kubepci_k8s::source::expand(&[root.join("payments-platform")]).expect("inputs");
    let report = kubepci_engine::scan(
        &paths,
        &ScanOptions {
            config: Config::default(),
            rules: RuleSelection::default().resolve(&[]).expect("rules"),
            waivers: Some(waivers),
            default_namespace: None,
            as_of: time::macros::date!(2026 - 12 - 01),
        },
    );
    let text = kubepci_report::render(
        &report,
        Format::PolicyReport,
        &RenderOptions {
            fail_on: Severity::Low,
            color: false,
            tool_version: "0.1.0",
        },
    );
    (serde_json::from_str(&text).expect("JSON"), report)
}

#[test]
fn policy_reports_validate_against_the_upstream_crds() {
    let (list, scan) = example_reports();
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["kind"], "List");
    let namespaced = data("policyreports.v1alpha2.openapi.json");
    let cluster = data("clusterpolicyreports.v1alpha2.openapi.json");
    let validators = [
        (
            "PolicyReport",
            jsonschema::validator_for(&namespaced).expect("schema"),
        ),
        (
            "ClusterPolicyReport",
            jsonschema::validator_for(&cluster).expect("schema"),
        ),
    ];
    let strict = jsonschema::validator_for(&closed(cluster.clone())).expect("schema");
    let items = list["items"].as_array().expect("items");
    let mut kinds = Vec::new();
    for item in items {
        let kind = item["kind"].as_str().expect("kind");
        assert_eq!(item["apiVersion"], "wgpolicyk8s.io/v1alpha2");
        let validator = &validators
            .iter()
            .find(|(k, _)| *k == kind)
            .unwrap_or_else(|| panic!("unexpected kind {kind}"))
            .1;
        let errors: Vec<String> = validator.iter_errors(item).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{kind}: {errors:#?}");
        let errors: Vec<String> = strict.iter_errors(item).map(|e| e.to_string()).collect();
        assert!(
            errors.is_empty(),
            "{kind} has fields the CRD would prune: {errors:#?}"
        );
        kinds.push(kind);
    }
    // The strict check does catch an undeclared field.
    let mut bad = items[0].clone();
    bad["summary"]["total"] = Value::from(1);
    assert_eq!(strict.iter_errors(&bad).count(), 1);
    // One report per namespace, one cluster report.
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == "ClusterPolicyReport")
            .count(),
        1
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "PolicyReport").count(),
        scan.namespaces.len()
    );
    // Every finding is a result, in its namespace's report, with its PCI references.
    let mut results = 0;
    let mut skipped = 0;
    for item in items {
        let namespace = item["metadata"]["namespace"].as_str();
        let summary = &item["summary"];
        let list = item["results"].as_array().expect("results");
        assert_eq!(
            summary["fail"].as_u64().unwrap_or(0) + summary["skip"].as_u64().unwrap_or(0),
            list.len() as u64
        );
        for r in list {
            assert_eq!(r["resources"][0]["namespace"].as_str(), namespace);
            assert_eq!(r["source"], "kubepci");
            let pci = r["properties"]["pci"].as_str().expect("pci property");
            assert!(!pci.is_empty());
            for id in pci.split(',') {
                assert!(kubepci_rules::pci::requirement(id).is_some(), "{id}");
            }
            if r["result"] == "skip" {
                skipped += 1;
                assert!(r["properties"]["waiver"].is_string());
            } else {
                assert_eq!(r["result"], "fail");
            }
            results += 1;
        }
    }
    assert_eq!(results, scan.findings.len());
    assert_eq!(
        skipped,
        scan.findings.iter().filter(|f| f.is_waived()).count()
    );
    assert!(skipped > 0, "the example's waiver shows as skip");
}

#[test]
fn reports_are_bounded() {
    // Many findings in one namespace: the report keeps MAX_RESULTS and counts the rest.
    let mut manifest = String::from(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: big, labels: {kubepci.io/scope: cde}}\n",
    );
    for i in 0..1100 {
        manifest.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: big}}\nspec:\n  hostNetwork: true\n  containers: [{{name: c, image: registry.example.com/app@sha256:0000000000000000000000000000000000000000000000000000000000000000}}]\n"
        ));
    }
    let report = kubepci_engine::scan_inputs(
        &[kubepci_engine::Input {
            name: "big.yaml".into(),
            bytes: manifest.into_bytes(),
        }],
        &ScanOptions {
            config: Config::default(),
            rules: RuleSelection {
                only: vec!["KP1004".into()],
                skip: Vec::new(),
            }
            .resolve(&[])
            .expect("rule"),
            waivers: None,
            default_namespace: None,
            as_of: time::macros::date!(2026 - 12 - 01),
        },
    );
    assert_eq!(report.findings.len(), 1100);
    let doc = kubepci_report::policyreport::document(
        &report,
        &RenderOptions {
            fail_on: Severity::Low,
            color: false,
            tool_version: "0.1.0",
        },
    );
    let big = doc["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["metadata"]["namespace"] == "big")
        .expect("the namespace's report");
    assert_eq!(
        big["results"].as_array().map(Vec::len),
        Some(kubepci_report::policyreport::MAX_RESULTS)
    );
    assert_eq!(big["summary"]["fail"], 1100);
    assert_eq!(
        big["metadata"]["annotations"]["kubepci.io/truncated-results"],
        "100"
    );
}
