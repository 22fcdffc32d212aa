//! `kubepci report --record --audit-url` against a real `kubepci audit serve` on loopback,
//! with mutual TLS: the summary lands in the log, under the client certificate's identity, and
//! `report history` reads it back verified.

mod audit_support;

use audit_support::{kubepci, setup};

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_report_is_recorded_through_the_audit_server() {
    let setup = setup();
    let s = |p: &std::path::Path| setup.s(p);
    let root = setup.root.path();
    let (cert, key) = setup.pki.client("ci-pipeline").expect("client cert");
    std::fs::write(root.join("ci.crt"), cert).expect("write");
    std::fs::write(root.join("ci.key"), key).expect("write");
    let prefix = root.join("report");
    let out = kubepci(&[
        "keys",
        "generate",
        "--name",
        "reports.test.example",
        "--out",
        &s(&prefix),
    ]);
    assert!(out.status.success(), "{}", text(&out));

    let server = setup.serve(&["--checkpoint-interval", "100ms"]);
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let url = format!("https://localhost:{}/v1/report", server.addr.port());
    let record = |extra: &[&str]| {
        let mut args = vec![
            "report".to_owned(),
            s(&workspace.join("examples/payments-platform")),
            "--as-of".into(),
            "2026-12-01".into(),
            "--sign".into(),
            s(&root.join("report.key")),
            "--record".into(),
            "--audit-url".into(),
            url.clone(),
            "--audit-ca".into(),
            s(&setup.files.ca),
            "-o".into(),
            s(&root.join("report.html")),
        ];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        kubepci(&refs)
    };
    // The server asks for a client certificate: without one the TLS handshake fails.
    let refused = record(&[]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    let ok = record(&[
        "--audit-client-cert",
        &s(&root.join("ci.crt")),
        "--audit-client-key",
        &s(&root.join("ci.key")),
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(text(&ok).contains("\"accepted\":1"), "{}", text(&ok));
    server.stop();

    let history = kubepci(&[
        "report",
        "history",
        "--audit-data",
        &s(&setup.data),
        "--key",
        &s(&root.join("report.pub")),
        "-f",
        "json",
    ]);
    assert_eq!(history.status.code(), Some(0), "{}", text(&history));
    let entries: serde_json::Value = serde_json::from_slice(&history.stdout).expect("JSON history");
    assert_eq!(entries.as_array().map(Vec::len), Some(1));
    assert_eq!(entries[0]["signature"], "verified");
    assert_eq!(entries[0]["source"], "ci-pipeline");
    let verify = kubepci(&[
        "audit",
        "verify",
        "--data",
        &s(&setup.data),
        "--key",
        &s(&setup.public),
    ]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}
