use crate::rules::prelude::*;
use crate::support::admission::enforced_in;
use crate::support::cluster::is_cluster;

declare_rule! {
    /// ## What it does
    /// When the input is a whole cluster, flags in-scope Namespace objects (exempt
    /// namespaces excepted) where no admission mechanism enforces a policy on Pod creation:
    /// no Pod Security Admission enforce level `baseline` or `restricted`, no fail-closed
    /// validating webhook whose rules and `namespaceSelector` cover Pod creation there, and no
    /// ValidatingAdmissionPolicyBinding with `Deny` for a policy that matches Pod creation.
    ///
    /// ## Why is this bad?
    /// Without admission control the configuration standard is only checked after the fact:
    /// a privileged or root pod runs until the next scan notices it. PCI DSS 2.2.1 requires
    /// the standard to be implemented on every system component, and 10.7.2 the failure of
    /// the controls enforcing it to be detected; an uncovered namespace is such a failure.
    ///
    /// ## How to fix
    /// Label the namespace with a PSA enforce level (`restricted`), and make sure kubepci's
    /// webhook (or your policy engine) selects it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status: {nodeInfo: {kubeletVersion: v1.33.1}}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status: {nodeInfo: {kubeletVersion: v1.33.1}}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {kubepci.io/scope: cde, pod-security.kubernetes.io/enforce: restricted}
    /// ```
    pub(crate) struct NamespaceWithoutAdmissionControl {
        id: "KP7013",
        name: "namespace-without-admission-control",
        summary: "In-scope namespace without any admission enforcement",
        severity: High,
        target: Target::Inventory(&[
            "Node", "Namespace", "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
            "ReplicationController", "Job", "CronJob", "ValidatingWebhookConfiguration",
            "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
        ]),
        admission: ScanOnly,
        pci: ["2.2.1", "10.7.2"],
        tags: [],
    }
}

impl Rule for NamespaceWithoutAdmissionControl {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        if !is_cluster(inventory, cx.settings) {
            return;
        }
        for namespace in inventory.of_kind("Namespace") {
            let scope = inventory.scope_of_namespace(namespace.name());
            if namespace.api_version() != "v1"
                || cx.settings.is_exempt_namespace(namespace.name())
                || !scope.in_scope()
            {
                continue;
            }
            if !enforced_in(inventory, namespace) {
                cx.report_on(
                    namespace,
                    JsonPointer::root().key("metadata"),
                    format!("{scope} namespace: no PSA enforce level, fail-closed webhook or admission policy checks the pods created here"),
                );
            }
        }
    }
}
