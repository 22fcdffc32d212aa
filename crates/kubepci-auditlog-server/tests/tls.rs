//! Real HTTPS with mutual TLS on 127.0.0.1, with certificates generated for the test, through
//! the whole `run` lifecycle (graceful shutdown signs the final checkpoint).

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::signer;
use kubepci_auditlog::reader::StoreReader;
use kubepci_auditlog::testsupport::EventFactory;
use kubepci_auditlog::{StoreConfig, WriterConfig};
use kubepci_auditlog_server::{RunOptions, run};
use kubepci_https::client::Connection;
use kubepci_https::testcerts::{TestPki, client_config};
use kubepci_https::tls::{ServerTls, TlsFiles};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_identifies_the_client_and_shutdown_signs_a_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let certs = tempfile::tempdir().expect("tempdir");
    let pki = TestPki::generate().expect("certificates");
    let files = pki.write(certs.path()).expect("write certificates");
    let tls = ServerTls::load(&TlsFiles {
        cert: files.server_cert.clone(),
        key: files.server_key.clone(),
        client_ca: Some(files.ca.clone()),
    })
    .expect("tls config");
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let options = RunOptions {
        store: StoreConfig::new(dir.path()),
        signer: signer(),
        listen: "127.0.0.1:0".parse().expect("addr"),
        tls,
        writer: WriterConfig {
            checkpoint_interval: Duration::from_millis(100),
            ..WriterConfig::default()
        },
        tails: Vec::new(),
        retain: None,
        max_body_bytes: 12 << 20,
        max_concurrent_requests: 16,
        commit_timeout: Duration::from_secs(20),
    };
    let server = tokio::spawn(run(
        options,
        move |addr| {
            let _ = addr_tx.send(addr);
        },
        async move {
            let _ = stop_rx.await;
        },
    ));
    let addr = addr_rx.await.expect("server started");

    let (cert, key) = pki.client("apiserver-7").expect("client cert");
    let client = client_config(pki.ca_pem(), Some((&cert, &key)));
    let mut conn = Connection::connect(addr, client, "localhost")
        .await
        .expect("mTLS connects");
    let mut factory = EventFactory::synthetic("tls");
    for _ in 0..3 {
        let (status, body) = conn
            .post("/v1/k8s-audit", Bytes::from(factory.event_list(100)))
            .await
            .expect("post");
        assert_eq!(status, 200, "{body:?}");
    }
    // The checkpoint appears once the interval passes (no timing assertion: wait for it).
    let mut tries = 0;
    loop {
        let (status, body) = conn.get("/v1/checkpoint").await.expect("get");
        if status == 200 {
            let note = String::from_utf8(body.to_vec()).expect("utf-8");
            assert!(note.starts_with(common::ORIGIN), "{note}");
            break;
        }
        tries += 1;
        assert!(tries < 600, "no checkpoint was signed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Without a client certificate, or trusting another CA, nothing gets through.
    let anonymous = client_config(pki.ca_pem(), None);
    let refused = match Connection::connect(addr, anonymous, "localhost").await {
        Err(_) => true,
        Ok(mut c) => c
            .post("/v1/k8s-audit", Bytes::from(factory.event_list(1)))
            .await
            .is_err(),
    };
    assert!(refused, "a client without a certificate was served");
    let other = TestPki::generate().expect("other pki");
    assert!(
        Connection::connect(addr, client_config(other.ca_pem(), None), "localhost")
            .await
            .is_err(),
        "the client trusted a server certificate from another CA"
    );

    // One more batch, then a graceful stop: the final checkpoint covers everything.
    let (status, _) = conn
        .post(
            "/v1/falco",
            Bytes::from_static(
                br#"{"uuid":"f1","output":"o","rule":"r","time":"2026-01-01T00:00:00Z"}"#,
            ),
        )
        .await
        .expect("post");
    assert_eq!(status, 200);
    drop(conn);
    stop_tx.send(()).expect("server is running");
    let summary = server.await.expect("server task").expect("server ran");
    assert_eq!(summary.entries, 301);
    assert_eq!(summary.checkpoint_size, Some(301));
    let reader = StoreReader::open(dir.path()).expect("reader");
    assert_eq!(
        reader.leaf(0).expect("leaf").source.display(),
        "apiserver-7"
    );
    let report =
        kubepci_auditlog::verify_store(dir.path(), &signer().verifier(), None).expect("verify");
    assert!(report.is_ok(), "{report:#?}");
}
