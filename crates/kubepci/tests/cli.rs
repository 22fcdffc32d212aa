//! End-to-end tests of the `kubepci` binary: exit codes, formats, stdin, errors, secrets.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubepci"));
    cmd.current_dir(workspace_root())
        .env_remove("KUBEPCI_LOG")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1");
    cmd
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("kubepci runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const DATA: &str = "crates/kubepci/tests/data/snapshot.yaml";
const WAIVERS: &str = "crates/kubepci/tests/data/waivers.yaml";
/// A small rule set so that these snapshots do not change whenever the catalogue grows.
const RULES: &str = "KP1001,KP1004,KP1102";

#[test]
fn example_platform_has_findings_with_pci_references() {
    let o = run(&[
        "scan",
        "examples/payments-platform",
        "--as-of",
        "2026-11-27",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("KP1001 privileged-container"), "{out}");
    assert!(out.contains("PCI 2.2.6"), "{out}");
    assert!(
        out.contains("Summary by PCI DSS v4.0.1 requirement"),
        "{out}"
    );
}

#[test]
fn formats_snapshot() {
    for format in ["table", "json", "sarif", "junit"] {
        let o = run(&[
            "scan",
            DATA,
            "--rules",
            RULES,
            "--as-of",
            "2026-06-01",
            "--waivers",
            WAIVERS,
            "-f",
            format,
        ]);
        assert_eq!(o.status.code(), Some(1), "{format}: {}", stderr(&o));
        insta::assert_snapshot!(format!("format_{format}"), stdout(&o));
    }
}

#[test]
fn json_output_validates_against_its_published_schema() {
    let schema_text =
        std::fs::read_to_string(workspace_root().join("docs/scan-output.schema.json"))
            .expect("schema");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let o = run(&[
        "scan",
        "examples/payments-platform",
        "--as-of",
        "2026-11-27",
        "-f",
        "json",
        "--waivers",
        "examples/waivers.yaml",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON output");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(doc["schema"], "kubepci.scan/v1");
    assert_eq!(doc["summary"]["waived"], 1);
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let Some(path) = kubepci_testutil::shared_path("schemas/sarif-schema-2.1.0.json") else {
        return;
    };
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("JSON");
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .expect("valid schema");
    for args in [
        vec![
            "scan",
            "examples/payments-platform",
            "--as-of",
            "2026-11-27",
            "-f",
            "sarif",
            "--waivers",
            "examples/waivers.yaml",
        ],
        vec![
            "scan",
            DATA,
            "crates/kubepci/tests/data/broken.yaml",
            "-f",
            "sarif",
        ],
    ] {
        let o = run(&args);
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert!(
            !doc["runs"][0]["results"]
                .as_array()
                .expect("results")
                .is_empty()
        );
        assert!(
            !doc["runs"][0]["tool"]["driver"]["rules"][0]["help"]["text"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
        );
    }
}

#[test]
fn stdin_is_read_with_dash() {
    let mut child = bin()
        .args(["scan", "-", "--rules", "KP1001", "-f", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let text = std::fs::read(workspace_root().join(DATA)).expect("data");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&text)
        .expect("write");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(doc["findings"][0]["location"]["file"], "-");
    assert_eq!(doc["findings"][0]["location"]["line"], 22);
}

#[test]
fn broken_documents_are_input_errors_and_the_scan_goes_on() {
    let o = run(&[
        "scan",
        DATA,
        "crates/kubepci/tests/data/broken.yaml",
        "--rules",
        "KP1001",
    ]);
    assert_eq!(o.status.code(), Some(2), "input errors exit 2");
    let out = stdout(&o);
    assert!(
        out.contains("crates/kubepci/tests/data/broken.yaml:10:"),
        "{out}"
    );
    assert!(
        out.contains("KP1001"),
        "findings of the good documents are still reported: {out}"
    );
    assert!(
        out.contains("KP1001 privileged-container  Pod default/after-the-error"),
        "{out}"
    );
}

#[test]
fn fail_on_threshold_and_exit_codes() {
    let o = run(&["scan", DATA, "--rules", "KP1102", "--fail-on", "medium"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a low finding does not fail --fail-on medium"
    );
    let o = run(&[
        "scan",
        DATA,
        "--rules",
        "KP1004",
        "--waivers",
        WAIVERS,
        "--as-of",
        "2026-06-01",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "waived findings do not fail the scan: {}",
        stdout(&o)
    );
    let o = run(&[
        "scan",
        DATA,
        "--rules",
        "KP1004",
        "--waivers",
        WAIVERS,
        "--as-of",
        "2027-01-01",
    ]);
    assert_eq!(o.status.code(), Some(1), "an expired waiver stops applying");
    assert!(
        stdout(&o).contains("waiver W-1 expired on 2026-12-31"),
        "{}",
        stdout(&o)
    );
    let o = run(&["scan", "does/not/exist.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["scan", DATA, "--rules", "KP9999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("KP9999"));
}

#[test]
fn invalid_waiver_register_is_an_error_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("waivers.yaml");
    std::fs::write(&path, "waivers:\n  - id: W-2\n    rules: [KP1001]\n    justification: j\n    approver: a\n    created: 2026-01-01\n    expires: 2027-06-01\n").expect("write");
    let o = run(&[
        "scan",
        DATA,
        "--waivers",
        path.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("waivers.yaml:7:"), "{err}");
    assert!(err.contains("at most 365"), "{err}");
}

#[test]
fn output_is_deterministic() {
    let args = [
        "scan",
        "examples/payments-platform",
        "--as-of",
        "2026-11-27",
        "-f",
        "json",
    ];
    assert_eq!(run(&args).stdout, run(&args).stdout);
}

#[test]
fn rules_list_and_explain() {
    let o = run(&["rules"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("KP1001") && out.contains("2.2.6"), "{out}");
    let o = run(&["rules", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(list.as_array().map(Vec::len), Some(kubepci_rules_count()));
    let o = run(&["rules", "explain", "privileged-container"]);
    assert!(stdout(&o).contains("## How to fix"));
    let o = run(&["rules", "explain", "KP0000"]);
    assert_eq!(o.status.code(), Some(2));
}

fn kubepci_rules_count() -> usize {
    let o = run(&["rules"]);
    stdout(&o).lines().filter(|l| l.starts_with("KP")).count()
}

/// A Secret's value, a literal password and a token must never reach any output format or
/// the logs, even at debug level.
#[test]
fn secret_values_never_reach_output_or_logs() {
    let secrets = [
        "s3cr3t-Hunter2-value",
        "hunter2-literal-in-env",
        "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
    ];
    let manifest = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: db, namespace: payments}}\nstringData: {{password: {}}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: payments}}\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0.0\n      securityContext: {{privileged: true}}\n      env:\n        - {{name: DB_PASSWORD, value: {}}}\n        - {{name: GITHUB_TOKEN, value: {}}}\n",
        secrets[0], secrets[1], secrets[2]
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("secrets.yaml");
    std::fs::write(&path, manifest).expect("write");
    for format in ["table", "json", "sarif", "junit", "policyreport"] {
        let o = bin()
            .args(["scan", path.to_str().expect("utf-8"), "-f", format])
            .env("KUBEPCI_LOG", "trace")
            .output()
            .expect("runs");
        assert_eq!(o.status.code(), Some(1));
        for s in secrets {
            assert!(
                !stdout(&o).contains(s),
                "{format} output leaks a secret value"
            );
            assert!(!stderr(&o).contains(s), "{format} logs leak a secret value");
        }
        assert!(
            stderr(&o).contains("scan finished"),
            "logs are on: {}",
            stderr(&o)
        );
    }
}

#[test]
fn certs_format_prints_the_certificate_inventory() {
    for (format, marker) in [
        ("certs", "certificate inventory (PCI DSS 4.2.1.1)"),
        ("certs-json", "\"kubepci.certs/v1\""),
    ] {
        let o = run(&[
            "scan",
            "examples/payments-platform",
            "--as-of",
            "2026-11-27",
            "-f",
            format,
        ]);
        let out = stdout(&o);
        assert!(out.contains(marker), "{format}: {out}");
        assert!(out.contains("api-pay-example-com-tls"), "{format}: {out}");
        assert!(out.contains("Ingress edge/api"), "{format}: {out}");
    }
}
