//! `kubepci keys` and `kubepci audit …` end to end, as an operator and an auditor use them.

mod audit_support;

use std::time::Duration;

use audit_support::{kubepci, setup};
use bytes::Bytes;
use kubepci_auditlog::testsupport::EventFactory;
use kubepci_https::client::Connection;
use kubepci_https::testcerts::client_config;

fn post_all(setup: &audit_support::Setup, addr: std::net::SocketAddr, bodies: Vec<String>) {
    let (cert, key) = setup.pki.client("apiserver-1").expect("client cert");
    let tls = client_config(setup.pki.ca_pem(), Some((&cert, &key)));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let mut conn = Connection::connect(addr, tls, "localhost")
            .await
            .expect("connect");
        for body in bodies {
            let (status, answer) = conn
                .post("/v1/k8s-audit", Bytes::from(body))
                .await
                .expect("post");
            assert_eq!(status, 200, "{answer:?}");
        }
    });
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn serve_verify_prove_query_prune() {
    let setup = setup();
    let s = |p: &std::path::Path| setup.s(p);
    // Keys are never overwritten.
    let again = kubepci(&[
        "keys",
        "generate",
        "--name",
        "x",
        "--out",
        &s(&setup.root.path().join("log")),
    ]);
    assert_eq!(again.status.code(), Some(2));

    // Run 1: webhook batches and a tailed log file.
    let log = setup.root.path().join("audit.log");
    let mut tailed = EventFactory::synthetic("file");
    let lines: String = (0..10).map(|_| tailed.next_event() + "\n").collect();
    std::fs::write(&log, lines).expect("write log");
    let server = setup.serve(&["--tail", &s(&log)]);
    let mut factory = EventFactory::synthetic("cli");
    post_all(
        &setup,
        server.addr,
        (0..3).map(|_| factory.event_list(100)).collect(),
    );
    let tail_dir = setup.data.join("tail");
    let log_len = std::fs::metadata(&log).expect("stat").len();
    let mut waited = 0;
    while std::fs::read_dir(&tail_dir)
        .ok()
        .and_then(|mut d| d.next())
        .and_then(|e| e.ok())
        .and_then(|e| std::fs::read_to_string(e.path()).ok())
        .is_none_or(|t| !t.trim().ends_with(&format!(" {log_len}")))
    {
        waited += 1;
        assert!(waited < 1500, "the log file was not followed");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.stop();
    let saved = setup.root.path().join("saved.checkpoint");
    std::fs::copy(setup.data.join("checkpoint"), &saved).expect("an auditor keeps a checkpoint");

    // Run 2: more batches in small segments, so that retention has something to prune.
    let server = setup.serve(&["--segment-size", "1KiB"]);
    post_all(
        &setup,
        server.addr,
        (0..4).map(|_| factory.event_list(100)).collect(),
    );
    server.stop();

    let verify = kubepci(&[
        "audit",
        "verify",
        "--data",
        &s(&setup.data),
        "--key",
        &s(&setup.public),
        "--checkpoint",
        &s(&saved),
    ]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    let out = text(&verify);
    assert!(
        out.contains("verification: OK") && out.contains("entries: 710"),
        "{out}"
    );
    assert!(out.contains("external checkpoint: consistent"), "{out}");

    // Inclusion proof, checked with only the proof, the event and the public key.
    let proof = setup.root.path().join("entry.tlog-proof");
    let event = setup.root.path().join("entry.json");
    let out = kubepci(&[
        "audit",
        "prove",
        "--data",
        &s(&setup.data),
        "--key",
        &s(&setup.public),
        "--index",
        "42",
        "--event-out",
        &s(&event),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    std::fs::write(&proof, &out.stdout).expect("write proof");
    let check = kubepci(&[
        "audit",
        "verify-proof",
        "--key",
        &s(&setup.public),
        "--proof",
        &s(&proof),
        "--event",
        &s(&event),
    ]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert!(text(&check).contains("OK: entry 42"), "{}", text(&check));
    std::fs::write(&event, b"{\"auditID\":\"forged\"}").expect("write");
    let check = kubepci(&[
        "audit",
        "verify-proof",
        "--key",
        &s(&setup.public),
        "--proof",
        &s(&proof),
        "--event",
        &s(&event),
    ]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));

    // Consistency proof from the saved checkpoint to the latest one.
    let old_size = 310;
    let latest = kubepci(&[
        "audit",
        "prove",
        "--data",
        &s(&setup.data),
        "--key",
        &s(&setup.public),
        "--consistency",
        &old_size.to_string(),
        "710",
    ]);
    assert_eq!(latest.status.code(), Some(0), "{}", text(&latest));
    let cons = setup.root.path().join("consistency.txt");
    std::fs::write(&cons, &latest.stdout).expect("write");
    assert!(String::from_utf8_lossy(&latest.stdout).starts_with("old 310\n"));
    let check = kubepci(&[
        "audit",
        "verify-proof",
        "--key",
        &s(&setup.public),
        "--proof",
        &s(&cons),
        "--old-checkpoint",
        &s(&saved),
    ]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));

    // Query.
    let out = kubepci(&[
        "audit",
        "query",
        "--data",
        &s(&setup.data),
        "--user",
        "alice",
        "--format",
        "raw",
        "--since",
        "2025-12-31T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 710);
    let out = kubepci(&[
        "audit",
        "query",
        "--data",
        &s(&setup.data),
        "--verb",
        "delete",
        "--format",
        "json",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 0);
    let out = kubepci(&[
        "audit",
        "query",
        "--data",
        &s(&setup.data),
        "--namespace",
        "default",
        "--format",
        "json",
        "--until",
        "2026-01-01T00:00:00.050Z",
    ]);
    let first = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(str::to_owned)
        .expect("a match");
    let parsed: serde_json::Value = serde_json::from_str(&first).expect("json line");
    assert_eq!(parsed["source"], "file:".to_owned() + &s(&log));
    assert_eq!(parsed["event"]["objectRef"]["namespace"], "default");
    let out = kubepci(&[
        "audit",
        "query",
        "--data",
        &s(&setup.data),
        "--format",
        "table",
        "--resource",
        "pods",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("SEQ"));

    // Retention: the synthetic events are from January 2026.
    let out = kubepci(&[
        "audit",
        "prune",
        "--data",
        &s(&setup.data),
        "--retain",
        "1d",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).starts_with("0 segment"), "{}", text(&out));
    let verify = kubepci(&[
        "audit",
        "verify",
        "--data",
        &s(&setup.data),
        "--key",
        &s(&setup.public),
    ]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    assert!(
        text(&verify).contains("pruned: entries 0.."),
        "{}",
        text(&verify)
    );

    // Tampering makes verify fail with exit code 1 and the position.
    let leaves = setup.data.join("leaves");
    let mut bytes = std::fs::read(&leaves).expect("leaves");
    bytes[600 * 256 + 30] ^= 1;
    std::fs::write(&leaves, bytes).expect("write");
    let verify = kubepci(&[
        "audit",
        "verify",
        "--data",
        &s(&setup.data),
        "--key",
        &s(&setup.public),
        "--format",
        "json",
    ]);
    assert_eq!(verify.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&verify.stdout).expect("json report");
    assert_eq!(report["problems"][0]["kind"], "edited-leaf");
    assert_eq!(report["problems"][0]["position"], 600);

    // Usage errors exit 2.
    let bad = kubepci(&[
        "audit",
        "verify",
        "--data",
        &s(&setup.data),
        "--key",
        &s(&saved),
    ]);
    assert_eq!(bad.status.code(), Some(2));
}
