//! The operations port every kubepci server exposes over plain HTTP, apart from its API:
//! Prometheus `/metrics`, liveness `/healthz` and readiness `/readyz`.

use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::registry::Registry;

/// Whether a server is ready to take traffic, and if not, why. Starts not ready.
#[derive(Debug, Clone)]
pub struct Readiness(Arc<Mutex<Option<String>>>);

impl Readiness {
    /// Not ready, for `reason`.
    #[must_use]
    pub fn waiting(reason: impl Into<String>) -> Self {
        Self(Arc::new(Mutex::new(Some(reason.into()))))
    }

    /// Marks the server ready.
    pub fn set_ready(&self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Marks the server not ready, for `reason`.
    pub fn set_waiting(&self, reason: impl Into<String>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(reason.into());
    }

    /// `None` when ready, else the reason.
    #[must_use]
    pub fn waiting_for(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Called before each scrape, to update gauges that are read rather than counted (ages,
/// expiry times).
pub type Refresh = Arc<dyn Fn() + Send + Sync>;

/// The operations router: `/metrics` (OpenMetrics text of `registry`, after `refresh`),
/// `/healthz` (200 while the process serves) and `/readyz` (200 once `readiness` is ready,
/// 503 with the reason before).
pub fn router(registry: Arc<Registry>, readiness: Readiness, refresh: Refresh) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(move || {
                let (registry, refresh) = (registry.clone(), refresh.clone());
                async move {
                    refresh();
                    let mut text = String::new();
                    match prometheus_client::encoding::text::encode(&mut text, &registry) {
                        Ok(()) => (
                            StatusCode::OK,
                            [(
                                header::CONTENT_TYPE,
                                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                            )],
                            text,
                        )
                            .into_response(),
                        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                    }
                }
            }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || {
                let readiness = readiness.clone();
                async move {
                    match readiness.waiting_for() {
                        None => (StatusCode::OK, "ok".to_owned()),
                        Some(reason) => (StatusCode::SERVICE_UNAVAILABLE, reason),
                    }
                }
            }),
        )
}
