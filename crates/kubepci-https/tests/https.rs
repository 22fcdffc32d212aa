//! Real TLS on 127.0.0.1 with generated certificates: protocol versions and suites, HTTP/1.1
//! and HTTP/2, certificate rotation under load, a bad rotation, graceful drain, and the
//! operations port.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use bytes::Bytes;
use kubepci_https::client::{Connection, Protocol};
use kubepci_https::ops::{Readiness, router as ops_router};
use kubepci_https::testcerts::{TestPki, client_config};
use kubepci_https::tls::{ServerTls, TlsFiles};
use kubepci_https::{ServeOptions, bind, serve, serve_plain};
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::sync::oneshot;

fn app() -> Router {
    Router::new()
        .route("/echo", post(|body: Bytes| async move { body }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(600)).await;
                "done"
            }),
        )
}

struct Server {
    addr: SocketAddr,
    tls: ServerTls,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(files: &TlsFiles) -> Self {
        let tls = ServerTls::load(files).expect("tls loads");
        let (listener, addr) = bind("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("bind");
        let (stop, stopped) = oneshot::channel::<()>();
        let config = tls.config.clone();
        let task = tokio::spawn(async move {
            serve(
                listener,
                config,
                app(),
                ServeOptions::default(),
                async move {
                    let _ = stopped.await;
                },
            )
            .await;
        });
        Self {
            addr,
            tls,
            stop: Some(stop),
            task,
        }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.expect("server task");
    }
}

fn write_pair(dir: &Path, cert: &str, key: &str) -> TlsFiles {
    std::fs::write(dir.join("tls.crt"), cert).expect("write cert");
    std::fs::write(dir.join("tls.key"), key).expect("write key");
    TlsFiles {
        cert: dir.join("tls.crt"),
        key: dir.join("tls.key"),
        client_ca: None,
    }
}

/// Replaces the pair the way the kubelet updates a mounted Secret: both files at once.
fn rotate(dir: &Path, cert: &str, key: &str) {
    let staging = dir.join("staging");
    std::fs::create_dir_all(&staging).expect("staging");
    std::fs::write(staging.join("tls.crt"), cert).expect("write cert");
    std::fs::write(staging.join("tls.key"), key).expect("write key");
    std::fs::rename(staging.join("tls.crt"), dir.join("tls.crt")).expect("swap cert");
    std::fs::rename(staging.join("tls.key"), dir.join("tls.key")).expect("swap key");
}

/// The leaf certificate a fresh connection is served.
async fn served_leaf(addr: SocketAddr, ca_pem: &str) -> CertificateDer<'static> {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let connector = tokio_rustls::TlsConnector::from(client_config(ca_pem, None));
    let stream = connector
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("handshake");
    stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .expect("a certificate")
        .clone()
        .into_owned()
}

fn leaf_of(pem: &str) -> CertificateDer<'static> {
    use rustls_pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .expect("one certificate")
        .expect("valid PEM")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_http1_and_http2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = TestPki::generate().expect("pki");
    let files = write_pair(dir.path(), &pki.server_cert_pem, &pki.server_key_pem);
    let server = Server::start(&files).await;
    for protocol in [Protocol::Http1, Protocol::Http2] {
        let mut conn = Connection::connect_with(
            server.addr,
            client_config(pki.ca_pem(), None),
            "localhost",
            protocol,
        )
        .await
        .expect("connects");
        for i in 0..3 {
            let body = format!("hello {i}");
            let (status, echoed) = conn
                .post("/echo", Bytes::from(body.clone()))
                .await
                .expect("request on a kept-alive connection");
            assert_eq!(status, 200);
            assert_eq!(echoed, body.as_bytes());
        }
    }
    server.stop().await;
}

/// The certificate is rotated while clients keep sending: no request fails, connections
/// opened after the rotation get the new certificate, connections already open keep working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_under_load_fails_no_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = TestPki::generate().expect("pki");
    let files = write_pair(dir.path(), &pki.server_cert_pem, &pki.server_key_pem);
    let server = Server::start(&files).await;
    let reload = tokio::spawn(
        server
            .tls
            .certificate
            .clone()
            .watch(Duration::from_millis(50)),
    );

    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut clients = Vec::new();
    for client in 0..4 {
        let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
        let (addr, ca) = (server.addr, pki.ca_pem().to_owned());
        clients.push(tokio::spawn(async move {
            // Half the clients keep one connection; the others reconnect every request, so
            // that handshakes straddle the rotation.
            let keep_alive = client % 2 == 0;
            let mut conn: Option<Connection> = None;
            while !stop.load(Ordering::Relaxed) {
                if conn.is_none() || !keep_alive {
                    match Connection::connect(addr, client_config(&ca, None), "localhost").await {
                        Ok(c) => conn = Some(c),
                        Err(_) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                    }
                }
                let Some(c) = conn.as_mut() else { continue };
                match c.post("/echo", Bytes::from_static(b"{}")).await {
                    Ok((status, _)) if status == 200 => {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }

    let before = served_leaf(server.addr, pki.ca_pem()).await;
    assert_eq!(before, leaf_of(&pki.server_cert_pem));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (new_cert, new_key) = pki.server().expect("new pair");
    rotate(dir.path(), &new_cert, &new_key);
    let expected = leaf_of(&new_cert);
    let mut rotated = false;
    for _ in 0..200 {
        if served_leaf(server.addr, pki.ca_pem()).await == expected {
            rotated = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(rotated, "new connections never got the rotated certificate");
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.expect("client task");
    }
    reload.abort();
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    assert!(ok > 50, "too little load to prove anything: {ok} requests");
    assert_eq!(failed, 0, "{failed} of {} requests failed", ok + failed);
    server.stop().await;
}

/// A rotation that installs a key of another certificate is refused: the old pair stays in
/// service until a matching pair arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mismatched_pair_keeps_the_old_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = TestPki::generate().expect("pki");
    let files = write_pair(dir.path(), &pki.server_cert_pem, &pki.server_key_pem);
    let server = Server::start(&files).await;
    let (other_cert, _) = pki.server().expect("pair");
    rotate(dir.path(), &other_cert, &pki.server_key_pem);
    let error = server
        .tls
        .certificate
        .reload_if_changed()
        .expect_err("mismatched pair is refused");
    assert!(error.to_string().contains("does not match"), "{error}");
    assert_eq!(
        served_leaf(server.addr, pki.ca_pem()).await,
        leaf_of(&pki.server_cert_pem)
    );
    std::fs::write(dir.path().join("tls.crt"), "not a certificate").expect("write");
    assert!(server.tls.certificate.reload_if_changed().is_err());
    let (cert, key) = pki.server().expect("pair");
    rotate(dir.path(), &cert, &key);
    assert!(server.tls.certificate.reload_if_changed().expect("loads"));
    assert_eq!(served_leaf(server.addr, pki.ca_pem()).await, leaf_of(&cert));
    assert!(server.tls.certificate.not_after().is_some());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_requests_in_flight() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = TestPki::generate().expect("pki");
    let files = write_pair(dir.path(), &pki.server_cert_pem, &pki.server_key_pem);
    let server = Server::start(&files).await;
    let mut conn = Connection::connect(server.addr, client_config(pki.ca_pem(), None), "localhost")
        .await
        .expect("connects");
    let slow = tokio::spawn(async move { conn.get("/slow").await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let addr = server.addr;
    server.stop().await;
    let (status, body) = slow
        .await
        .expect("task")
        .expect("the request in flight completes");
    assert_eq!(status, 200);
    assert_eq!(body, "done");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no new connection is accepted after shutdown"
    );
}

/// Only TLS 1.2 and 1.3 with forward-secret AEAD suites are negotiated (PCI DSS 4.2.1),
/// checked with OpenSSL's client, which can still offer the old ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_protocols_and_weak_suites_are_refused() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("KUBEPCI_REQUIRE_SHARED").is_none(),
            "openssl is required under CI"
        );
        eprintln!("skipping: openssl is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = TestPki::generate().expect("pki");
    let files = write_pair(dir.path(), &pki.server_cert_pem, &pki.server_key_pem);
    let server = Server::start(&files).await;
    let connect = server.addr.to_string();
    let attempt = move |args: &'static [&'static str]| {
        let connect = connect.clone();
        tokio::task::spawn_blocking(move || {
            let output = std::process::Command::new("openssl")
                .args(["s_client", "-connect", &connect, "-brief"])
                .args(args)
                .stdin(std::process::Stdio::null())
                .output()
                .expect("openssl runs");
            let text = String::from_utf8_lossy(&output.stderr).into_owned()
                + &String::from_utf8_lossy(&output.stdout);
            (output.status.success(), text)
        })
    };
    let (ok, text) = attempt(&["-tls1_3"]).await.expect("task");
    assert!(ok && text.contains("TLSv1.3"), "TLS 1.3 works: {text}");
    let (ok, text) = attempt(&["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"])
        .await
        .expect("task");
    assert!(
        ok && text.contains("TLSv1.2"),
        "TLS 1.2 with AEAD works: {text}"
    );
    for refused in [
        &["-tls1_1"][..],
        &["-tls1"][..],
        &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"][..],
        &["-tls1_2", "-cipher", "AES128-GCM-SHA256"][..],
    ] {
        let (ok, text) = attempt(refused).await.expect("task");
        assert!(!ok, "{refused:?} must be refused: {text}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_port_reports_readiness_and_metrics() {
    use prometheus_client::metrics::counter::Counter;
    let mut registry = prometheus_client::registry::Registry::default();
    let requests: Counter = Counter::default();
    registry.register("test_requests", "Requests seen", requests.clone());
    requests.inc_by(3);
    let readiness = Readiness::waiting("loading the context");
    let refreshed = Arc::new(AtomicU64::new(0));
    let counter = refreshed.clone();
    let app = ops_router(
        Arc::new(registry),
        readiness.clone(),
        Arc::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        }),
    );
    let (listener, addr) = bind("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_plain(
        listener,
        app,
        ServeOptions::default(),
        async move {
            let _ = stopped.await;
        },
    ));
    let get = |path: &'static str| async move {
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
                .await
                .expect("handshake");
        tokio::spawn(conn);
        let request = hyper::Request::get(path)
            .header("host", "localhost")
            .body(http_body_util::Empty::<Bytes>::new())
            .expect("request");
        let response = sender.send_request(request).await.expect("response");
        let status = response.status();
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .expect("body")
            .to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    };
    let (status, body) = get("/readyz").await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (503, "loading the context")
    );
    readiness.set_ready();
    assert_eq!(get("/readyz").await.0, 200);
    assert_eq!(get("/healthz").await.0, 200);
    let (status, body) = get("/metrics").await;
    assert_eq!(status, 200);
    assert!(body.contains("test_requests_total 3"), "{body}");
    assert_eq!(refreshed.load(Ordering::Relaxed), 1);
    let _ = stop.send(());
    task.await.expect("server task");
}
