//! Helpers for the server's tests.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kubepci_auditlog::{Store, StoreConfig, Writer, WriterConfig, spawn_writer};
use kubepci_auditlog_server::{AppState, ClientIdentity, router};
use kubepci_checkpoint::NoteSigner;
use tower::ServiceExt;

pub const ORIGIN: &str = "audit.test/server";

pub fn signer() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, [8; 32])
}

pub struct App {
    pub router: Router,
    pub writer: Writer,
}

pub fn app_with(cfg: StoreConfig, max_body: usize) -> App {
    let dir = cfg.dir.clone();
    let (store, _) = Store::open(cfg).expect("store opens");
    let (appender, writer) =
        spawn_writer(store, signer(), WriterConfig::default()).expect("writer");
    let state = Arc::new(AppState {
        appender,
        data_dir: dir,
        max_body_bytes: max_body,
        max_concurrent_requests: 8,
        commit_timeout: Duration::from_secs(20),
    });
    App {
        router: router(state),
        writer,
    }
}

pub fn app(dir: &Path) -> App {
    app_with(StoreConfig::new(dir), 12 * 1024 * 1024)
}

pub async fn call(
    router: &Router,
    method: &str,
    path: &str,
    body: impl Into<Body>,
    identity: Option<&str>,
) -> (StatusCode, String, axum::http::HeaderMap) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(body.into())
        .expect("valid request");
    if let Some(id) = identity {
        request.extensions_mut().insert(ClientIdentity(id.into()));
    }
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        String::from_utf8_lossy(&bytes).into_owned(),
        headers,
    )
}
