//! What policies may read beyond the object under review: the namespaces (for
//! `namespaceSelector` and CEL's `namespaceObject`) and Gatekeeper's `data.inventory`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use kubepci_model::Node;

use crate::request::GroupVersionKind;

/// The rest of the cluster as policies see it.
pub trait Cluster: Sync {
    /// The Namespace object called `name`, when known.
    fn namespace(&self, name: &str) -> Option<&Node>;

    /// `data.inventory` for referential Gatekeeper templates (built on first use).
    fn rego_inventory(&self) -> &RegoInventory;

    /// Objects of one apiVersion and kind (parameter resources of ValidatingAdmissionPolicies).
    fn objects(&self, api_version: &str, kind: &str) -> Vec<&Node>;
}

/// Gatekeeper's `data.inventory`: `cluster[groupVersion][kind][name]` and
/// `namespace[ns][groupVersion][kind][name]`, every object as its whole tree.
#[derive(Debug, Clone)]
pub struct RegoInventory {
    /// Distinguishes inventories, so an evaluator that loaded one knows when it changed.
    pub(crate) id: u64,
    /// `{"inventory": …}`, ready to be a Rego data document.
    pub(crate) data: regorus::Value,
}

static NEXT_INVENTORY: AtomicU64 = AtomicU64::new(1);

/// One object of an inventory.
pub struct InventoryEntry<'a> {
    /// Its group, version and kind.
    pub kind: &'a GroupVersionKind,
    /// Its namespace (`None`: cluster-scoped).
    pub namespace: Option<&'a str>,
    /// Its name.
    pub name: &'a str,
    /// The object as a Rego value.
    pub value: regorus::Value,
}

impl RegoInventory {
    /// An inventory of `entries`.
    pub fn new<'a>(entries: impl IntoIterator<Item = InventoryEntry<'a>>) -> Self {
        type Level = BTreeMap<regorus::Value, regorus::Value>;
        // cluster: gv → kind → name; namespace: ns → gv → kind → name.
        let mut cluster: BTreeMap<String, BTreeMap<String, Level>> = BTreeMap::new();
        let mut namespaced: BTreeMap<String, BTreeMap<String, BTreeMap<String, Level>>> =
            BTreeMap::new();
        for entry in entries {
            let level = match entry.namespace {
                Some(ns) => namespaced
                    .entry(ns.to_owned())
                    .or_default()
                    .entry(entry.kind.api_version())
                    .or_default()
                    .entry(entry.kind.kind.clone())
                    .or_default(),
                None => cluster
                    .entry(entry.kind.api_version())
                    .or_default()
                    .entry(entry.kind.kind.clone())
                    .or_default(),
            };
            level.insert(regorus::Value::from(entry.name), entry.value);
        }
        let kinds = |by_kind: BTreeMap<String, Level>| {
            regorus::Value::from(
                by_kind
                    .into_iter()
                    .map(|(k, names)| (regorus::Value::from(k), regorus::Value::from(names)))
                    .collect::<Level>(),
            )
        };
        let versions = |by_gv: BTreeMap<String, BTreeMap<String, Level>>| {
            regorus::Value::from(
                by_gv
                    .into_iter()
                    .map(|(gv, by_kind)| (regorus::Value::from(gv), kinds(by_kind)))
                    .collect::<Level>(),
            )
        };
        let cluster = versions(cluster);
        let namespace = regorus::Value::from(
            namespaced
                .into_iter()
                .map(|(ns, by_gv)| (regorus::Value::from(ns), versions(by_gv)))
                .collect::<Level>(),
        );
        let inventory = regorus::Value::from(BTreeMap::from([
            (regorus::Value::from("cluster"), cluster),
            (regorus::Value::from("namespace"), namespace),
        ]));
        Self {
            id: NEXT_INVENTORY.fetch_add(1, Ordering::Relaxed),
            data: regorus::Value::from(BTreeMap::from([(
                regorus::Value::from("inventory"),
                inventory,
            )])),
        }
    }
}

/// A cluster given as a list of objects (a test suite's inventory, a webhook's context).
pub struct StaticCluster {
    objects: Vec<(GroupVersionKind, Node)>,
    namespaces: HashMap<String, Node>,
    inventory: RegoInventory,
}

impl StaticCluster {
    /// A cluster holding `objects` (each a whole object tree).
    #[must_use]
    pub fn new(objects: &[Node]) -> Self {
        let ids: Vec<(GroupVersionKind, Option<String>, String)> = objects
            .iter()
            .map(|o| {
                let text =
                    |n: Option<&Node>| n.and_then(Node::as_str).unwrap_or_default().to_owned();
                let metadata = o.get("metadata");
                let namespace = metadata
                    .and_then(|m| m.get("namespace"))
                    .and_then(Node::as_str)
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned);
                (
                    GroupVersionKind::new(&text(o.get("apiVersion")), &text(o.get("kind"))),
                    namespace,
                    text(metadata.and_then(|m| m.get("name"))),
                )
            })
            .collect();
        let inventory = RegoInventory::new(ids.iter().zip(objects).map(|((kind, ns, name), o)| {
            InventoryEntry {
                kind,
                namespace: ns.as_deref(),
                name,
                value: crate::value::to_rego(o),
            }
        }));
        let namespaces = ids
            .iter()
            .zip(objects)
            .filter(|((kind, _, _), _)| kind.kind == "Namespace" && kind.group.is_empty())
            .map(|((_, _, name), o)| (name.clone(), o.clone()))
            .collect();
        Self {
            objects: ids
                .into_iter()
                .map(|(kind, _, _)| kind)
                .zip(objects.iter().cloned())
                .collect(),
            namespaces,
            inventory,
        }
    }
}

impl Cluster for StaticCluster {
    fn namespace(&self, name: &str) -> Option<&Node> {
        self.namespaces.get(name)
    }

    fn rego_inventory(&self) -> &RegoInventory {
        &self.inventory
    }

    fn objects(&self, api_version: &str, kind: &str) -> Vec<&Node> {
        self.objects
            .iter()
            .filter(|(k, _)| k.kind == kind && k.api_version() == api_version)
            .map(|(_, o)| o)
            .collect()
    }
}
