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
    decode_falco_alerts,
};
use serde::Serialize;

use crate::error::ApiError;
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
    let decoded = tokio::task::spawn_blocking(move || {
        let body = Arc::new(body.to_vec());
        decode(&body).map(|events| {
            let mut batch = IncomingBatch::new(source_name, body, events);
            let compressed = batch.precompress(level);
            (batch, compressed)
        })
    })
    .await
    .map_err(|_| ApiError::Internal)?;
    let batch = match decoded {
        Ok(ok) => ok,
        Err(error) => {
            tracing::warn!(%source, endpoint, bytes, %error, "rejected batch");
            return Err(ApiError::BadRequest(error.to_string()));
        }
    };
    let (batch, compressed) = batch;
    if let Err(error) = compressed {
        tracing::error!(%source, %error, "failed to compress a batch");
        return Err(ApiError::Internal);
    }
    let count = batch.events.len();
    let reply = state
        .appender
        .submit(batch)
        .map_err(|error| unavailable(&source, &error))?;
    let outcome = match tokio::time::timeout(state.commit_timeout, reply).await {
        Ok(Ok(Ok(outcome))) => outcome,
        Ok(Ok(Err(error))) => return Err(unavailable(&source, &error)),
        Ok(Err(_)) => return Err(unavailable(&source, &StoreError::WriterGone)),
        Err(_) => {
            tracing::warn!(%source, endpoint, events = count, "batch not durable in time");
            return Err(ApiError::Unavailable("store is slow; retry"));
        }
    };
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

fn unavailable(source: &str, error: &StoreError) -> ApiError {
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
