//! The whole input as one index: objects by kind and the PCI scope of every namespace.

use std::collections::{BTreeMap, HashMap};

use kubepci_model::Scope;

use crate::Object;

/// Namespace label that declares PCI scope (`cde`, `connected`, `out-of-scope`).
pub const SCOPE_LABEL: &str = "kubepci.io/scope";
/// Namespace label that declares the network zone (`dmz`, `internal`).
pub const ZONE_LABEL: &str = "kubepci.io/zone";

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
    objects: Vec<Object>,
    by_kind: HashMap<String, Vec<usize>>,
    namespaces: BTreeMap<String, NamespaceInfo>,
}

impl Inventory {
    /// Indexes `objects`. `overrides` (from configuration) win over namespace labels.
    #[must_use]
    pub fn new(objects: Vec<Object>, overrides: &BTreeMap<String, Scope>) -> Self {
        let mut by_kind: HashMap<String, Vec<usize>> = HashMap::new();
        let mut namespaces = BTreeMap::new();
        for (i, object) in objects.iter().enumerate() {
            by_kind.entry(object.kind().to_owned()).or_default().push(i);
            if object.kind() == "Namespace" && object.api_version() == "v1" {
                let label = object.label(SCOPE_LABEL).and_then(Scope::from_label);
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
                        zone: object.label(ZONE_LABEL).map(str::to_owned),
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
        }
    }

    /// All objects in input order.
    #[must_use]
    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    /// Objects of one kind, in input order.
    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Object> + 'a {
        self.by_kind
            .get(kind)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&i| &self.objects[i])
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
        assert_eq!(inv.scope_of(pay), Scope::Cde);
    }
}
