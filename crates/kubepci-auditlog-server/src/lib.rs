//! HTTPS ingest for kubepci's tamper-evident audit store.
//!
//! What this crate is: an axum router ([`router`]) with
//! - `POST /v1/k8s-audit`: an `audit.k8s.io/v1` `EventList` (the apiserver's webhook backend),
//!   a single `Event` or an array;
//! - `POST /v1/falco`: Falco / falcosidekick alerts (one object or an array);
//! - `GET /v1/checkpoint`: the latest signed checkpoint;
//! - `GET /healthz`, `GET /readyz`;
//!
//! served over rustls (TLS 1.2+, AEAD suites only, `ring` provider; the HTTPS edge of
//! `kubepci-https`, whose certificate reloads on rotation) with optional client certificate
//! authentication, the client certificate's identity being recorded as each event's source;
//! plus the whole `kubepci audit serve` lifecycle ([`run`]): the group-commit
//! writer, log-file followers, retention, and graceful shutdown that signs a final checkpoint.
//!
//! Replies are 200 only once the batch is durable; a full disk, an I/O error or an overloaded
//! writer answer 503 so that the apiserver retries. Request bodies are bounded and so is the
//! number of requests in flight; event bodies are never logged.
//!
//! What it is not: the store, its format and verification live in `kubepci-auditlog`.

mod error;
mod routes;
mod serve;

pub use error::ServerError;
pub use kubepci_https::ClientIdentity;
pub use routes::{AppState, router};
pub use serve::{RunOptions, RunSummary, run};
