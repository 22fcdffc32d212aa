//! An in-process webhook on 127.0.0.1 with generated certificates.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kubepci_engine::admission::{Admitter, ContextStore};
use kubepci_engine::{RuleSelection, ScanOptions, load_config};
use kubepci_https::client::{Connection, Protocol};
use kubepci_https::testcerts::{TestPki, client_config};
use kubepci_https::tls::{ServerTls, TlsFiles};
use kubepci_k8s::{KindFilter, load};
use kubepci_webhook::{Bound, RunOptions, SharedContext};
use time::macros::date;
use tokio::sync::oneshot;

pub const CONTEXT: &str = "apiVersion: v1
kind: Namespace
metadata: {name: pay, labels: {kubepci.io/scope: cde}}
---
apiVersion: v1
kind: Namespace
metadata: {name: misc}
";

pub struct Server {
    pub bound: Bound,
    pub pki: TestPki,
    pub context: Arc<SharedContext>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

pub struct Setup<'a> {
    pub config: &'a str,
    pub context: Option<&'a str>,
    pub deadline: Duration,
    pub max_body: usize,
    pub verifier: Option<Arc<kubepci_imagesig::Verifier>>,
    /// Only these rules (all when empty).
    pub only: &'a [&'a str],
}

impl Default for Setup<'_> {
    fn default() -> Self {
        Self {
            config: "{}",
            context: Some(CONTEXT),
            deadline: Duration::from_secs(3),
            max_body: 1 << 20,
            verifier: None,
            only: &[],
        }
    }
}

pub fn admitter(config: &str) -> Admitter {
    admitter_with(config, &[])
}

pub fn admitter_with(config: &str, only: &[&str]) -> Admitter {
    let config = load_config("kubepci.yaml", config).expect("valid config");
    let rules = RuleSelection {
        only: only.iter().map(|s| (*s).to_owned()).collect(),
        skip: Vec::new(),
    }
    .resolve(&config.disabled)
    .expect("rules");
    Admitter::new(ScanOptions {
        config,
        rules,
        waivers: None,
        default_namespace: None,
        as_of: date!(2026 - 06 - 01),
    })
}

impl Server {
    pub async fn start(setup: Setup<'_>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let pki = TestPki::generate().expect("certificates");
        let files = pki.write(dir.path()).expect("write");
        let tls = ServerTls::load(&TlsFiles {
            cert: files.server_cert.clone(),
            key: files.server_key.clone(),
            client_ca: None,
        })
        .expect("tls");
        let context = Arc::new(match setup.context {
            Some(text) => SharedContext::fixed(ContextStore::from_objects(
                load("context.yaml", text.as_bytes(), &KindFilter::All, None).objects,
            )),
            None => SharedContext::waiting(),
        });
        let options = RunOptions {
            admitter: admitter_with(setup.config, setup.only),
            context: context.clone(),
            listen: "127.0.0.1:0".parse().expect("addr"),
            ops_listen: "127.0.0.1:0".parse().expect("addr"),
            tls,
            reload_interval: Duration::from_secs(5),
            own_namespace: Some("kubepci-system".to_owned()),
            deadline: setup.deadline,
            max_body_bytes: setup.max_body,
            max_concurrent: 8,
            shutdown_delay: Duration::ZERO,
            verifier: setup.verifier,
        };
        let (bound_tx, bound_rx) = oneshot::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            kubepci_webhook::run(
                options,
                move |bound| {
                    let _ = bound_tx.send(bound);
                },
                async move {
                    let _ = stopped.await;
                },
            )
            .await
            .expect("serves");
        });
        let bound = bound_rx.await.expect("started");
        Self {
            bound,
            pki,
            context,
            stop: Some(stop),
            task,
            _dir: dir,
        }
    }

    pub async fn connect(&self, protocol: Protocol) -> Connection {
        Connection::connect_with(
            self.bound.api,
            client_config(self.pki.ca_pem(), None),
            "localhost",
            protocol,
        )
        .await
        .expect("connects")
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.expect("server task");
    }
}

/// A plain-HTTP GET on the operations port.
pub async fn ops_get(server: &Server, path: &str) -> (u16, String) {
    let tcp = tokio::net::TcpStream::connect(server.bound.ops)
        .await
        .expect("connect");
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
    let status = response.status().as_u16();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// An AdmissionReview for `object` (JSON) in `namespace`.
pub fn review(uid: &str, namespace: &str, operation: &str, object: &str) -> Vec<u8> {
    let object: serde_json::Value = serde_json::from_str(object).expect("object JSON");
    let kind = object["kind"].as_str().unwrap_or("Pod").to_owned();
    let api_version = object["apiVersion"].as_str().unwrap_or("v1").to_owned();
    let (group, version) = api_version.split_once('/').unwrap_or(("", &api_version));
    serde_json::to_vec(&serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": "pods"},
            "namespace": namespace,
            "operation": operation,
            "userInfo": {"username": "alice", "groups": ["dev"]},
            "object": object,
            "dryRun": false,
        }
    }))
    .expect("JSON")
}

pub const PRIVILEGED_POD: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"debug","namespace":"pay"},"spec":{"containers":[{"name":"app","image":"registry.example.com/app:1.0","securityContext":{"privileged":true}}]}}"#;

pub async fn post(conn: &mut Connection, body: Vec<u8>) -> (u16, serde_json::Value) {
    post_to(conn, "/validate", body).await
}

pub async fn post_to(conn: &mut Connection, path: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
    let (status, body) = conn.post(path, Bytes::from(body)).await.expect("an answer");
    (
        status.as_u16(),
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    )
}
