//! The webhook never echoes a Secret's value, a password or a card number: not in a log line,
//! not in a metric label, not in an answer (findings carry masked forms only).

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{Server, Setup, ops_get, post, review};
use kubepci_https::client::Protocol;

const PASSWORD: &str = "Sup3rS3cret!Pw-7731";
const CARD: &str = "4111111111111111";
const CARD_SPACED: &str = "4111 1111 1111 1111";
const MASKED: &str = "411111******1111";

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_line_metric_or_answer_holds_a_secret_or_a_card_number() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .init();

    let server = Server::start(Setup::default()).await;
    let mut conn = server.connect(Protocol::Http1).await;
    let secret = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db", "namespace": "pay", "annotations": {"note": CARD_SPACED}},
        "type": "Opaque",
        "stringData": {"password": PASSWORD, "pan": CARD},
        "data": {"token": "U3VwM3JTM2NyZXQhUHctNzczMQ=="}
    });
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("checkout-{CARD}"), "namespace": "pay", "labels": {"card": CARD}},
        "spec": {"containers": [{
            "name": "app", "image": "registry.example.com/app:1.0",
            "env": [
                {"name": "DB_PASSWORD", "value": PASSWORD},
                {"name": "TEST_CARD", "value": CARD_SPACED}
            ]
        }]}
    });
    let config_map = serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": "pay"},
        "data": {"db_password": PASSWORD, "card": CARD}
    });
    let mut answers = String::new();
    for (uid, object) in [
        ("u-secret", &secret),
        ("u-pod", &pod),
        ("u-cm", &config_map),
    ] {
        let (status, answer) =
            post(&mut conn, review(uid, "pay", "CREATE", &object.to_string())).await;
        assert_eq!(status, 200, "{answer}");
        answers.push_str(&answer.to_string());
    }
    // A malformed review that carries the values in an unexpected place.
    let (status, body) = conn
        .post(
            "/validate",
            bytes::Bytes::from(format!(
                r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":["{PASSWORD}","{CARD}"]}}}}"#
            )),
        )
        .await
        .expect("answer");
    assert_eq!(status, 400);
    answers.push_str(&String::from_utf8_lossy(&body));
    let (_, metrics) = ops_get(&server, "/metrics").await;
    server.stop().await;

    let logs = String::from_utf8(buffer.0.lock().expect("log buffer").clone()).expect("UTF-8");
    assert!(logs.matches("admission decision").count() >= 3, "{logs}");
    for (what, text) in [
        ("logs", &logs),
        ("metrics", &metrics),
        ("answers", &answers),
    ] {
        for forbidden in [PASSWORD, CARD, CARD_SPACED, "U3VwM3JTM2NyZXQh"] {
            assert!(
                !text.contains(forbidden),
                "{what} contain `{forbidden}`:\n{text}"
            );
        }
    }
    assert!(
        answers.contains(MASKED),
        "findings name card numbers by their masked form: {answers}"
    );
    assert!(
        logs.contains(&format!("checkout-{MASKED}")),
        "names are logged masked: {logs}"
    );
}
