use super::istio_mtls_not_strict::{is_peer_authentication, mode, namespace_wide};
use crate::rules::prelude::*;

/// Istio's default root namespace: mesh-wide policies live there.
const ROOT_NAMESPACE: &str = "istio-system";

/// Kinds whose presence shows that Istio runs.
const ISTIO_KINDS: &[&str] = &[
    "PeerAuthentication",
    "AuthorizationPolicy",
    "DestinationRule",
    "VirtualService",
    "Sidecar",
];

declare_rule! {
    /// ## What it does
    /// When the input shows Istio (its resources, or a namespace with `istio-injection` or
    /// `istio.io/rev` labels), flags each `cde` Namespace that no STRICT mTLS policy covers:
    /// neither a namespace-wide `PeerAuthentication` in it with `mode: STRICT`, nor (when it
    /// has none, or one with `UNSET`) a mesh-wide STRICT policy in `istio-system`.
    /// Namespace-wide policies that set `PERMISSIVE` or `DISABLE` are KP4013's findings.
    ///
    /// ## Why is this bad?
    /// Istio's default is `PERMISSIVE`: without a STRICT policy, CDE workloads accept
    /// plain-text connections from anything that can reach them. PCI DSS 4.2.1 calls for
    /// strong cryptography in transit, 8.3.2 for authentication factors protected in
    /// transit, and 1.3.1 for controlled traffic into the CDE.
    ///
    /// ## How to fix
    /// Apply a namespace-wide PeerAuthentication with `mtls.mode: STRICT` in the namespace
    /// (or mesh-wide in `istio-system`).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {kubepci.io/scope: cde, istio-injection: enabled}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {kubepci.io/scope: cde, istio-injection: enabled}
    /// ---
    /// apiVersion: security.istio.io/v1
    /// kind: PeerAuthentication
    /// metadata: {name: default, namespace: payments}
    /// spec:
    ///   mtls: {mode: STRICT}
    /// ```
    pub(crate) struct IstioCdeWithoutStrictMtls {
        id: "KP4014",
        name: "istio-cde-without-strict-mtls",
        summary: "CDE namespace in an Istio mesh without STRICT mTLS",
        severity: Medium,
        target: Target::Inventory(&[
            "Namespace",
            "PeerAuthentication",
            "AuthorizationPolicy",
            "DestinationRule",
            "VirtualService",
            "Sidecar",
        ]),
        admission: ScanOnly,
        pci: ["4.2.1", "8.3.2", "1.3.1"],
        tags: [],
    }
}

impl Rule for IstioCdeWithoutStrictMtls {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        let istio = ISTIO_KINDS.iter().any(|k| {
            inventory
                .of_kind(k)
                .any(|o| o.group().ends_with("istio.io"))
        }) || inventory.of_kind("Namespace").any(|n| {
            n.label("istio-injection") == Some("enabled") || n.label("istio.io/rev").is_some()
        });
        if !istio {
            return;
        }
        let policies: Vec<&Object> = inventory
            .of_kind("PeerAuthentication")
            .filter(|p| is_peer_authentication(p) && namespace_wide(p))
            .collect();
        let mesh_strict = policies
            .iter()
            .any(|p| p.namespace() == Some(ROOT_NAMESPACE) && mode(p) == "STRICT");
        for namespace in inventory.of_kind("Namespace") {
            if !inventory.scope_of_namespace(namespace.name()).is_cde() {
                continue;
            }
            let own = policies
                .iter()
                .find(|p| p.namespace() == Some(namespace.name()))
                .map(|p| mode(p));
            let covered = match own {
                Some("STRICT") => true,
                Some("PERMISSIVE" | "DISABLE") => true, // KP4013 reports it
                _ => mesh_strict,
            };
            if !covered {
                cx.report_on(
                    namespace,
                    JsonPointer::root().key("metadata"),
                    "CDE namespace in an Istio mesh has no STRICT mTLS PeerAuthentication (Istio defaults to PERMISSIVE)",
                );
            }
        }
    }
}
