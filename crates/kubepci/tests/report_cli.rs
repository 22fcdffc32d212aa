//! End-to-end tests of `kubepci report`, `report verify`, `report history` and `kubepci init`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubepci"));
    cmd.current_dir(workspace_root())
        .env_remove("KUBEPCI_LOG")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1");
    cmd
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

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn keys(dir: &Path, name: &str, prefix: &str) -> (PathBuf, PathBuf) {
    let out = dir.join(prefix);
    let o = run(&["keys", "generate", "--name", name, "--out", path(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    (out.with_extension("key"), out.with_extension("pub"))
}

const EXAMPLE: [&str; 7] = [
    "report",
    "examples/payments-platform",
    "--waivers",
    "examples/waivers.yaml",
    "--attestations",
    "examples/attestations.yaml",
    "--as-of",
];

#[test]
fn signed_report_verifies_and_an_edited_one_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (key, public) = keys(dir.path(), "reports.payments.example.com", "report");
    let out = dir.path().join("report");
    let mut args = EXAMPLE.to_vec();
    args.extend(["2026-12-01", "--sign", path(&key), "--out-dir", path(&out)]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for name in ["report.html", "report.json", "report.md"] {
        assert!(out.join(name).is_file(), "{name}");
    }
    let json = out.join("report.json");
    let o = run(&["report", "verify", "--key", path(&public), path(&json)]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).starts_with("OK: "), "{}", stdout(&o));
    // The HTML names the digest the JSON is signed over.
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("JSON");
    let digest = doc["signature"]["digest"].as_str().expect("signed");
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(html.contains(digest));

    let text = std::fs::read_to_string(&json).expect("json");
    let edited = text.replacen(
        "\"status\": \"not-in-place\"",
        "\"status\": \"in-place\"",
        1,
    );
    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, edited).expect("write");
    let o = run(&["report", "verify", "--key", path(&public), path(&tampered)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("changed after signing"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_saved_scan_result_is_reported_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scan = dir.path().join("scan.json");
    let segmentation = dir.path().join("segmentation.json");
    let o = run(&[
        "scan",
        "examples/payments-platform",
        "--waivers",
        "examples/waivers.yaml",
        "--as-of",
        "2026-12-01",
        "-f",
        "json",
        "-o",
        path(&scan),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = run(&[
        "segmentation",
        "examples/payments-platform",
        "-f",
        "json",
        "-o",
        path(&segmentation),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&[
        "report",
        "--scan-result",
        path(&scan),
        "--segmentation",
        path(&segmentation),
        "--waivers",
        "examples/waivers.yaml",
        "-f",
        "markdown",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("## PCI DSS v4.0.1 report"));
    let o = run(&["report", "--scan-result", "examples/waivers.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not a kubepci scan result"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn recorded_reports_read_back_as_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (report_key, report_pub) = keys(dir.path(), "reports.payments.example.com", "report");
    let (log_key, log_pub) = keys(dir.path(), "audit.payments.example.com", "log");
    let store = dir.path().join("store");
    for as_of in ["2026-12-01", "2027-03-20"] {
        let output = dir.path().join(format!("{as_of}.json"));
        let mut args = EXAMPLE.to_vec();
        args.extend([
            as_of,
            "--sign",
            path(&report_key),
            "--record",
            "--audit-data",
            path(&store),
            "--checkpoint-key",
            path(&log_key),
            "-f",
            "json",
            "-o",
            path(&output),
        ]);
        // The first report is made before the store exists; the second is anchored to it.
        if as_of == "2027-03-20" {
            args.extend(["--audit-key", path(&log_pub)]);
        }
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stderr(&o).contains("recorded sha256:"), "{}", stderr(&o));
    }
    let second: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("2027-03-20.json")).expect("json"),
    )
    .expect("JSON");
    assert_eq!(
        second["auditLog"]["size"], 1,
        "anchored to the first record"
    );
    assert_eq!(second["auditLog"]["verified"], true);
    // ... and the waiver W-2026-007 has expired: called out at the top.
    assert!(
        second["attention"]
            .as_array()
            .expect("attention")
            .iter()
            .any(|a| a["kind"] == "expired-waiver"
                && a["text"].as_str().is_some_and(|t| t.contains("W-2026-007"))),
        "{}",
        second["attention"]
    );
    let o = run(&[
        "report",
        "history",
        "--audit-data",
        path(&store),
        "--key",
        path(&report_pub),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let table = stdout(&o);
    assert_eq!(
        table.lines().filter(|l| l.contains("verified")).count(),
        2,
        "{table}"
    );
    // By March the quarterly scan attestation is overdue.
    assert!(
        table.contains("11.3.1.2: attested -> attestation-overdue"),
        "{table}"
    );
    let o = run(&[
        "audit",
        "verify",
        "--data",
        path(&store),
        "--key",
        path(&log_pub),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn init_output_scans_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("baseline");
    let o = run(&["init", "--out", path(&out), "--namespace", "card-vault"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&["scan", path(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("0 open finding(s)"), "{}", stdout(&o));
    let o = run(&["init", "--out", path(&out)]);
    assert_eq!(o.status.code(), Some(2), "no silent overwrite");
    assert!(stderr(&o).contains("--force"));
    let o = run(&["init", "--out", path(&out), "--namespace", "Bad_Name"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Secret values and card numbers never reach the report or the logs.
#[test]
fn secret_values_never_reach_the_report() {
    let secrets = [
        "s3cr3t-Hunter2-value",
        "hunter2-literal-in-env",
        "4111111111111111",
    ];
    let manifest = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {{name: payments, labels: {{kubepci.io/scope: cde}}}}\n---\napiVersion: v1\nkind: Secret\nmetadata: {{name: db, namespace: payments}}\nstringData: {{password: {}}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: app, namespace: payments}}\ndata: {{DB_PASSWORD: {}, TEST_CARD: \"{}\"}}\n",
        secrets[0], secrets[1], secrets[2]
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("m.yaml");
    std::fs::write(&input, manifest).expect("write");
    for format in ["html", "json", "markdown"] {
        let o = bin()
            .args(["report", path(&input), "-f", format])
            .env("KUBEPCI_LOG", "trace")
            .output()
            .expect("runs");
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        for s in secrets {
            assert!(!stdout(&o).contains(s), "{format} report leaks {s}");
            assert!(!stderr(&o).contains(s), "{format} logs leak {s}");
        }
        assert!(
            stdout(&o).contains("KP3005"),
            "the credential is reported (masked)"
        );
        assert!(stderr(&o).contains("report made"), "logs are on");
    }
}
