//! List and watch: one kube-rs watcher per kind, feeding a [`ContextSink`] with objects in the
//! form the rules read (the same loader as manifests). The watcher relists on `410 Gone`,
//! follows bookmarks and reconnects with backoff; a kind the cluster does not serve (a CRD
//! not installed) is read as empty.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::StreamExt as _;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::WatchStreamExt as _;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};
use kubepci_k8s::{KindFilter, Object, load};

use crate::kinds::{KindInfo, lookup};

/// Where the watched objects go.
pub trait ContextSink: Send + Sync + 'static {
    /// Every object of `kind`, after a complete list (the first, or a relist).
    fn relisted(&self, kind: &'static str, objects: Vec<Object>);
    /// An object was added or changed.
    fn applied(&self, object: Object);
    /// An object was deleted.
    fn deleted(&self, kind: &str, namespace: Option<&str>, name: &str);
    /// Every kind has been listed at least once.
    fn synced(&self);
}

/// Why watching cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WatchError {
    /// A kind kubepci does not know where to read.
    #[error("kubepci does not know where the API serves kind `{0}`")]
    UnknownKind(String),
}

/// The fields dropped from watched objects: no rule reads them and they are most of an
/// object's size (memory stays bounded by what the rules need).
const DROPPED_ANNOTATIONS: &[&str] = &["kubectl.kubernetes.io/last-applied-configuration"];

/// Converts a watched object into the rules' form, `None` when it does not load.
fn convert(info: &KindInfo, mut object: DynamicObject) -> Option<Object> {
    object.metadata.managed_fields = None;
    if let Some(annotations) = object.metadata.annotations.as_mut() {
        for key in DROPPED_ANNOTATIONS {
            annotations.remove(*key);
        }
    }
    // List items come without their type; the rules need it.
    object.types = Some(kube::api::TypeMeta {
        api_version: info.api_version(),
        kind: info.kind.to_owned(),
    });
    let bytes = serde_json::to_vec(&object).ok()?;
    let mut loaded = load("cluster", &bytes, &KindFilter::All, None);
    if let Some(error) = loaded.errors.first() {
        tracing::warn!(kind = info.kind, %error, "a watched object does not load; left out");
        return None;
    }
    loaded.objects.pop()
}

fn is_not_found(error: &watcher::Error) -> bool {
    match error {
        watcher::Error::InitialListFailed(kube::Error::Api(status))
        | watcher::Error::WatchStartFailed(kube::Error::Api(status)) => status.code == 404,
        _ => false,
    }
}

/// Starts one watch per kind (cluster-wide, read-only: list and watch only). `sink.synced()`
/// is called once every kind has been listed. The tasks run until dropped or aborted.
///
/// # Errors
/// A kind kubepci does not know where to read.
pub fn spawn_watches(
    client: Client,
    kinds: &[&str],
    sink: Arc<dyn ContextSink>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, WatchError> {
    let infos: Vec<&'static KindInfo> = kinds
        .iter()
        .map(|k| lookup(k).ok_or_else(|| WatchError::UnknownKind((*k).to_owned())))
        .collect::<Result<_, _>>()?;
    let remaining = Arc::new(AtomicUsize::new(infos.len()));
    if infos.is_empty() {
        sink.synced();
    }
    Ok(infos
        .into_iter()
        .map(|info| {
            let (client, sink, remaining) = (client.clone(), sink.clone(), remaining.clone());
            tokio::spawn(async move { watch_kind(client, info, sink, remaining).await })
        })
        .collect())
}

async fn watch_kind(
    client: Client,
    info: &'static KindInfo,
    sink: Arc<dyn ContextSink>,
    remaining: Arc<AtomicUsize>,
) {
    let gvk = GroupVersionKind::gvk(info.group, info.version, info.kind);
    let resource = ApiResource::from_gvk_with_plural(&gvk, info.plural);
    let api: Api<DynamicObject> = Api::all_with(client, &resource);
    let mut listed_once = false;
    let mark_listed = |listed_once: &mut bool| {
        if !*listed_once {
            *listed_once = true;
            if remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
                sink.synced();
            }
        }
    };
    let mut stream = watcher::watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut buffer: Vec<Object> = Vec::new();
    while let Some(event) = stream.next().await {
        match event {
            Ok(Event::Init) => buffer.clear(),
            Ok(Event::InitApply(object)) => buffer.extend(convert(info, object)),
            Ok(Event::InitDone) => {
                let objects = std::mem::take(&mut buffer);
                tracing::info!(kind = info.kind, objects = objects.len(), "listed");
                sink.relisted(info.kind, objects);
                mark_listed(&mut listed_once);
            }
            Ok(Event::Apply(object)) => {
                if let Some(object) = convert(info, object) {
                    sink.applied(object);
                }
            }
            Ok(Event::Delete(object)) => {
                let name = object.metadata.name.unwrap_or_default();
                sink.deleted(info.kind, object.metadata.namespace.as_deref(), &name);
            }
            Err(error) if is_not_found(&error) => {
                tracing::info!(
                    kind = info.kind,
                    "not served by this cluster; read as empty"
                );
                sink.relisted(info.kind, Vec::new());
                mark_listed(&mut listed_once);
                return;
            }
            Err(error) => {
                tracing::warn!(kind = info.kind, %error, "watch failed; retrying");
            }
        }
    }
}
