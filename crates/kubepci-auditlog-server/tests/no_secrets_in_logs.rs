//! Audit events can carry Secret data (requestObject/responseObject): ingest logs at every
//! level must never contain event bodies. This test captures all log output of an ingest and a
//! rejected batch that carry a secret value and asserts the value is absent.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{app, call};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secret_values_never_reach_the_logs() {
    const SECRET: &str = "s3cr3t-p4ssw0rd-value";
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .init();

    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path());
    let event = format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"sec-1","stage":"ResponseComplete","verb":"create","user":{{"username":"alice"}},"objectRef":{{"resource":"secrets","namespace":"cde","name":"db"}},"requestObject":{{"kind":"Secret","stringData":{{"password":"{SECRET}"}}}},"responseObject":{{"kind":"Secret","data":{{"password":"{SECRET}"}}}},"stageTimestamp":"2026-01-01T00:00:00Z"}}"#
    );
    let (status, _, _) = call(
        &app.router,
        "POST",
        "/v1/k8s-audit",
        format!("[{event}]"),
        Some("apiserver-1"),
    )
    .await;
    assert_eq!(status, 200);
    // A rejected body with the secret in it (missing auditID, then broken JSON).
    let bad = event.replace("\"auditID\":\"sec-1\",", "");
    let (status, _, _) = call(
        &app.router,
        "POST",
        "/v1/k8s-audit",
        bad,
        Some("apiserver-1"),
    )
    .await;
    assert_eq!(status, 400);
    let broken = format!("{{\"items\":[{{\"password\":\"{SECRET}\"");
    let (status, body, _) = call(
        &app.router,
        "POST",
        "/v1/k8s-audit",
        broken,
        Some("apiserver-1"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(!body.contains(SECRET), "error answers do not echo bodies");
    // A card-number-like value where a string is expected must not be quoted in the error.
    let typed = r#"[{"auditID":4111111111111111,"stage":"ResponseComplete"}]"#;
    let (status, body, _) = call(
        &app.router,
        "POST",
        "/v1/k8s-audit",
        typed,
        Some("apiserver-1"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(!body.contains("4111111111111111"), "{body}");
    drop(app.router);
    drop(app.writer.shutdown().expect("writer stops"));

    let logs =
        String::from_utf8(capture.0.lock().expect("capture lock").clone()).expect("utf-8 logs");
    assert!(
        logs.contains("batch stored"),
        "logging was captured: {logs}"
    );
    assert!(
        !logs.contains(SECRET),
        "a secret leaked into the logs:\n{logs}"
    );
    assert!(
        !logs.contains("4111111111111111"),
        "a card number leaked into the logs:\n{logs}"
    );
}
