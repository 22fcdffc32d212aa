//! What the webhook knows of the cluster around a request: objects by kind, namespace and
//! name, kept current by a watch (or loaded once from manifests or a snapshot), from which
//! each request takes the few objects its rules read.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use kubepci_k8s::Object;

/// Objects of one kind by `(namespace, name)`; cluster-scoped objects have no namespace.
type KindObjects = BTreeMap<(Option<String>, String), Arc<Object>>;

/// The cluster context: the objects of the kinds the admission rules read.
#[derive(Debug, Default, Clone)]
pub struct ContextStore {
    kinds: HashMap<String, KindObjects>,
    len: usize,
}

fn key(object: &Object) -> (Option<String>, String) {
    (
        object.namespace().map(str::to_owned),
        object.name().to_owned(),
    )
}

impl ContextStore {
    /// A store holding `objects` (the last of two with the same kind, namespace and name
    /// wins).
    #[must_use]
    pub fn from_objects(objects: impl IntoIterator<Item = Object>) -> Self {
        let mut store = Self::default();
        for object in objects {
            store.upsert(Arc::new(object));
        }
        store
    }

    /// A store holding shared `objects` (the last of two with the same kind, namespace and
    /// name wins).
    #[must_use]
    pub fn from_shared(objects: impl IntoIterator<Item = Arc<Object>>) -> Self {
        let mut store = Self::default();
        for object in objects {
            store.upsert(object);
        }
        store
    }

    /// Adds or replaces an object.
    pub fn upsert(&mut self, object: Arc<Object>) {
        let objects = self.kinds.entry(object.kind().to_owned()).or_default();
        if objects.insert(key(&object), object).is_none() {
            self.len += 1;
        }
    }

    /// Removes an object; returns whether it was there.
    pub fn remove(&mut self, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        let removed = self.kinds.get_mut(kind).is_some_and(|objects| {
            objects
                .remove(&(namespace.map(str::to_owned), name.to_owned()))
                .is_some()
        });
        if removed {
            self.len -= 1;
        }
        removed
    }

    /// Replaces every object of `kind` (after a full list).
    pub fn replace_kind(&mut self, kind: &str, objects: impl IntoIterator<Item = Arc<Object>>) {
        let fresh: KindObjects = objects.into_iter().map(|o| (key(&o), o)).collect();
        let old = self
            .kinds
            .insert(kind.to_owned(), fresh)
            .map_or(0, |o| o.len());
        self.len = self.len - old + self.kinds.get(kind).map_or(0, BTreeMap::len);
    }

    /// Objects held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// One object.
    #[must_use]
    pub fn get(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&Arc<Object>> {
        self.kinds
            .get(kind)?
            .get(&(namespace.map(str::to_owned), name.to_owned()))
    }

    /// Every object of `kind`, in (namespace, name) order.
    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        self.kinds.get(kind).into_iter().flat_map(BTreeMap::values)
    }

    /// Objects of `kind` in `namespace` plus the cluster-scoped ones, in order.
    pub fn in_namespace<'a>(
        &'a self,
        kind: &str,
        namespace: &str,
    ) -> impl Iterator<Item = &'a Arc<Object>> + 'a {
        let objects = self.kinds.get(kind);
        let cluster = objects
            .into_iter()
            .flat_map(|o| o.range((None, String::new())..(Some(String::new()), String::new())))
            .map(|(_, o)| o);
        let start = (Some(namespace.to_owned()), String::new());
        let namespace = namespace.to_owned();
        let local = objects
            .into_iter()
            .flat_map(move |o| o.range(start.clone()..))
            .take_while(move |((ns, _), _)| ns.as_deref() == Some(namespace.as_str()))
            .map(|(_, o)| o);
        cluster.chain(local)
    }

    /// Counts by kind, for metrics.
    #[must_use]
    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.kinds
            .iter()
            .map(|(kind, objects)| (kind.clone(), objects.len()))
            .collect()
    }
}

/// Where an evaluation reads its context from: a store it owns, or one shared with a watch
/// that updates it (read under the lock only while the request's objects are picked).
pub trait ContextSource: Sync {
    /// Calls `f` with the store.
    fn with_store<R>(&self, f: impl FnOnce(&ContextStore) -> R) -> R;
}

impl ContextSource for ContextStore {
    fn with_store<R>(&self, f: impl FnOnce(&ContextStore) -> R) -> R {
        f(self)
    }
}

impl ContextSource for RwLock<ContextStore> {
    fn with_store<R>(&self, f: impl FnOnce(&ContextStore) -> R) -> R {
        let guard = self
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&guard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_k8s::{KindFilter, load};

    fn objects(text: &str) -> Vec<Object> {
        load("t.yaml", text.as_bytes(), &KindFilter::All, None).objects
    }

    #[test]
    fn selects_the_namespace_and_cluster_scoped_objects() {
        let store = ContextStore::from_objects(objects(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: pay}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: b, namespace: payroll}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: c, namespace: pa}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: view}\n",
        ));
        assert_eq!(store.len(), 4);
        let names: Vec<&str> = store
            .in_namespace("ServiceAccount", "pay")
            .map(|o| o.name())
            .collect();
        assert_eq!(names, ["a"]);
        let roles: Vec<&str> = store
            .in_namespace("ClusterRole", "pay")
            .map(|o| o.name())
            .collect();
        assert_eq!(
            roles,
            ["view"],
            "cluster-scoped objects come with every namespace"
        );
        assert_eq!(store.of_kind("ServiceAccount").count(), 3);
    }

    #[test]
    fn upsert_remove_and_relist_keep_the_count() {
        let mut store = ContextStore::default();
        let pod = |name: &str| {
            Arc::new(
                objects(&format!(
                    "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: team}}\n"
                ))
                .remove(0),
            )
        };
        store.upsert(pod("a"));
        store.upsert(pod("a"));
        store.upsert(pod("b"));
        assert_eq!(store.len(), 2);
        assert!(store.remove("Pod", Some("team"), "a"));
        assert!(!store.remove("Pod", Some("team"), "a"));
        assert_eq!(store.len(), 1);
        store.replace_kind("Pod", [pod("x"), pod("y"), pod("z")]);
        assert_eq!(store.len(), 3);
        assert!(store.get("Pod", Some("team"), "b").is_none());
        assert_eq!(store.counts().get("Pod"), Some(&3));
    }
}
