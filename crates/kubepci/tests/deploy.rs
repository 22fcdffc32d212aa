//! deploy/ (the webhook in a cluster) passes kubepci's own scan, makes the admission-control
//! rules pass beside the examples, sends the webhook every kind its rules read, and lets it
//! read (only read) every kind its context watches.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use kubepci_engine::admission::Admitter;
use kubepci_engine::{Config, RuleSelection, ScanOptions};
use kubepci_k8s::{KindFilter, load};
use kubepci_model::Node;

const BIN: &str = env!("CARGO_BIN_EXE_kubepci");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scan(args: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::new(BIN)
        .current_dir(root())
        .args(["scan", "--format", "json"])
        .args(args)
        .output()
        .expect("kubepci scan");
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), json)
}

fn rule_ids(report: &serde_json::Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["ruleId"].as_str().map(str::to_owned))
        .collect()
}

const ADMISSION_CONTROL: &[&str] = &["KP7003", "KP7004", "KP7005", "KP7006", "KP7013"];

#[test]
fn deploy_passes_its_own_scan() {
    let (code, report) = scan(&["deploy"]);
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(code, 0);
    assert!(
        report["inputs"]["objects"]
            .as_u64()
            .is_some_and(|n| n >= 15)
    );
}

#[test]
fn deploy_makes_the_admission_control_rules_pass() {
    let work = tempfile::tempdir().expect("tempdir");
    let cluster = work.path().join("kubepci.yaml");
    // Judge the examples as whole clusters, so that the cluster-wide rules apply.
    std::fs::write(&cluster, "platform:\n  clusterInput: always\n").expect("config");
    let cluster = cluster.to_string_lossy().into_owned();
    let (_, alone) = scan(&["examples/payments-platform", "-c", &cluster]);
    assert!(
        rule_ids(&alone).contains("KP7003"),
        "without deploy/ there is no webhook"
    );
    let (_, with) = scan(&["deploy", "examples/payments-platform", "-c", &cluster]);
    let found = rule_ids(&with);
    for id in ADMISSION_CONTROL {
        assert!(
            !found.contains(*id),
            "{id} fires on deploy/ + examples: {with:#}"
        );
    }

    let snapshot = "examples/cluster-snapshot/snapshot.yaml";
    let config = "examples/cluster-snapshot/kubepci.yaml";
    let (_, alone) = scan(&[snapshot, "-c", config]);
    assert!(rule_ids(&alone).contains("KP7013"));
    let (_, with) = scan(&["deploy", snapshot, "-c", config]);
    let with_ids = rule_ids(&with);
    assert!(
        !with_ids.contains("KP7013") && !with_ids.contains("KP7003"),
        "{with:#}"
    );
    // The snapshot keeps its own deliberate mistake (a fail-open webhook of its own).
    assert!(
        with["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| ADMISSION_CONTROL.contains(&f["ruleId"].as_str().unwrap_or_default()))
            .all(|f| f["location"]["file"].as_str() == Some(snapshot)),
        "no admission-control finding on deploy/: {with:#}"
    );
}

fn deploy_objects() -> Vec<kubepci_k8s::Object> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root().join("deploy")).expect("deploy/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let bytes = std::fs::read(&path).expect("readable");
            let loaded = load(&path.display().to_string(), &bytes, &KindFilter::All, None);
            assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
            out.extend(loaded.objects);
        }
    }
    out
}

fn admitter() -> Admitter {
    let config = Config::default();
    let rules = RuleSelection::default()
        .resolve(&config.disabled)
        .expect("rules");
    Admitter::new(ScanOptions {
        config,
        rules,
        waivers: None,
        default_namespace: None,
        as_of: time::macros::date!(2026 - 06 - 01),
    })
}

fn strings(node: Option<&Node>) -> Vec<String> {
    node.map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.as_str().map(str::to_owned))
        .collect()
}

/// `(group, resource)` pairs a rule list grants or matches, for `verbs` (or operations).
fn pairs(rules: &[Node], verbs_key: &str, needed: &[&str]) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for rule in rules {
        let verbs = strings(rule.get(verbs_key));
        if !needed.iter().all(|v| verbs.iter().any(|x| x == v)) {
            continue;
        }
        for group in strings(rule.get("apiGroups")) {
            for resource in strings(rule.get("resources")) {
                out.insert((group.clone(), resource));
            }
        }
    }
    out
}

#[test]
fn the_webhook_is_sent_every_kind_its_rules_read() {
    let objects = deploy_objects();
    let config = objects
        .iter()
        .find(|o| o.kind() == "ValidatingWebhookConfiguration")
        .expect("a webhook configuration");
    let webhook = config
        .root
        .get("webhooks")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .find(|w| w.get("name").and_then(Node::as_str) == Some("validate.kubepci.io"))
        .expect("the fail-closed webhook");
    let sent = pairs(
        webhook.get("rules").map(Node::items).unwrap_or_default(),
        "operations",
        &["CREATE", "UPDATE"],
    );
    let mut missing = Vec::new();
    for kind in admitter().admitted_kinds() {
        // Kinds whose API resource kubepci does not know (removed or vendor APIs) are left to
        // whoever adds them to the configuration.
        let Some(info) = kubepci_cluster::kinds::lookup(kind) else {
            continue;
        };
        if !sent.contains(&(info.group.to_owned(), info.plural.to_owned())) {
            missing.push(format!("{}/{}", info.group, info.plural));
        }
    }
    assert!(missing.is_empty(), "the webhook is not sent: {missing:?}");
    assert!(sent.contains(&(String::new(), "pods/ephemeralcontainers".to_owned())));
}

#[test]
fn the_webhook_may_read_its_context_and_nothing_else() {
    let objects = deploy_objects();
    let role = objects
        .iter()
        .find(|o| o.kind() == "ClusterRole")
        .expect("the context reader role");
    let rules = role.root.get("rules").map(Node::items).unwrap_or_default();
    let readable = pairs(rules, "verbs", &["get", "list", "watch"]);
    let admitter = admitter();
    let mut missing = Vec::new();
    for kind in kubepci_webhook::watched_kinds(&admitter.context_kinds()) {
        let info = kubepci_cluster::kinds::lookup(kind).expect("every context kind is known");
        if !readable.contains(&(info.group.to_owned(), info.plural.to_owned())) {
            missing.push(format!("{}/{}", info.group, info.plural));
        }
    }
    assert!(
        missing.is_empty(),
        "the service account cannot read: {missing:?}"
    );
    for rule in rules {
        let verbs = strings(rule.get("verbs"));
        assert!(
            verbs
                .iter()
                .all(|v| ["get", "list", "watch"].contains(&v.as_str())),
            "read-only: {verbs:?}"
        );
        assert!(
            !strings(rule.get("resources"))
                .iter()
                .any(|r| r == "secrets" || r == "*")
        );
    }
}
