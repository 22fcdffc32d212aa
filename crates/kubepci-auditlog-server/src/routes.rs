//! The HTTP API.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use kubepci_auditlog::{
    Appender, DecodeError, DecodedEvent, IncomingBatch, StoreError, decode_audit_events,
    decode_falco_alerts, decode_report_summary,
};
use serde::Serialize;

use crate::detect::Detection;
use crate::error::ApiError;
use crate::metrics::AuditMetrics;
use kubepci_https::ClientIdentity;

/// Shared state of the handlers.
#[derive(Debug)]
pub struct AppState {
    /// Submits batches to the group-commit writer.
    pub appender: Appender,
    /// The store's data directory (for `GET /v1/checkpoint`).
    pub data_dir: PathBuf,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Most requests handled at once.
    pub max_concurrent_requests: usize,
    /// How long a request waits for its batch to become durable before answering 503.
    pub commit_timeout: Duration,
    /// Detection on audit events and the forwarding of alerts.
    pub detection: Arc<Detection>,
    /// The server's metrics.
    pub metrics: Arc<AuditMetrics>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    accepted: u32,
    duplicates: u32,
    tree_size: u64,
}

/// The router. Every request passes a concurrency limit; bodies above the limit get 413.
/// Requests without a [`ClientIdentity`] extension (no TLS client certificate) are recorded as
/// `anonymous`.
pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.max_body_bytes;
    let concurrency = state.max_concurrent_requests.max(1);
    Router::new()
        .route("/v1/k8s-audit", post(ingest_audit))
        .route("/v1/falco", post(ingest_falco))
        .route("/v1/report", post(ingest_report))
        .route("/v1/checkpoint", get(checkpoint))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower::limit::ConcurrencyLimitLayer::new(concurrency))
        .with_state(state)
}

async fn ingest_audit(
    State(state): State<Arc<AppState>>,
    identity: Option<Extension<ClientIdentity>>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    ingest(state, identity, body, "k8s-audit", decode_audit_events).await
}

async fn ingest_falco(
    State(state): State<Arc<AppState>>,
    identity: Option<Extension<ClientIdentity>>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    ingest(state, identity, body, "falco", decode_falco_alerts).await
}

/// A `kubepci report --record` summary (one `kubepci.report-summary/v1` object).
async fn ingest_report(
    State(state): State<Arc<AppState>>,
    identity: Option<Extension<ClientIdentity>>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    ingest(state, identity, body, "report", |b| {
        decode_report_summary(b).map(|e| vec![e])
    })
    .await
}

async fn ingest(
    state: Arc<AppState>,
    identity: Option<Extension<ClientIdentity>>,
    body: Bytes,
    endpoint: &'static str,
    decode: fn(&[u8]) -> Result<Vec<DecodedEvent>, DecodeError>,
) -> Result<impl IntoResponse, ApiError> {
    let source = identity.map_or_else(|| "anonymous".to_owned(), |Extension(id)| id.0.to_string());
    let bytes = body.len();
    // Parsing, hashing and compressing are CPU work: keep them off the I/O threads, and off the
    // writer thread (requests run in parallel, the writer does not).
    let level = state.appender.compression_level();
    let source_name = source.clone();
    let detection = (endpoint == "k8s-audit").then(|| state.detection.clone());
    let decoded = tokio::task::spawn_blocking(move || {
        let body = Arc::new(body.to_vec());
        decode(&body).map(|events| {
            let mut batch = IncomingBatch::new(source_name, body, events);
            let count = batch.events.len();
            let alerts = detection.map(|d| d.run(&mut batch)).unwrap_or_default();
            let compressed = batch.precompress(level);
            (batch, count, alerts, compressed)
        })
    })
    .await
    .map_err(|_| ApiError::Internal)?;
    let batch = match decoded {
        Ok(ok) => ok,
        Err(error) => {
            state.metrics.refused("bad-request");
            tracing::warn!(%source, endpoint, bytes, %error, "rejected batch");
            return Err(ApiError::BadRequest(error.to_string()));
        }
    };
    let (batch, count, alerts, compressed) = batch;
    state.metrics.received(endpoint, count, bytes);
    if let Err(error) = compressed {
        tracing::error!(%source, %error, "failed to compress a batch");
        return Err(ApiError::Internal);
    }
    let reply = state
        .appender
        .submit(batch)
        .map_err(|error| unavailable(&state.metrics, &source, &error))?;
    let outcome = match tokio::time::timeout(state.commit_timeout, reply).await {
        Ok(Ok(Ok(outcome))) => outcome,
        Ok(Ok(Err(error))) => return Err(unavailable(&state.metrics, &source, &error)),
        Ok(Err(_)) => {
            return Err(unavailable(
                &state.metrics,
                &source,
                &StoreError::WriterGone,
            ));
        }
        Err(_) => {
            state.metrics.refused("timeout");
            tracing::warn!(%source, endpoint, events = count, "batch not durable in time");
            return Err(ApiError::Unavailable("store is slow; retry"));
        }
    };
    state.detection.committed(alerts, &outcome);
    tracing::info!(
        %source,
        endpoint,
        events = count,
        accepted = outcome.accepted,
        duplicates = outcome.duplicates,
        tree_size = outcome.tree_size,
        "batch stored"
    );
    Ok((
        StatusCode::OK,
        Json(Stored {
            accepted: outcome.accepted,
            duplicates: outcome.duplicates,
            tree_size: outcome.tree_size,
        }),
    ))
}

fn unavailable(metrics: &AuditMetrics, source: &str, error: &StoreError) -> ApiError {
    metrics.refused("unavailable");
    if error.is_retryable() {
        tracing::warn!(%source, %error, "batch not stored; client will retry");
        ApiError::Unavailable(match error {
            StoreError::Full => "store is full; retry",
            StoreError::Busy => "store is busy; retry",
            _ => "store unavailable; retry",
        })
    } else {
        tracing::error!(%source, %error, "batch not stored");
        ApiError::Internal
    }
}

async fn checkpoint(State(state): State<Arc<AppState>>) -> Result<impl IntoResponse, ApiError> {
    match tokio::fs::read(state.data_dir.join("checkpoint")).await {
        Ok(note) => Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(ApiError::Unavailable("no checkpoint signed yet"))
        }
        Err(error) => {
            tracing::error!(%error, "failed to read the checkpoint");
            Err(ApiError::Internal)
        }
    }
}
