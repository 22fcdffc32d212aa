//! Typed views of pod templates: every pod-template kind yields its pod spec, its containers
//! (regular, init and ephemeral) and their *effective* security context.

use kubepci_model::{JsonPointer, Node};

use crate::Object;

/// Kinds that carry a pod template, and where: `(kind, path to the pod spec, path to the pod
/// metadata)`.
const TEMPLATE_PATHS: &[(&str, &[&str], &[&str])] = &[
    ("Pod", &["spec"], &["metadata"]),
    (
        "Deployment",
        &["spec", "template", "spec"],
        &["spec", "template", "metadata"],
    ),
    (
        "StatefulSet",
        &["spec", "template", "spec"],
        &["spec", "template", "metadata"],
    ),
    (
        "DaemonSet",
        &["spec", "template", "spec"],
        &["spec", "template", "metadata"],
    ),
    (
        "ReplicaSet",
        &["spec", "template", "spec"],
        &["spec", "template", "metadata"],
    ),
    (
        "ReplicationController",
        &["spec", "template", "spec"],
        &["spec", "template", "metadata"],
    ),
    (
        "Job",
        &["spec", "template", "spec"],
        &["spec", "template", "metadata"],
    ),
    (
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
        &["spec", "jobTemplate", "spec", "template", "metadata"],
    ),
];

/// Every kind that carries a pod template.
pub const POD_TEMPLATE_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

/// The pod spec of a Pod or of a workload's template.
#[derive(Debug, Clone)]
pub struct PodTemplate<'a> {
    /// The object that owns the template (findings are reported on it).
    pub object: &'a Object,
    /// The pod spec.
    pub spec: &'a Node,
    /// Pointer to the pod spec within the object.
    pub spec_pointer: JsonPointer,
    /// The pod's metadata (a workload's template metadata).
    pub metadata: Option<&'a Node>,
    /// Pointer to that metadata.
    pub metadata_pointer: JsonPointer,
}

impl<'a> PodTemplate<'a> {
    /// The pod template of an object, if its kind has one and the spec is a mapping.
    #[must_use]
    pub fn of(object: &'a Object) -> Option<Self> {
        let (_, spec_path, meta_path) = TEMPLATE_PATHS
            .iter()
            .find(|(k, _, _)| *k == object.kind())?;
        let spec = object.root.path(spec_path).filter(|n| n.is_map())?;
        let to_pointer = |path: &[&str]| path.iter().fold(JsonPointer::root(), |p, k| p.key(k));
        Some(Self {
            object,
            spec,
            spec_pointer: to_pointer(spec_path),
            metadata: object.root.path(meta_path),
            metadata_pointer: to_pointer(meta_path),
        })
    }

    /// Pointer to a field of the pod spec.
    #[must_use]
    pub fn pointer(&self, keys: &[&str]) -> JsonPointer {
        keys.iter().fold(self.spec_pointer.clone(), |p, k| p.key(k))
    }

    /// A field of the pod spec.
    #[must_use]
    pub fn get(&self, keys: &[&str]) -> Option<&'a Node> {
        self.spec.path(keys)
    }

    /// The pod-level `securityContext`.
    #[must_use]
    pub fn security_context(&self) -> Option<&'a Node> {
        self.spec.get("securityContext")
    }

    /// A pod annotation (template annotations for workloads).
    #[must_use]
    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.metadata?.get("annotations")?.get(key)?.as_str()
    }

    /// A pod label (template labels for workloads).
    #[must_use]
    pub fn label(&self, key: &str) -> Option<&'a str> {
        self.metadata?.get("labels")?.get(key)?.as_str()
    }

    /// Whether `spec.os.name` is `windows` (several restricted controls do not apply).
    #[must_use]
    pub fn is_windows(&self) -> bool {
        self.get(&["os", "name"]).and_then(Node::as_str) == Some("windows")
    }

    /// `spec.hostUsers` (`false` means the pod runs in a user namespace).
    #[must_use]
    pub fn host_users(&self) -> Option<bool> {
        self.get(&["hostUsers"]).and_then(Node::as_bool)
    }

    /// `spec.volumes` items.
    #[must_use]
    pub fn volumes(&self) -> &'a [Node] {
        self.spec
            .get("volumes")
            .map(Node::items)
            .unwrap_or_default()
    }

    /// Every container: regular, then init, then ephemeral.
    pub fn containers(&self) -> impl Iterator<Item = Container<'a>> + '_ {
        ContainerKind::ALL.into_iter().flat_map(move |kind| {
            self.spec
                .get(kind.field())
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .filter(|(_, node)| node.is_map())
                .map(move |(index, node)| Container {
                    kind,
                    node,
                    pointer: self.spec_pointer.key(kind.field()).index(index),
                    pod_security_context: self.security_context(),
                    pod_security_context_pointer: self.spec_pointer.key("securityContext"),
                })
        })
    }
}

/// Which list a container is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    /// `spec.containers`.
    Container,
    /// `spec.initContainers`.
    Init,
    /// `spec.ephemeralContainers`.
    Ephemeral,
}

impl ContainerKind {
    /// All kinds in report order.
    pub const ALL: [ContainerKind; 3] = [
        ContainerKind::Container,
        ContainerKind::Init,
        ContainerKind::Ephemeral,
    ];

    /// The pod-spec field holding this kind of container.
    #[must_use]
    pub const fn field(self) -> &'static str {
        match self {
            ContainerKind::Container => "containers",
            ContainerKind::Init => "initContainers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }

    /// How messages name it.
    #[must_use]
    pub const fn noun(self) -> &'static str {
        match self {
            ContainerKind::Container => "container",
            ContainerKind::Init => "init container",
            ContainerKind::Ephemeral => "ephemeral container",
        }
    }
}

/// One container of a pod template.
#[derive(Debug, Clone)]
pub struct Container<'a> {
    /// Which list it is in.
    pub kind: ContainerKind,
    /// The container.
    pub node: &'a Node,
    /// Pointer to the container.
    pub pointer: JsonPointer,
    pod_security_context: Option<&'a Node>,
    pod_security_context_pointer: JsonPointer,
}

impl<'a> Container<'a> {
    /// `name` (empty when missing).
    #[must_use]
    pub fn name(&self) -> &'a str {
        self.node
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or_default()
    }

    /// `image`.
    #[must_use]
    pub fn image(&self) -> Option<&'a str> {
        self.node.get("image").and_then(Node::as_str)
    }

    /// "container `app`", "init container `setup`"…
    #[must_use]
    pub fn describe(&self) -> String {
        format!("{} `{}`", self.kind.noun(), self.name())
    }

    /// Pointer to a field of the container.
    #[must_use]
    pub fn pointer_to(&self, keys: &[&str]) -> JsonPointer {
        keys.iter().fold(self.pointer.clone(), |p, k| p.key(k))
    }

    /// A field of the container.
    #[must_use]
    pub fn get(&self, keys: &[&str]) -> Option<&'a Node> {
        self.node.path(keys)
    }

    /// The effective security context of this container.
    #[must_use]
    pub fn security_context(&self) -> SecurityContext<'a> {
        SecurityContext {
            container: self.node.get("securityContext"),
            container_pointer: self.pointer.key("securityContext"),
            pod: self.pod_security_context,
            pod_pointer: self.pod_security_context_pointer.clone(),
        }
    }
}

/// A container's effective security context. Fields Kubernetes inherits from the pod
/// (`runAsUser`, `runAsGroup`, `runAsNonRoot`, `seLinuxOptions`, `seccompProfile`,
/// `appArmorProfile`, `windowsOptions`) fall back to the pod-level value; the others
/// (`privileged`, `allowPrivilegeEscalation`, `capabilities`, `readOnlyRootFilesystem`,
/// `procMount`) exist only on the container.
#[derive(Debug, Clone)]
pub struct SecurityContext<'a> {
    container: Option<&'a Node>,
    container_pointer: JsonPointer,
    pod: Option<&'a Node>,
    pod_pointer: JsonPointer,
}

/// Fields a container inherits from the pod's security context.
const INHERITED: &[&str] = &[
    "runAsUser",
    "runAsGroup",
    "runAsNonRoot",
    "seLinuxOptions",
    "seccompProfile",
    "appArmorProfile",
    "windowsOptions",
];

impl<'a> SecurityContext<'a> {
    /// The effective value of a field and where it is set (container first, then pod for
    /// inherited fields). `null` values count as unset.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<(&'a Node, JsonPointer)> {
        if let Some(node) = self
            .container
            .and_then(|c| c.get(key))
            .filter(|n| !n.is_null())
        {
            return Some((node, self.container_pointer.key(key)));
        }
        if INHERITED.contains(&key)
            && let Some(node) = self.pod.and_then(|p| p.get(key)).filter(|n| !n.is_null())
        {
            return Some((node, self.pod_pointer.key(key)));
        }
        None
    }

    /// The container's own value of a field (no inheritance) and its pointer.
    #[must_use]
    pub fn own(&self, key: &str) -> Option<(&'a Node, JsonPointer)> {
        self.container
            .and_then(|c| c.get(key))
            .filter(|n| !n.is_null())
            .map(|n| (n, self.container_pointer.key(key)))
    }

    /// Where a container-level field is (or would be) written.
    #[must_use]
    pub fn container_pointer(&self, key: &str) -> JsonPointer {
        self.container_pointer.key(key)
    }

    /// Effective boolean field.
    #[must_use]
    pub fn bool(&self, key: &str) -> Option<(bool, JsonPointer)> {
        self.get(key).and_then(|(n, p)| n.as_bool().map(|b| (b, p)))
    }

    /// Effective integer field.
    #[must_use]
    pub fn int(&self, key: &str) -> Option<(i64, JsonPointer)> {
        self.get(key).and_then(|(n, p)| n.as_i64().map(|i| (i, p)))
    }

    /// Effective `<key>.type` string, e.g. `seccompProfile.type`.
    #[must_use]
    pub fn profile_type(&self, key: &str) -> Option<(&'a str, JsonPointer)> {
        self.get(key).and_then(|(n, p)| {
            n.get("type")
                .and_then(Node::as_str)
                .map(|t| (t, p.key("type")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KindFilter, load};

    fn object(text: &str) -> Object {
        load("t.yaml", text.as_bytes(), &KindFilter::All, None)
            .objects
            .remove(0)
    }

    #[test]
    fn cronjob_template_and_inheritance() {
        let o = object(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          securityContext: {runAsUser: 0, runAsNonRoot: true}\n          containers:\n          - name: a\n            securityContext: {runAsUser: 1000}\n          initContainers:\n          - name: b\n",
        );
        let pod = PodTemplate::of(&o).expect("template");
        let containers: Vec<_> = pod.containers().collect();
        assert_eq!(containers.len(), 2);
        let (uid, ptr) = containers[0]
            .security_context()
            .int("runAsUser")
            .expect("uid");
        assert_eq!(uid, 1000);
        assert_eq!(
            ptr.as_str(),
            "/spec/jobTemplate/spec/template/spec/containers/0/securityContext/runAsUser"
        );
        let (uid, ptr) = containers[1]
            .security_context()
            .int("runAsUser")
            .expect("uid");
        assert_eq!(uid, 0);
        assert_eq!(
            ptr.as_str(),
            "/spec/jobTemplate/spec/template/spec/securityContext/runAsUser"
        );
        assert_eq!(containers[1].kind, ContainerKind::Init);
    }

    #[test]
    fn privileged_is_not_inherited() {
        let o = object(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: {privileged: true}\n  containers:\n  - name: a\n",
        );
        let pod = PodTemplate::of(&o).expect("template");
        let c = pod.containers().next().expect("container");
        assert!(c.security_context().bool("privileged").is_none());
    }

    #[test]
    fn non_workloads_have_no_template() {
        let o = object("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {}\n");
        assert!(PodTemplate::of(&o).is_none());
    }
}
