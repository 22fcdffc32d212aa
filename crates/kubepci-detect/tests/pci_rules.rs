//! kubepci's own PCI rules: each rule's failing fixture raises exactly the expected alerts,
//! its passing fixture none; every tag names a valid PCI DSS v4.0.1 requirement; the rules
//! load beside Falco's upstream rules; card numbers never leave in clear.

use std::collections::BTreeSet;
use std::path::Path;

use kubepci_detect::input::split_events;
use kubepci_detect::{Alert, Detector, Engine, EngineOptions, EventMeta, builtin};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Case {
    file: String,
    rule: String,
    alerts: usize,
}

const SITE: &str = r#"
- list: kubepci_cde_namespaces
  items: [payments]
  override:
    items: append
- list: kubepci_cde_secret_readers
  items: [system:serviceaccount:payments:tokenizer]
  override:
    items: append
"#;

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pci"))
}

fn engine() -> Engine {
    let mut set = builtin::with_pci_rules().expect("the built-in rules load");
    set.load("site.yaml", SITE).expect("site settings");
    Engine::compile(&set, EngineOptions::default()).expect("the built-in rules compile")
}

fn detect(engine: &Engine, file: &str) -> Vec<Alert> {
    let bytes = std::fs::read(fixtures().join(file)).expect("fixture");
    let (events, errors) = split_events(&bytes);
    assert!(errors.is_empty(), "{file}: {errors:?}");
    let mut detector = Detector::new(engine);
    let mut alerts = Vec::new();
    for e in events {
        detector
            .detect(
                &bytes[e.range],
                &EventMeta {
                    source: "fixture",
                    received_ns: 0,
                },
                &mut alerts,
            )
            .expect("an event");
    }
    alerts
}

#[test]
fn each_rule_fires_on_its_failing_fixture_and_only_there() {
    let engine = engine();
    let cases: Vec<Case> =
        serde_json::from_slice(&std::fs::read(fixtures().join("cases.json")).expect("cases"))
            .expect("cases parse");
    let mut covered = BTreeSet::new();
    let mut failures = Vec::new();
    for case in &cases {
        assert!(
            engine.rules().iter().any(|r| r.name == case.rule),
            "{}: no rule {:?}",
            case.file,
            case.rule
        );
        let alerts = detect(&engine, &case.file);
        let got = alerts.iter().filter(|a| a.rule == case.rule).count();
        if got != case.alerts {
            let fired: Vec<&str> = alerts.iter().map(|a| a.rule.as_str()).collect();
            failures.push(format!(
                "{}: {:?} expected {} alerts, got {got} (all: {fired:?})",
                case.file, case.rule, case.alerts
            ));
        }
        if case.alerts > 0 {
            covered.insert(case.rule.clone());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for rule in engine.rules() {
        assert!(
            covered.contains(&rule.name),
            "{} has no failing fixture",
            rule.name
        );
        assert!(
            cases.iter().any(|c| c.rule == rule.name && c.alerts == 0),
            "{} has no passing fixture",
            rule.name
        );
    }
}

#[test]
fn tags_name_valid_pci_requirements() {
    let engine = engine();
    for rule in engine.rules() {
        let ids: Vec<&str> = rule
            .tags
            .iter()
            .filter_map(|t| t.strip_prefix("PCI_DSS_"))
            .collect();
        assert!(
            !ids.is_empty(),
            "{} names no PCI DSS requirement",
            rule.name
        );
        for id in ids {
            assert!(
                kubepci_rules::pci::requirement(id).is_some(),
                "{}: {id} is not a PCI DSS v4.0.1 requirement",
                rule.name
            );
        }
        assert!(!rule.desc.is_empty());
    }
}

#[test]
fn card_numbers_are_masked_in_alerts() {
    let engine = engine();
    let alerts = detect(&engine, "card-number.fail.jsonl");
    assert_eq!(alerts.len(), 2);
    for alert in &alerts {
        let json = serde_json::to_string(alert).expect("serialises");
        assert!(
            !json.contains("4111 1111 1111 1111") && !json.contains("4111111111111111"),
            "{json}"
        );
        assert!(!json.contains("5555555555554444"), "{json}");
    }
    assert!(
        alerts[0].output.contains("411111******1111"),
        "{}",
        alerts[0].output
    );
    assert_eq!(
        alerts[1].output_fields["kubepci.req.card_numbers"],
        serde_json::json!(["555555******4444"])
    );
}

#[test]
fn load_beside_the_upstream_rules() {
    let Some(dir) = kubepci_testutil::shared_path("conformance/falco-k8s-audit/rules") else {
        return;
    };
    let mut set = builtin::with_pci_rules().expect("built in");
    for f in ["falco_rules.yaml", "k8s_audit_rules.current-plugin.yaml"] {
        let text = std::fs::read_to_string(dir.join(f)).expect("rules");
        set.load(f, &text).expect("loads");
    }
    let engine = Engine::compile(&set, EngineOptions::default()).expect("compiles");
    assert_eq!(engine.rules().len(), 48 + 9);
}
