//! kubepci's validating admission webhook.
//!
//! - [`review`]: the `admission.k8s.io/v1` AdmissionReview wire format.
//! - [`router`]: `POST /validate` (plus `/healthz`, `/readyz`), deciding each request with the
//!   engine's `Admitter` (the rules, configuration, scope resolution and waiver register of
//!   `kubepci scan`) against the [`SharedContext`], within a deadline and a bound on requests
//!   evaluated at once; malformed bodies get 400 with a JSON error; every decision is logged
//!   as one structured line without object contents and counted in [`Metrics`].
//! - [`run`]: the server's lifecycle on the shared HTTPS edge (`kubepci-https`): the API over
//!   TLS (certificates reload on rotation), the operations port (`/metrics`, probes),
//!   readiness once the context is synced, graceful stop.
//!
//! What keeps the context current (a watch of the cluster, or nothing for a snapshot) is the
//! caller's.

mod context;
mod handler;
pub mod metrics;
pub mod review;
mod server;

pub use context::{SharedContext, watched_kinds};
pub use handler::{WebhookState, router, today_utc};
pub use metrics::Metrics;
pub use server::{Bound, RunOptions, run};
