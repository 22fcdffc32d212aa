//! The webhook over real TLS on 127.0.0.1: answers, HTTP/1.1 and HTTP/2, malformed and
//! oversized bodies, the deadline, readiness, metrics.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{PRIVILEGED_POD, Server, Setup, ops_get, post, review};
use kubepci_https::client::Protocol;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denies_with_rule_ids_over_http1_and_http2() {
    let server = Server::start(Setup::default()).await;
    for protocol in [Protocol::Http1, Protocol::Http2] {
        let mut conn = server.connect(protocol).await;
        for i in 0..3 {
            let uid = format!("uid-{protocol:?}-{i}");
            let (status, answer) =
                post(&mut conn, review(&uid, "pay", "CREATE", PRIVILEGED_POD)).await;
            assert_eq!(status, 200);
            assert_eq!(answer["apiVersion"], "admission.k8s.io/v1");
            assert_eq!(answer["kind"], "AdmissionReview");
            let response = &answer["response"];
            assert_eq!(response["uid"], uid.as_str());
            assert_eq!(response["allowed"], false);
            assert_eq!(response["status"]["code"], 403);
            let message = response["status"]["message"].as_str().expect("message");
            assert!(message.contains("KP1001 privileged-container"), "{message}");
            assert_eq!(response["auditAnnotations"]["mode"], "enforce");
            assert_eq!(response["auditAnnotations"]["scope"], "cde");
        }
        // A compliant pod in the same namespace is allowed.
        let good = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"ok","namespace":"pay"},"spec":{"containers":[{"name":"app","image":"registry.example.com/app:1.0"}]}}"#;
        let (_, answer) = post(
            &mut conn,
            review(
                "u-warn",
                "misc",
                "CREATE",
                &good.replace("\"pay\"", "\"misc\""),
            ),
        )
        .await;
        assert_eq!(answer["response"]["allowed"], true);
        assert!(
            answer["response"]["warnings"]
                .as_array()
                .is_some_and(|w| !w.is_empty()),
            "unscoped namespaces warn: {answer}"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_oversized_bodies_get_http_errors() {
    let server = Server::start(Setup {
        max_body: 64 << 10,
        ..Setup::default()
    })
    .await;
    let mut conn = server.connect(Protocol::Http1).await;
    for body in [
        &b"{not json"[..],
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#,
        br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u","kind":{},"operation":"CREATE"}}"#,
        b"",
    ] {
        let (status, answer) = conn
            .post("/validate", Bytes::copy_from_slice(body))
            .await
            .expect("an answer");
        assert_eq!(status, 400, "{}", String::from_utf8_lossy(body));
        let error: serde_json::Value = serde_json::from_slice(&answer).expect("a JSON error");
        assert!(error["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let huge = vec![b' '; 65 << 10];
    let (status, _) = conn
        .post("/validate", Bytes::from(huge))
        .await
        .expect("answer");
    assert_eq!(status, 413);
    // The connection and the server survive.
    let (status, _) = post(
        &mut server.connect(Protocol::Http1).await,
        review("u", "pay", "CREATE", PRIVILEGED_POD),
    )
    .await;
    assert_eq!(status, 200);
    // An AdmissionReview whose object is not an object is answered, failing closed.
    let broken = serde_json::to_vec(&serde_json::json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "u-b", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "namespace": "pay", "operation": "CREATE", "object": {"metadata": []}}
    }))
    .expect("JSON");
    let (status, answer) = post(&mut conn, broken).await;
    assert_eq!(status, 200);
    assert_eq!(answer["response"]["allowed"], false);
    assert!(
        answer["response"]["status"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("could not check")),
        "{answer}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_deadline_follows_the_failure_policy() {
    let closed = Server::start(Setup {
        deadline: Duration::ZERO,
        ..Setup::default()
    })
    .await;
    let mut conn = closed.connect(Protocol::Http1).await;
    let (status, answer) = post(&mut conn, review("u", "pay", "CREATE", PRIVILEGED_POD)).await;
    assert_eq!(status, 200);
    assert_eq!(answer["response"]["allowed"], false);
    let message = answer["response"]["status"]["message"]
        .as_str()
        .expect("message");
    assert!(message.contains("could not check"), "{message}");
    // DELETE needs no evaluation: answered whatever the deadline.
    let delete = review("u-d", "pay", "DELETE", PRIVILEGED_POD);
    let (_, answer) = post(&mut conn, delete).await;
    assert_eq!(answer["response"]["allowed"], true);
    let (_, metrics) = ops_get(&closed, "/metrics").await;
    assert!(
        metrics.contains(
            r#"kubepci_webhook_requests_total{kind="Pod",operation="CREATE",decision="error"} 1"#
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            r#"kubepci_webhook_requests_total{kind="Pod",operation="DELETE",decision="skip"} 1"#
        ),
        "{metrics}"
    );
    closed.stop().await;

    let open = Server::start(Setup {
        deadline: Duration::ZERO,
        config: "admission:\n  failurePolicy: ignore\n",
        ..Setup::default()
    })
    .await;
    let mut conn = open.connect(Protocol::Http1).await;
    let (_, answer) = post(&mut conn, review("u", "pay", "CREATE", PRIVILEGED_POD)).await;
    assert_eq!(answer["response"]["allowed"], true);
    assert!(
        answer["response"]["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("could not check"))
    );
    open.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_once_the_context_is_synced() {
    let server = Server::start(Setup {
        context: None,
        ..Setup::default()
    })
    .await;
    let (status, reason) = ops_get(&server, "/readyz").await;
    assert_eq!(status, 503);
    assert!(reason.contains("context"), "{reason}");
    assert_eq!(ops_get(&server, "/healthz").await.0, 200);
    server.context.mark_synced();
    let mut ready = false;
    for _ in 0..100 {
        if ops_get(&server, "/readyz").await.0 == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ready, "never became ready");
    let (_, metrics) = ops_get(&server, "/metrics").await;
    assert!(
        metrics.contains("kubepci_webhook_context_synced 1"),
        "{metrics}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_findings_and_latency() {
    let server = Server::start(Setup::default()).await;
    let mut conn = server.connect(Protocol::Http2).await;
    for i in 0..5 {
        post(
            &mut conn,
            review(&format!("u{i}"), "pay", "CREATE", PRIVILEGED_POD),
        )
        .await;
    }
    let lease = r#"{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"l","namespace":"pay"}}"#;
    post(&mut conn, review("u-l", "pay", "UPDATE", lease)).await;
    let (status, metrics) = ops_get(&server, "/metrics").await;
    assert_eq!(status, 200);
    for expected in [
        r#"kubepci_webhook_requests_total{kind="Pod",operation="CREATE",decision="deny"} 5"#,
        r#"kubepci_webhook_requests_total{kind="other",operation="UPDATE",decision="skip"} 1"#,
        r#"kubepci_webhook_findings_total{rule="KP1001",action="deny"} 5"#,
        "kubepci_webhook_request_duration_seconds_count 6",
        r#"kubepci_webhook_request_duration_seconds_bucket{le="0.0001"}"#,
        "kubepci_webhook_context_objects 2",
        "kubepci_webhook_context_age_seconds",
        "kubepci_webhook_certificate_expiry_timestamp",
        "kubepci_webhook_in_flight 0",
    ] {
        assert!(metrics.contains(expected), "missing {expected}:\n{metrics}");
    }
    server.stop().await;
}
