//! The whole input as one index: objects by kind, the PCI scope of every namespace, and a
//! cache of indexes that rules derive from the input (built once per inventory).

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use kubepci_model::Scope;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Object;

/// Default namespace label that declares PCI scope (`cde`, `connected`, `out-of-scope`).
pub const SCOPE_LABEL: &str = "kubepci.io/scope";
/// Default namespace label that declares the network zone (`dmz`, `internal`).
pub const ZONE_LABEL: &str = "kubepci.io/zone";
/// Default workload label that marks data stores holding cardholder data (`"true"`).
pub const STORES_CHD_LABEL: &str = "kubepci.io/stores-chd";
/// Default node and pod label that names a security level.
pub const SECURITY_LEVEL_LABEL: &str = "kubepci.io/security-level";

/// The label keys of the scope model. Every key is configurable (`labels:` in `kubepci.yaml`);
/// the defaults are the `kubepci.io/` keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct LabelKeys {
    /// Namespace label declaring PCI scope: `cde`, `connected` or `out-of-scope`.
    pub scope: String,
    /// Namespace label declaring the network zone: `dmz` or `internal`.
    pub zone: String,
    /// Workload (pod template) label marking data stores that hold cardholder data (`"true"`).
    pub stores_chd: String,
    /// Node and pod label naming a security level (nodes are tainted with the same key).
    pub security_level: String,
}

impl Default for LabelKeys {
    fn default() -> Self {
        Self {
            scope: SCOPE_LABEL.to_owned(),
            zone: ZONE_LABEL.to_owned(),
            stores_chd: STORES_CHD_LABEL.to_owned(),
            security_level: SECURITY_LEVEL_LABEL.to_owned(),
        }
    }
}

/// Where a namespace's scope came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScopeSource {
    /// The `kubepci.io/scope` label of a Namespace object in the input.
    Label,
    /// `kubepci.yaml` or `--scope`.
    Config,
    /// Nothing declared it: unscoped, treated as connected.
    Default,
}

/// What is known about one namespace.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NamespaceInfo {
    /// Its name.
    pub name: String,
    /// Its PCI scope.
    pub scope: Scope,
    /// Where the scope came from.
    pub source: ScopeSource,
    /// Its `kubepci.io/zone` label, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Whether a Namespace object for it is in the input.
    pub declared: bool,
}

/// Every object of the input, indexed.
#[derive(Debug, Default)]
pub struct Inventory {
    objects: Vec<Arc<Object>>,
    by_kind: HashMap<String, Vec<usize>>,
    namespaces: BTreeMap<String, NamespaceInfo>,
    labels: LabelKeys,
    derived: DerivedCache,
}

/// Indexes derived from the inventory by rules (RBAC graph, selectors…), one per type.
#[derive(Default)]
struct DerivedCache(Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>);

impl std::fmt::Debug for DerivedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.0.lock().map_or(0, |m| m.len());
        f.debug_struct("DerivedCache")
            .field("entries", &len)
            .finish()
    }
}

impl Inventory {
    /// Indexes `objects` with the default label keys. `overrides` (from configuration) win
    /// over namespace labels.
    #[must_use]
    pub fn new(objects: Vec<Object>, overrides: &BTreeMap<String, Scope>) -> Self {
        Self::with_labels(objects, overrides, LabelKeys::default())
    }

    /// Indexes `objects`, reading scope and zone from the namespace labels `labels` names.
    /// `overrides` (from configuration) win over namespace labels.
    #[must_use]
    pub fn with_labels(
        objects: Vec<Object>,
        overrides: &BTreeMap<String, Scope>,
        labels: LabelKeys,
    ) -> Self {
        Self::shared(
            objects.into_iter().map(Arc::new).collect(),
            overrides,
            labels,
        )
    }

    /// Indexes objects that are shared with other inventories (the admission webhook builds
    /// one small inventory per request from the objects of its cluster context, without
    /// copying them). `overrides` (from configuration) win over namespace labels.
    #[must_use]
    pub fn shared(
        objects: Vec<Arc<Object>>,
        overrides: &BTreeMap<String, Scope>,
        labels: LabelKeys,
    ) -> Self {
        let mut by_kind: HashMap<String, Vec<usize>> = HashMap::new();
        let mut namespaces = BTreeMap::new();
        for (i, object) in objects.iter().enumerate() {
            by_kind.entry(object.kind().to_owned()).or_default().push(i);
            if object.kind() == "Namespace" && object.api_version() == "v1" {
                let label = object.label(&labels.scope).and_then(Scope::from_label);
                namespaces.insert(
                    object.name().to_owned(),
                    NamespaceInfo {
                        name: object.name().to_owned(),
                        scope: label.unwrap_or(Scope::Unscoped),
                        source: if label.is_some() {
                            ScopeSource::Label
                        } else {
                            ScopeSource::Default
                        },
                        zone: object.label(&labels.zone).map(str::to_owned),
                        declared: true,
                    },
                );
            }
        }
        for object in &objects {
            if let Some(ns) = object.namespace() {
                namespaces
                    .entry(ns.to_owned())
                    .or_insert_with(|| NamespaceInfo {
                        name: ns.to_owned(),
                        scope: Scope::Unscoped,
                        source: ScopeSource::Default,
                        zone: None,
                        declared: false,
                    });
            }
        }
        for (name, scope) in overrides {
            let info = namespaces
                .entry(name.clone())
                .or_insert_with(|| NamespaceInfo {
                    name: name.clone(),
                    scope: *scope,
                    source: ScopeSource::Config,
                    zone: None,
                    declared: false,
                });
            info.scope = *scope;
            info.source = ScopeSource::Config;
        }
        Self {
            objects,
            by_kind,
            namespaces,
            labels,
            derived: DerivedCache::default(),
        }
    }

    /// The label keys the scope model reads.
    #[must_use]
    pub fn labels(&self) -> &LabelKeys {
        &self.labels
    }

    /// An index derived from this inventory, built by `build` on first use and shared by every
    /// later caller (rules run in parallel; each index is built once per inventory, keyed by
    /// its type). `build` must be a pure function of the inventory: when two threads race,
    /// both build and the first result is kept.
    pub fn derived<T: Any + Send + Sync>(&self, build: impl FnOnce(&Inventory) -> T) -> Arc<T> {
        let key = TypeId::of::<T>();
        let cached = self
            .derived
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        if let Some(index) = cached.and_then(|a| a.downcast::<T>().ok()) {
            return index;
        }
        // Build outside the lock: `build` may itself ask for other derived indexes.
        let built: Arc<dyn Any + Send + Sync> = Arc::new(build(self));
        let stored = self
            .derived
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_insert(built)
            .clone();
        stored
            .downcast::<T>()
            .unwrap_or_else(|_| unreachable!("derived cache entries are keyed by their TypeId"))
    }

    /// All objects in input order.
    #[must_use]
    pub fn objects(&self) -> &[Arc<Object>] {
        &self.objects
    }

    /// The objects, in input order, without the indexes.
    #[must_use]
    pub fn into_objects(self) -> Vec<Arc<Object>> {
        self.objects
    }

    /// Objects of one kind, in input order.
    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Object> + 'a {
        self.by_kind
            .get(kind)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&i| &*self.objects[i])
    }

    /// Every namespace seen (declared, referenced or configured), by name.
    pub fn namespaces(&self) -> impl Iterator<Item = &NamespaceInfo> {
        self.namespaces.values()
    }

    /// One namespace.
    #[must_use]
    pub fn namespace(&self, name: &str) -> Option<&NamespaceInfo> {
        self.namespaces.get(name)
    }

    /// The scope of a namespace (unknown namespaces are unscoped).
    #[must_use]
    pub fn scope_of_namespace(&self, name: &str) -> Scope {
        self.namespaces
            .get(name)
            .map_or(Scope::Unscoped, |n| n.scope)
    }

    /// The scope of an object: its namespace's scope, `cluster` for cluster-scoped objects,
    /// `unscoped` for namespaced objects that name no namespace. A Namespace object has the
    /// scope it declares.
    #[must_use]
    pub fn scope_of(&self, object: &Object) -> Scope {
        if object.kind() == "Namespace" && object.api_version() == "v1" {
            self.scope_of_namespace(object.name())
        } else if object.is_cluster_scoped() {
            Scope::Cluster
        } else {
            object
                .namespace()
                .map_or(Scope::Unscoped, |ns| self.scope_of_namespace(ns))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KindFilter, load};

    #[test]
    fn labels_config_and_defaults() {
        let text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: pay, labels: {kubepci.io/scope: cde, kubepci.io/zone: internal}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: web, labels: {kubepci.io/scope: connected}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: misc}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n";
        let objects = load("t.yaml", text.as_bytes(), &KindFilter::All, None).objects;
        let overrides = [("web".to_owned(), Scope::OutOfScope)]
            .into_iter()
            .collect();
        let inv = Inventory::new(objects, &overrides);
        assert_eq!(inv.scope_of_namespace("pay"), Scope::Cde);
        assert_eq!(
            inv.namespace("pay").and_then(|n| n.zone.as_deref()),
            Some("internal")
        );
        assert_eq!(inv.scope_of_namespace("web"), Scope::OutOfScope);
        assert_eq!(
            inv.namespace("web").map(|n| n.source),
            Some(ScopeSource::Config)
        );
        assert_eq!(inv.scope_of_namespace("misc"), Scope::Unscoped);
        let node = inv.of_kind("Node").next().expect("node");
        assert_eq!(inv.scope_of(node), Scope::Cluster);
        let pay = inv.of_kind("Namespace").next().expect("namespace");
        assert_eq!(
            inv.scope_of(pay),
            Scope::Cde,
            "a Namespace is in its own scope"
        );
    }

    #[test]
    fn label_keys_are_configurable() {
        let text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: pay, labels: {pci/scope: cde, kubepci.io/scope: out-of-scope}}\n";
        let objects = load("t.yaml", text.as_bytes(), &KindFilter::All, None).objects;
        let labels = LabelKeys {
            scope: "pci/scope".to_owned(),
            ..LabelKeys::default()
        };
        let inv = Inventory::with_labels(objects, &BTreeMap::new(), labels);
        assert_eq!(inv.scope_of_namespace("pay"), Scope::Cde);
        assert_eq!(inv.labels().scope, "pci/scope");
    }

    #[test]
    fn derived_indexes_are_built_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let inv = Inventory::default();
        let builds = AtomicUsize::new(0);
        let count = |_: &Inventory| {
            builds.fetch_add(1, Ordering::SeqCst);
            42_u32
        };
        assert_eq!(*inv.derived(count), 42);
        assert_eq!(*inv.derived(count), 42);
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        assert_eq!(*inv.derived(|_| "other type"), "other type");
    }
}
