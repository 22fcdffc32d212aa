//! The HTTP API through `Router::oneshot` (no sockets).

mod common;

use common::{app, app_with, call, signer};
use kubepci_auditlog::StoreConfig;
use kubepci_auditlog::reader::StoreReader;
use kubepci_auditlog::store::DiskFault;
use kubepci_auditlog::testsupport::EventFactory;

#[tokio::test]
async fn webhook_batches_are_stored_once_with_their_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path());
    let mut factory = EventFactory::synthetic("r");
    let list = factory.event_list(400);
    let (status, body, _) = call(
        &app.router,
        "POST",
        "/v1/k8s-audit",
        list.clone(),
        Some("apiserver-1"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, r#"{"accepted":400,"duplicates":0,"treeSize":400}"#);
    // The apiserver retries a batch whose answer it lost.
    let (status, body, _) = call(
        &app.router,
        "POST",
        "/v1/k8s-audit",
        list,
        Some("apiserver-1"),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (200, r#"{"accepted":0,"duplicates":400,"treeSize":400}"#)
    );
    // A single Event, and an event without a client certificate.
    let one = factory.next_event();
    let (status, _, _) = call(&app.router, "POST", "/v1/k8s-audit", one, None).await;
    assert_eq!(status, 200);
    let (status, _, _) = call(&app.router, "GET", "/v1/checkpoint", "", None).await;
    assert_eq!(status, 503, "no checkpoint before the first interval");
    drop(app.router);
    let store = app.writer.shutdown().expect("writer stops");
    assert_eq!(store.checkpoint_size(), Some(401));
    drop(store);
    let reader = StoreReader::open(dir.path()).expect("reader");
    assert_eq!(
        reader.leaf(0).expect("leaf").source.display(),
        "apiserver-1"
    );
    assert_eq!(
        reader.leaf(400).expect("leaf").source.display(),
        "anonymous"
    );
}

#[tokio::test]
async fn bad_and_oversized_bodies_are_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app_with(StoreConfig::new(dir.path()), 4096);
    let (status, body, _) = call(&app.router, "POST", "/v1/k8s-audit", "{\"kind\": 0}", None).await;
    assert_eq!(status, 400);
    assert!(body.contains("auditID"), "{body}");
    let (status, _, _) = call(&app.router, "POST", "/v1/k8s-audit", "not json", None).await;
    assert_eq!(status, 400);
    let big = EventFactory::synthetic("big").event_list(10);
    let (status, _, _) = call(&app.router, "POST", "/v1/k8s-audit", big, None).await;
    assert_eq!(status, 413);
    let (status, _, _) = call(&app.router, "GET", "/healthz", "", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn falco_alerts_have_their_own_endpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path());
    let alerts = r#"[{"uuid":"a1","output":"Pod started with privileged container","priority":"Warning","rule":"Create Privileged Pod","time":"2026-01-01T00:00:00.000000000Z","output_fields":{"ka.user.name":"alice"},"source":"k8s_audit","tags":["k8s"],"hostname":"falco-0"},{"uuid":"a2","output":"x","priority":"Notice","rule":"r","time":"2026-01-01T00:00:01Z","output_fields":{}}]"#;
    let (status, body, _) = call(&app.router, "POST", "/v1/falco", alerts, Some("falco")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (200, r#"{"accepted":2,"duplicates":0,"treeSize":2}"#)
    );
    let single = r#"{"uuid":"a3","output":"y","rule":"r","time":"2026-01-01T00:00:02Z"}"#;
    let (status, _, _) = call(&app.router, "POST", "/v1/falco", single, Some("falco")).await;
    assert_eq!(status, 200);
    drop(app.router);
    drop(app.writer.shutdown().expect("writer stops"));
    let reader = StoreReader::open(dir.path()).expect("reader");
    assert_eq!(
        reader.leaf(0).expect("leaf").kind,
        kubepci_auditlog::EventKind::FalcoAlert
    );
}

#[tokio::test]
async fn report_summaries_have_their_own_endpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path());
    let summary = r#"{"kind":"kubepci.report-summary/v1","reportDigest":"sha256:1f","generatedAt":"2026-12-01T09:30:00Z","statuses":{}}"#;
    let (status, body, _) = call(&app.router, "POST", "/v1/report", summary, Some("ci")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (200, r#"{"accepted":1,"duplicates":0,"treeSize":1}"#)
    );
    // The same report recorded twice is stored once.
    let (_, body, _) = call(&app.router, "POST", "/v1/report", summary, Some("ci")).await;
    assert_eq!(body, r#"{"accepted":0,"duplicates":1,"treeSize":1}"#);
    // Anything else is refused.
    let (status, _, _) = call(
        &app.router,
        "POST",
        "/v1/report",
        r#"{"kind":"EventList"}"#,
        None,
    )
    .await;
    assert_eq!(status, 400);
    drop(app.router);
    drop(app.writer.shutdown().expect("writer stops"));
    let reader = StoreReader::open(dir.path()).expect("reader");
    assert_eq!(
        reader.leaf(0).expect("leaf").kind,
        kubepci_auditlog::EventKind::ReportSummary
    );
}

#[tokio::test]
async fn a_full_disk_answers_503_and_the_retry_succeeds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fault = DiskFault::after(0);
    let mut cfg = StoreConfig::new(dir.path());
    cfg.fault = Some(fault.clone());
    let app = app_with(cfg, 12 << 20);
    let list = EventFactory::synthetic("full").event_list(50);
    let (status, _, headers) = call(
        &app.router,
        "POST",
        "/v1/k8s-audit",
        list.clone(),
        Some("a"),
    )
    .await;
    assert_eq!(status, 503);
    assert_eq!(
        headers.get("retry-after").map(|v| v.as_bytes()),
        Some(&b"5"[..])
    );
    fault.set_budget(i64::MAX / 2);
    let (status, body, _) = call(&app.router, "POST", "/v1/k8s-audit", list, Some("a")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (200, r#"{"accepted":50,"duplicates":0,"treeSize":50}"#)
    );
    drop(app.router);
    drop(app.writer.shutdown().expect("writer stops"));
    let report =
        kubepci_auditlog::verify_store(dir.path(), &signer().verifier(), None).expect("verify");
    assert!(report.is_ok(), "{report:#?}");
}
