//! The cluster context shared between the request handlers (which read it) and whatever keeps
//! it current (a watch of the cluster, or nothing for a static snapshot).

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use kubepci_engine::admission::{ContextSource, ContextStore};

/// The context and its freshness.
#[derive(Debug, Default)]
pub struct SharedContext {
    store: RwLock<ContextStore>,
    /// When the context was last confirmed current, in Unix milliseconds (0: never).
    touched_ms: AtomicI64,
    /// Whether every kind has been listed at least once.
    synced: AtomicBool,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl SharedContext {
    /// A context that is complete from the start (manifests or a snapshot).
    #[must_use]
    pub fn fixed(store: ContextStore) -> Self {
        let context = Self {
            store: RwLock::new(store),
            ..Self::default()
        };
        context.mark_synced();
        context
    }

    /// An empty context waiting for its first list.
    #[must_use]
    pub fn waiting() -> Self {
        Self::default()
    }

    /// Changes the store under the write lock, and records that it is current.
    pub fn update<R>(&self, f: impl FnOnce(&mut ContextStore) -> R) -> R {
        let result = f(&mut self.store.write().unwrap_or_else(PoisonError::into_inner));
        self.touch();
        result
    }

    /// Records that the context is current (a bookmark or a successful relist).
    pub fn touch(&self) {
        self.touched_ms.store(now_ms(), Ordering::Relaxed);
    }

    /// Records that every kind has been listed.
    pub fn mark_synced(&self) {
        self.touch();
        self.synced.store(true, Ordering::Release);
    }

    /// Whether every kind has been listed.
    #[must_use]
    pub fn is_synced(&self) -> bool {
        self.synced.load(Ordering::Acquire)
    }

    /// Seconds since the context was last confirmed current (`None` before the first list).
    #[must_use]
    pub fn age_seconds(&self) -> Option<f64> {
        let touched = self.touched_ms.load(Ordering::Relaxed);
        #[allow(clippy::cast_precision_loss)] // milliseconds since an update: far below 2^52
        (touched > 0).then(|| (now_ms() - touched).max(0) as f64 / 1000.0)
    }

    /// Objects held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.with_store(ContextStore::len)
    }

    /// Whether it holds nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The watch of the cluster writes here.
impl kubepci_cluster::ContextSink for SharedContext {
    fn relisted(&self, kind: &'static str, objects: Vec<kubepci_k8s::Object>) {
        self.update(|store| store.replace_kind(kind, objects.into_iter().map(Arc::new)));
    }

    fn applied(&self, object: kubepci_k8s::Object) {
        self.update(|store| store.upsert(Arc::new(object)));
    }

    fn deleted(&self, kind: &str, namespace: Option<&str>, name: &str) {
        self.update(|store| store.remove(kind, namespace, name));
    }

    fn synced(&self) {
        self.mark_synced();
    }
}

/// The kinds a watch of the cluster reads for `kinds` (the admission rules' context): all but
/// Secrets, whose values the webhook never holds (its service account cannot read them);
/// rules that would compare a Secret's certificate see none, as in a scan without it.
#[must_use]
pub fn watched_kinds(kinds: &[&'static str]) -> Vec<&'static str> {
    kinds.iter().copied().filter(|k| *k != "Secret").collect()
}

impl ContextSource for SharedContext {
    fn with_store<R>(&self, f: impl FnOnce(&ContextStore) -> R) -> R {
        f(&self.store.read().unwrap_or_else(PoisonError::into_inner))
    }
}
