//! A Kubernetes object as loaded from a file: its positioned tree plus its identity.

use std::sync::Arc;

use kubepci_model::{JsonPointer, Location, Node, ObjectRef};

/// One Kubernetes object from the input.
#[derive(Debug, Clone)]
pub struct Object {
    /// The whole object.
    pub root: Node,
    /// apiVersion, kind, namespace, name.
    pub id: ObjectRef,
    /// The file it came from (`-` for stdin).
    pub file: Arc<str>,
    /// `true` when the object names no namespace and the scan assumed one (`--namespace`).
    pub namespace_assumed: bool,
}

/// Kinds that are not namespaced (core, common add-ons and CNI/mesh CRDs).
const CLUSTER_SCOPED_KINDS: &[&str] = &[
    "APIService",
    "AdminNetworkPolicy",
    "BaselineAdminNetworkPolicy",
    "CSIDriver",
    "CSINode",
    "CertificateSigningRequest",
    "CiliumClusterwideNetworkPolicy",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CustomResourceDefinition",
    "FlowSchema",
    "GatewayClass",
    "GlobalNetworkPolicy",
    "GlobalNetworkSet",
    "IngressClass",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// Whether objects of `kind` live outside namespaces.
#[must_use]
pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED_KINDS.binary_search(&kind).is_ok()
}

impl Object {
    /// Builds an object from a parsed document. `Ok(None)` when the document has no
    /// `apiVersion` or `kind` (not a Kubernetes object).
    pub(crate) fn from_node(
        root: Node,
        file: Arc<str>,
        default_namespace: Option<&str>,
    ) -> Result<Option<Object>, String> {
        let (Some(api_version), Some(kind)) = (
            root.get("apiVersion").and_then(Node::scalar_text),
            root.get("kind").and_then(Node::scalar_text),
        ) else {
            return Ok(None);
        };
        let (api_version, kind) = (api_version.into_owned(), kind.into_owned());
        let metadata = root.get("metadata");
        if let Some(m) = metadata
            && !m.is_map()
            && !m.is_null()
        {
            return Err("`metadata` is not a mapping".into());
        }
        let name = metadata
            .and_then(|m| m.get("name"))
            .and_then(Node::scalar_text)
            .map(|n| n.into_owned())
            .or_else(|| {
                metadata
                    .and_then(|m| m.get("generateName"))
                    .and_then(Node::as_str)
                    .map(|g| format!("{g}*"))
            })
            .unwrap_or_else(|| "<unnamed>".to_owned());
        let declared = metadata
            .and_then(|m| m.get("namespace"))
            .and_then(Node::as_str)
            .filter(|ns| !ns.is_empty());
        let (namespace, namespace_assumed) = if is_cluster_scoped(&kind) {
            (None, false)
        } else if let Some(ns) = declared {
            (Some(ns.to_owned()), false)
        } else {
            (
                default_namespace.map(str::to_owned),
                default_namespace.is_some(),
            )
        };
        Ok(Some(Object {
            root,
            id: ObjectRef {
                api_version,
                kind,
                namespace,
                name,
            },
            file,
            namespace_assumed,
        }))
    }

    /// `kind`.
    #[must_use]
    pub fn kind(&self) -> &str {
        &self.id.kind
    }

    /// `apiVersion`.
    #[must_use]
    pub fn api_version(&self) -> &str {
        &self.id.api_version
    }

    /// API group (`""` for the core group).
    #[must_use]
    pub fn group(&self) -> &str {
        self.id.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    /// `metadata.name`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.id.name
    }

    /// The namespace (declared or assumed); `None` for cluster-scoped objects or when unknown.
    #[must_use]
    pub fn namespace(&self) -> Option<&str> {
        self.id.namespace.as_deref()
    }

    /// Whether the object lives outside namespaces.
    #[must_use]
    pub fn is_cluster_scoped(&self) -> bool {
        is_cluster_scoped(self.kind())
    }

    /// `metadata`, if present.
    #[must_use]
    pub fn metadata(&self) -> Option<&Node> {
        self.root.get("metadata")
    }

    /// `metadata.labels` as key/value pairs (non-string values skipped).
    pub fn labels(&self) -> impl Iterator<Item = (&str, &str)> {
        string_pairs(self.metadata().and_then(|m| m.get("labels")))
    }

    /// One label.
    #[must_use]
    pub fn label(&self, key: &str) -> Option<&str> {
        self.metadata()?.get("labels")?.get(key)?.as_str()
    }

    /// One annotation.
    #[must_use]
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata()?.get("annotations")?.get(key)?.as_str()
    }

    /// Where a field of this object is written.
    #[must_use]
    pub fn location(&self, pointer: &JsonPointer) -> Location {
        let pos = self.root.position_of(pointer);
        Location {
            file: self.file.clone(),
            line: pos.line,
            column: pos.column,
        }
    }
}

/// String key/value pairs of a mapping node.
pub(crate) fn string_pairs(node: Option<&Node>) -> impl Iterator<Item = (&str, &str)> {
    node.map(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e.value.as_str().map(|v| (&*e.key, v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_scoped_kinds_are_sorted_for_binary_search() {
        let mut sorted = CLUSTER_SCOPED_KINDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, CLUSTER_SCOPED_KINDS);
        assert!(is_cluster_scoped("ClusterRole"));
        assert!(!is_cluster_scoped("Role"));
    }
}
