//! The RBAC index: Roles and ClusterRoles by namespace and name (with ClusterRole
//! aggregation), and bindings with their subjects. Built once per inventory.

use std::collections::HashMap;
use std::sync::Arc;

use kubepci_k8s::{Inventory, Object};
use kubepci_model::{JsonPointer, Node};

use super::selector::label_selector_matches;
use super::subject::{Subject, SubjectKind};

/// The kinds the index reads.
pub(crate) const RBAC_KINDS: &[&str] =
    &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"];

/// The RBAC API group.
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// One rule of a role (`rules[i]`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Grant {
    /// Its position in the role's `rules`.
    pub(crate) index: usize,
    pub(crate) verbs: Vec<String>,
    pub(crate) api_groups: Vec<String>,
    pub(crate) resources: Vec<String>,
    pub(crate) resource_names: Vec<String>,
}

impl Grant {
    fn from_node(index: usize, rule: &Node) -> Self {
        let list = |key: &str| -> Vec<String> {
            rule.get(key)
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::scalar_text)
                .map(|s| s.into_owned())
                .collect()
        };
        Self {
            index,
            verbs: list("verbs"),
            api_groups: list("apiGroups"),
            resources: list("resources"),
            resource_names: list("resourceNames"),
        }
    }

    fn of(verbs: &[&str], api_groups: &[&str], resources: &[&str]) -> Self {
        let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        Self {
            index: 0,
            verbs: owned(verbs),
            api_groups: owned(api_groups),
            resources: owned(resources),
            ..Self::default()
        }
    }

    /// Whether the rule allows `verb` on `resource` (`pods` or `pods/exec`) of `group`, on
    /// every object (a rule limited by `resourceNames` does not count).
    pub(crate) fn allows(&self, verb: &str, group: &str, resource: &str) -> bool {
        self.resource_names.is_empty() && self.allows_some(verb, group, resource)
    }

    /// Like [`Grant::allows`], also counting rules limited to some `resourceNames`.
    pub(crate) fn allows_some(&self, verb: &str, group: &str, resource: &str) -> bool {
        let verb_ok = self.verbs.iter().any(|v| v == "*" || v == verb);
        let group_ok = self.api_groups.iter().any(|g| g == "*" || g == group);
        let resource_ok = self.resources.iter().any(|r| {
            r == "*"
                || r == resource
                || resource
                    .split_once('/')
                    .is_some_and(|(_, sub)| r.strip_prefix("*/") == Some(sub))
        });
        verb_ok && group_ok && resource_ok
    }

    /// Whether the rule allows `verb` on some resource of `group`, on every object.
    pub(crate) fn allows_any_resource(&self, verb: &str, group: &str) -> bool {
        self.resource_names.is_empty()
            && !self.resources.is_empty()
            && self.verbs.iter().any(|v| v == "*" || v == verb)
            && self.api_groups.iter().any(|g| g == "*" || g == group)
    }

    /// Whether the rule uses `*` in `resources` or `apiGroups`.
    pub(crate) fn has_wildcard_target(&self) -> bool {
        self.resources.iter().any(|r| r == "*") || self.api_groups.iter().any(|g| g == "*")
    }

    /// Whether the rule grants every verb on every resource of every group.
    pub(crate) fn is_everything(&self) -> bool {
        let star = |v: &[String]| v.iter().any(|s| s == "*");
        star(&self.verbs)
            && star(&self.api_groups)
            && star(&self.resources)
            && self.resource_names.is_empty()
    }
}

/// A Role or ClusterRole.
#[derive(Debug, Clone)]
pub(crate) struct Role {
    /// Index of its object in the inventory; `None` for a built-in ClusterRole the input
    /// references but does not contain.
    pub(crate) object: Option<usize>,
    /// `None` for ClusterRoles.
    pub(crate) namespace: Option<String>,
    pub(crate) name: String,
    /// Its own `rules`.
    pub(crate) grants: Vec<Grant>,
    /// ClusterRoles aggregated into it (`aggregationRule`).
    pub(crate) aggregated: Vec<usize>,
    /// Whether it has an `aggregationRule` (its `rules` are then the controller's copy of
    /// the aggregated roles' rules).
    pub(crate) aggregating: bool,
    /// A Kubernetes bootstrap role (label `kubernetes.io/bootstrapping: rbac-defaults`) or a
    /// name in the reserved `system:` prefix.
    pub(crate) system: bool,
}

impl Role {
    /// `Role ns/name` or `ClusterRole name`.
    pub(crate) fn describe(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("Role {ns}/{}", self.name),
            None => format!("ClusterRole {}", self.name),
        }
    }
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    /// Index of its object in the inventory.
    pub(crate) object: usize,
    /// `None` for ClusterRoleBindings.
    pub(crate) namespace: Option<String>,
    pub(crate) name: String,
    /// `roleRef.kind` (`Role` or `ClusterRole`).
    pub(crate) role_kind: String,
    /// `roleRef.name`.
    pub(crate) role_name: String,
    /// `(index in subjects, subject)`.
    pub(crate) subjects: Vec<(usize, Subject)>,
    /// A Kubernetes bootstrap binding or a `system:` name.
    pub(crate) system: bool,
}

impl Binding {
    /// Whether it grants its role in every namespace.
    pub(crate) fn is_cluster_wide(&self) -> bool {
        self.namespace.is_none()
    }

    /// `RoleBinding ns/name` or `ClusterRoleBinding name`.
    pub(crate) fn describe(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("RoleBinding {ns}/{}", self.name),
            None => format!("ClusterRoleBinding {}", self.name),
        }
    }
}

/// The RBAC index of an inventory.
#[derive(Debug, Default)]
pub(crate) struct Rbac {
    pub(crate) roles: Vec<Role>,
    by_name: HashMap<(Option<String>, String), usize>,
    pub(crate) bindings: Vec<Binding>,
}

fn is_system(object: &Object) -> bool {
    object.label("kubernetes.io/bootstrapping") == Some("rbac-defaults")
        || object.name().starts_with("system:")
}

impl Rbac {
    /// The index of `inventory`, built on first use.
    pub(crate) fn of(inventory: &Inventory) -> Arc<Rbac> {
        inventory.derived(Rbac::build)
    }

    fn build(inventory: &Inventory) -> Rbac {
        let mut rbac = Rbac::default();
        let mut aggregation: Vec<(usize, &Node)> = Vec::new();
        for (i, object) in inventory.objects().iter().enumerate() {
            if object.group() != RBAC_GROUP {
                continue;
            }
            match object.kind() {
                "Role" | "ClusterRole" => {
                    let cluster = object.kind() == "ClusterRole";
                    if !cluster && object.namespace().is_none() {
                        continue;
                    }
                    let grants = object
                        .root
                        .get("rules")
                        .map(Node::items)
                        .unwrap_or_default()
                        .iter()
                        .enumerate()
                        .map(|(j, r)| Grant::from_node(j, r))
                        .collect();
                    let role = Role {
                        object: Some(i),
                        namespace: if cluster {
                            None
                        } else {
                            object.namespace().map(str::to_owned)
                        },
                        name: object.name().to_owned(),
                        grants,
                        aggregated: Vec::new(),
                        aggregating: cluster && object.root.get("aggregationRule").is_some(),
                        system: is_system(object),
                    };
                    if let Some(rule) = object.root.get("aggregationRule").filter(|_| cluster) {
                        aggregation.push((rbac.roles.len(), rule));
                    }
                    rbac.by_name
                        .entry((role.namespace.clone(), role.name.clone()))
                        .or_insert(rbac.roles.len());
                    rbac.roles.push(role);
                }
                "RoleBinding" | "ClusterRoleBinding" => {
                    let cluster = object.kind() == "ClusterRoleBinding";
                    let namespace = if cluster {
                        None
                    } else {
                        match object.namespace() {
                            Some(ns) => Some(ns.to_owned()),
                            None => continue,
                        }
                    };
                    let role_ref = object.root.get("roleRef");
                    let text = |key: &str| {
                        role_ref
                            .and_then(|r| r.get(key))
                            .and_then(Node::as_str)
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let subjects = object
                        .root
                        .get("subjects")
                        .map(Node::items)
                        .unwrap_or_default()
                        .iter()
                        .enumerate()
                        .filter_map(|(j, s)| {
                            let kind = SubjectKind::parse(s.get("kind")?.as_str()?)?;
                            let name = s.get("name")?.as_str()?.to_owned();
                            let namespace = match kind {
                                SubjectKind::ServiceAccount => s
                                    .get("namespace")
                                    .and_then(Node::as_str)
                                    .map(str::to_owned)
                                    .or_else(|| namespace.clone()),
                                _ => None,
                            };
                            Some((
                                j,
                                Subject {
                                    kind,
                                    name,
                                    namespace,
                                },
                            ))
                        })
                        .collect();
                    rbac.bindings.push(Binding {
                        object: i,
                        namespace,
                        name: object.name().to_owned(),
                        role_kind: text("kind"),
                        role_name: text("name"),
                        subjects,
                        system: is_system(object),
                    });
                }
                _ => {}
            }
        }
        // Aggregation: a ClusterRole with an aggregationRule gets the rules of every
        // ClusterRole whose labels match one of its selectors.
        for (target, rule) in aggregation {
            let selectors = rule
                .get("clusterRoleSelectors")
                .map(Node::items)
                .unwrap_or_default();
            let sources: Vec<usize> = rbac
                .roles
                .iter()
                .enumerate()
                .filter(|(j, r)| *j != target && r.namespace.is_none())
                .filter(|(_, r)| {
                    let Some(object) = r.object.map(|o| &inventory.objects()[o]) else {
                        return false;
                    };
                    let labels = object.metadata().and_then(|m| m.get("labels"));
                    selectors.iter().any(|s| label_selector_matches(s, &labels))
                })
                .map(|(j, _)| j)
                .collect();
            rbac.roles[target].aggregated = sources;
        }
        // Built-in ClusterRoles the bindings reference but the input lacks.
        let referenced: Vec<String> = rbac
            .bindings
            .iter()
            .filter(|b| b.role_kind == "ClusterRole")
            .map(|b| b.role_name.clone())
            .collect();
        for name in referenced {
            if rbac.by_name.contains_key(&(None, name.clone())) {
                continue;
            }
            if let Some(grants) = builtin_cluster_role(&name) {
                rbac.by_name.insert((None, name.clone()), rbac.roles.len());
                rbac.roles.push(Role {
                    object: None,
                    namespace: None,
                    name,
                    grants,
                    aggregated: Vec::new(),
                    aggregating: false,
                    system: true,
                });
            }
        }
        rbac
    }

    /// The role a binding grants, if the input has it (or it is a built-in ClusterRole).
    pub(crate) fn role_of(&self, binding: &Binding) -> Option<&Role> {
        let namespace = match binding.role_kind.as_str() {
            "ClusterRole" => None,
            "Role" => Some(binding.namespace.clone()?),
            _ => return None,
        };
        self.by_name
            .get(&(namespace, binding.role_name.clone()))
            .map(|&i| &self.roles[i])
    }

    /// Every rule a role grants: its own, then those of the ClusterRoles aggregated into it,
    /// each with the role it is written in.
    pub(crate) fn grants<'a>(
        &'a self,
        role: &'a Role,
    ) -> impl Iterator<Item = (&'a Role, &'a Grant)> {
        role.grants.iter().map(move |g| (role, g)).chain(
            role.aggregated
                .iter()
                .map(|&i| &self.roles[i])
                .flat_map(|r| r.grants.iter().map(move |g| (r, g))),
        )
    }

    /// Whether a role grants `verb` on `resource` of `group` on every object.
    pub(crate) fn role_allows(&self, role: &Role, verb: &str, group: &str, resource: &str) -> bool {
        self.grants(role)
            .any(|(_, g)| g.allows(verb, group, resource))
    }

    /// Whether a role grants `verb` on the object `name` of `resource` (a rule limited by
    /// `resourceNames` counts when it lists `name`).
    pub(crate) fn role_allows_on(
        &self,
        role: &Role,
        verb: &str,
        group: &str,
        resource: &str,
        name: &str,
    ) -> bool {
        self.grants(role).any(|(_, g)| {
            g.allows_some(verb, group, resource)
                && (g.resource_names.is_empty() || g.resource_names.iter().any(|n| n == name))
        })
    }

    /// Whether a role grants everything (`cluster-admin` or an equivalent `*` on `*`).
    pub(crate) fn role_is_everything(&self, role: &Role) -> bool {
        (role.namespace.is_none() && role.name == "cluster-admin")
            || self.grants(role).any(|(_, g)| g.is_everything())
    }

    /// The ClusterRoles that aggregate `role` (through their `aggregationRule`).
    pub(crate) fn aggregators_of<'a>(&'a self, role: &'a Role) -> impl Iterator<Item = &'a Role> {
        self.roles.iter().filter(move |r| {
            r.aggregated
                .iter()
                .any(|&i| std::ptr::eq(&self.roles[i], role))
        })
    }

    /// Bindings whose role is `role`.
    pub(crate) fn bindings_of<'a>(&'a self, role: &'a Role) -> impl Iterator<Item = &'a Binding> {
        self.bindings.iter().filter(move |b| {
            b.role_name == role.name
                && match &role.namespace {
                    None => b.role_kind == "ClusterRole",
                    Some(ns) => b.role_kind == "Role" && b.namespace.as_ref() == Some(ns),
                }
        })
    }
}

/// Pointer to `rules[i]` of a role object.
pub(crate) fn rule_pointer(grant: &Grant) -> JsonPointer {
    JsonPointer::root().key("rules").index(grant.index)
}

/// Pointer to `subjects[i]` of a binding object.
pub(crate) fn subject_pointer(index: usize) -> JsonPointer {
    JsonPointer::root().key("subjects").index(index)
}

/// The grants of the user-facing built-in ClusterRoles, for inputs that bind them without
/// containing them (manifests; snapshots hold the real ones). Reduced to what the rules ask.
fn builtin_cluster_role(name: &str) -> Option<Vec<Grant>> {
    const WRITE: &[&str] = &[
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    ];
    const READ: &[&str] = &["get", "list", "watch"];
    const CORE_EDIT: &[&str] = &[
        "pods",
        "pods/attach",
        "pods/exec",
        "pods/portforward",
        "pods/proxy",
        "secrets",
        "configmaps",
        "services",
        "services/proxy",
        "serviceaccounts",
        "persistentvolumeclaims",
        "replicationcontrollers",
        "endpoints",
    ];
    const CORE_VIEW: &[&str] = &[
        "pods",
        "pods/log",
        "configmaps",
        "services",
        "serviceaccounts",
        "persistentvolumeclaims",
        "replicationcontrollers",
        "endpoints",
        "events",
    ];
    const APPS: &[&str] = &["deployments", "daemonsets", "statefulsets", "replicasets"];
    const BATCH: &[&str] = &["jobs", "cronjobs"];
    let edit = || {
        vec![
            Grant::of(WRITE, &[""], CORE_EDIT),
            Grant::of(&["impersonate"], &[""], &["serviceaccounts"]),
            Grant::of(WRITE, &["apps"], APPS),
            Grant::of(WRITE, &["batch"], BATCH),
        ]
    };
    let grants = match name {
        "cluster-admin" => vec![Grant::of(&["*"], &["*"], &["*"])],
        "admin" => {
            let mut g = edit();
            g.push(Grant::of(WRITE, &[RBAC_GROUP], &["roles", "rolebindings"]));
            g
        }
        "edit" => edit(),
        "view" => vec![
            Grant::of(READ, &[""], CORE_VIEW),
            Grant::of(READ, &["apps"], APPS),
            Grant::of(READ, &["batch"], BATCH),
        ],
        _ => return None,
    };
    Some(grants)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_k8s::{KindFilter, load};
    use std::collections::BTreeMap;

    fn inventory(text: &str) -> Inventory {
        let objects = load("t.yaml", text.as_bytes(), &KindFilter::All, None).objects;
        Inventory::new(objects, &BTreeMap::new())
    }

    #[test]
    fn grants_follow_kubernetes_matching() {
        let g = Grant::of(&["get"], &[""], &["*/exec", "secrets"]);
        assert!(g.allows("get", "", "pods/exec"));
        assert!(g.allows("get", "", "secrets"));
        assert!(!g.allows("get", "", "pods"));
        assert!(!g.allows("list", "", "secrets"));
        assert!(!g.allows("get", "apps", "secrets"));
        assert!(Grant::of(&["*"], &["*"], &["*"]).is_everything());
    }

    #[test]
    fn bindings_resolve_roles_aggregation_and_builtins() {
        let inv = inventory(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: agg}\naggregationRule:\n  clusterRoleSelectors: [{matchLabels: {agg: 'true'}}]\nrules: []\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: part, labels: {agg: 'true'}}\nrules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: shop}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: agg}\nsubjects: [{kind: ServiceAccount, name: app}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ca}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: alice}]\n",
        );
        let rbac = Rbac::of(&inv);
        let b = &rbac.bindings[0];
        assert_eq!(b.subjects[0].1.namespace.as_deref(), Some("shop"));
        let role = rbac.role_of(b).expect("aggregated role");
        assert!(rbac.role_allows(role, "get", "", "secrets"));
        let admin = rbac.role_of(&rbac.bindings[1]).expect("built-in");
        assert!(admin.object.is_none());
        assert!(rbac.role_is_everything(admin));
        assert_eq!(rbac.bindings_of(admin).count(), 1);
    }
}
