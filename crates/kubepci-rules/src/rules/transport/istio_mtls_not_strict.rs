use crate::rules::prelude::*;

/// Whether an object is an Istio `PeerAuthentication`.
pub(super) fn is_peer_authentication(object: &Object) -> bool {
    object.kind() == "PeerAuthentication" && object.group() == "security.istio.io"
}

/// `spec.mtls.mode` (`UNSET` when absent).
pub(super) fn mode(object: &Object) -> &str {
    object
        .root
        .path(&["spec", "mtls", "mode"])
        .and_then(Node::as_str)
        .unwrap_or("UNSET")
}

/// Whether a PeerAuthentication applies to the whole namespace (no workload selector).
pub(super) fn namespace_wide(object: &Object) -> bool {
    object
        .root
        .path(&["spec", "selector", "matchLabels"])
        .is_none_or(|m| m.entries().is_empty())
}

declare_rule! {
    /// ## What it does
    /// Flags Istio `PeerAuthentication` policies in `cde` namespaces that accept plain text:
    /// `spec.mtls.mode` `PERMISSIVE` or `DISABLE`, namespace-wide or for selected workloads,
    /// and `portLevelMtls` entries with those modes. (`UNSET` inherits and is judged with the
    /// namespace by KP4014.)
    ///
    /// ## Why is this bad?
    /// In `PERMISSIVE` mode a workload accepts plain-text connections next to mTLS: anything
    /// in the cluster can talk to it unauthenticated and unencrypted, and the mesh's identity
    /// becomes optional. PCI DSS 4.2.1 calls for strong cryptography in transit (a best
    /// practice inside the cluster), 8.3.2 for authentication factors protected in transit,
    /// and mTLS identities support the CDE segmentation of 1.3.1.
    ///
    /// ## How to fix
    /// Set `mtls.mode: STRICT` once every client is in the mesh; move legacy clients to a
    /// connected namespace behind an egress gateway instead of relaxing the CDE.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: security.istio.io/v1
    /// kind: PeerAuthentication
    /// metadata: {name: default, namespace: payments}
    /// spec:
    ///   mtls: {mode: PERMISSIVE}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: security.istio.io/v1
    /// kind: PeerAuthentication
    /// metadata: {name: default, namespace: payments}
    /// spec:
    ///   mtls: {mode: STRICT}
    /// ```
    pub(crate) struct IstioMtlsNotStrict {
        id: "KP4013",
        name: "istio-mtls-not-strict",
        summary: "Istio PeerAuthentication accepts plain text in the CDE",
        severity: Medium,
        target: Target::Kinds(&["PeerAuthentication"]),
        pci: ["4.2.1", "8.3.2", "1.3.1"],
        tags: [],
    }
}

impl Rule for IstioMtlsNotStrict {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if !is_peer_authentication(object) || !cx.scope().is_cde() {
            return;
        }
        let what = if namespace_wide(object) {
            "the whole namespace"
        } else {
            "the selected workloads"
        };
        let m = mode(object);
        if matches!(m, "PERMISSIVE" | "DISABLE") {
            cx.report(
                JsonPointer::root().key("spec").key("mtls").key("mode"),
                format!("mTLS mode {m} lets {what} accept plain-text connections"),
            );
        }
        for entry in object
            .root
            .path(&["spec", "portLevelMtls"])
            .map(Node::entries)
            .unwrap_or_default()
        {
            let m = entry
                .value
                .get("mode")
                .and_then(Node::as_str)
                .unwrap_or("UNSET");
            if matches!(m, "PERMISSIVE" | "DISABLE") {
                cx.report(
                    JsonPointer::root()
                        .key("spec")
                        .key("portLevelMtls")
                        .key(&entry.key)
                        .key("mode"),
                    format!(
                        "mTLS mode {m} on port {} accepts plain-text connections",
                        entry.key
                    ),
                );
            }
        }
    }
}
