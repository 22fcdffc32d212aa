//! Errors of setting up and running the server, and the HTTP error responses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The listener could not be set up.
    #[error("cannot serve")]
    Serve(#[source] kubepci_https::ServeError),
    /// The store failed.
    #[error("audit store error")]
    Store(#[source] kubepci_auditlog::StoreError),
}

/// An HTTP error answer. Client errors carry a helpful message; server errors a generic one
/// (details go to the log).
#[derive(Debug)]
pub(crate) enum ApiError {
    /// The body is not an accepted shape (400).
    BadRequest(String),
    /// Retry later: full disk, I/O error, overload, shutdown (503 + Retry-After).
    Unavailable(&'static str),
    /// A bug or unexpected state (500).
    Internal,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::BadRequest(message) => (StatusCode::BAD_REQUEST, message).into_response(),
            ApiError::Unavailable(reason) => {
                let mut response = (StatusCode::SERVICE_UNAVAILABLE, reason).into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                response
            }
            ApiError::Internal => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }
}
