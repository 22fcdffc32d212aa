//! `kubepci segmentation` end to end: the example platform's matrix in every format, the exit
//! codes, and a breach.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubepci"))
        .current_dir(workspace_root())
        .env_remove("KUBEPCI_LOG")
        .env_remove("RUST_LOG")
        .args(args)
        .output()
        .expect("kubepci runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn example_platform_is_segmented_in_every_format() {
    for format in ["table", "json", "dot"] {
        let o = run(&["segmentation", "examples/payments-platform", "-f", format]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        insta::assert_snapshot!(format!("example_{format}"), stdout(&o));
    }
}

#[test]
fn example_matrix_facts() {
    let o = run(&["segmentation", "examples/payments-platform", "-f", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(report["version"], 1);
    assert_eq!(report["verdict"]["status"], "segmented");
    let connections = report["connections"].as_array().expect("connections");
    let has = |from: &str, to: &str| {
        connections
            .iter()
            .any(|c| c["from"] == from && c["to"] == to)
    };
    // The payment path, exactly.
    assert!(has("edge/api-gateway", "payments/payment-service"));
    assert!(has("payments/payment-service", "payments/tokenizer"));
    assert!(has("payments/payment-service", "payments/card-vault"));
    assert!(!has("edge/api-gateway", "payments/card-vault"));
    // The out-of-scope shop reaches nothing and nothing reaches it.
    assert!(
        connections
            .iter()
            .all(|c| c["from"] != "storefront/web" && c["to"] != "storefront/web")
    );
    // The deliberate mistake: metrics on the card vault open to every namespace.
    assert!(has("monitoring/postgres-exporter", "payments/card-vault"));
    // Only the DMZ gateway is reachable from outside.
    let inbound = report["inbound"].as_array().expect("inbound");
    assert!(!inbound.is_empty());
    assert!(inbound.iter().all(|i| i["to"] == "edge/api-gateway"));
}

#[test]
fn a_breach_exits_1_and_names_the_paths() {
    let o = run(&[
        "segmentation",
        "crates/kubepci/tests/data/segmentation-breach.yaml",
        "-f",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(report["verdict"]["status"], "breached");
    let kinds: Vec<&str> = report["breaches"]
        .as_array()
        .expect("breaches")
        .iter()
        .filter_map(|b| b["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["out-of-scope-to-cde", "outside-to-cde"]);
    let table = stdout(&run(&[
        "segmentation",
        "crates/kubepci/tests/data/segmentation-breach.yaml",
    ]));
    assert!(table.contains("PATHS ACROSS THE CDE BOUNDARY"), "{table}");
    assert!(table.contains("VERDICT: BREACHED"), "{table}");
    // The scan raises the same paths as findings.
    let scan = stdout(&run(&[
        "scan",
        "crates/kubepci/tests/data/segmentation-breach.yaml",
        "--rules",
        "KP2019",
    ]));
    assert!(scan.contains("KP2019"), "{scan}");
}

#[test]
fn configuration_and_scope_overrides_apply() {
    // Declaring the monitoring namespace out of scope turns its exporter's path to the card
    // vault into a breach; a path that does not exist is an input error.
    let o = run(&[
        "segmentation",
        "examples/payments-platform",
        "--scope",
        "monitoring=out-of-scope",
        "-f",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(
        report["breaches"][0]["from"],
        "monitoring/postgres-exporter"
    );
    assert_eq!(report["breaches"][0]["to"], "payments/card-vault");
    let o = run(&["segmentation", "no/such/dir"]);
    assert_eq!(o.status.code(), Some(2));
}
