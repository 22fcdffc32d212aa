//! Reading a live cluster, read-only.
//!
//! - [`kinds`]: where the API serves each kind kubepci reads.
//! - [`spawn_watches`]: list and watch those kinds through kube-rs (relist on `410 Gone`,
//!   bookmarks, reconnect with backoff; a CRD the cluster does not have reads as empty), each
//!   object converted by the same loader as a manifest, into a [`ContextSink`] (the
//!   admission webhook's context).
//! - [`client`]: a kube client from the in-cluster service account or a kubeconfig.

pub mod kinds;
mod watch;

pub use watch::{ContextSink, WatchError, spawn_watches};

/// A client from the pod's service account, else `KUBECONFIG` / `~/.kube/config`.
///
/// # Errors
/// Neither is usable.
pub async fn client() -> Result<kube::Client, kube::Error> {
    kube::Client::try_default().await
}
