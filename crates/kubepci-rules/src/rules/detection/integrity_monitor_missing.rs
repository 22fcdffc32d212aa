use crate::rules::prelude::*;
use crate::support::cluster::{anchor_pointer, cluster_anchor};
use crate::support::component::{find_components, list_names};

declare_rule! {
    /// ## What it does
    /// When the input is a whole cluster, flags the cluster when no file-integrity or
    /// change-detection mechanism is visible: no DaemonSet from `platform.integrityMonitors`
    /// (AIDE, the file-integrity operator's daemon, Wazuh, osquery, Tripwire, Samhain by
    /// default), no `FileIntegrity` object (OpenShift file-integrity operator) and no Tetragon
    /// `TracingPolicy`. Runtime detectors are not counted by default: add yours to
    /// `platform.integrityMonitors` if its rules watch critical files.
    ///
    /// ## Why is this bad?
    /// PCI DSS 11.5.2 requires a change-detection mechanism that alerts on unauthorised
    /// modification of critical system files, configuration files and content files, and
    /// 10.3.4 protects audit logs the same way. Nodes carry the kubelet configuration,
    /// certificates and audit logs: changes to them must raise an alert.
    ///
    /// ## How to fix
    /// Deploy a file-integrity monitor on every node (the file-integrity operator on
    /// OpenShift, an AIDE or Wazuh DaemonSet elsewhere), or name the agent you use in
    /// `platform.integrityMonitors`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1, labels: {kubernetes.io/os: linux}}
    /// status: {nodeInfo: {kubeletVersion: v1.33.1}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: falco, namespace: falco}
    /// spec:
    ///   selector: {matchLabels: {app: falco}}
    ///   template:
    ///     metadata: {labels: {app: falco}}
    ///     spec:
    ///       containers:
    ///         - {name: falco, image: docker.io/falcosecurity/falco:0.41.0}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1, labels: {kubernetes.io/os: linux}}
    /// status: {nodeInfo: {kubeletVersion: v1.33.1}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: wazuh-agent, namespace: security}
    /// spec:
    ///   selector: {matchLabels: {app: wazuh-agent}}
    ///   template:
    ///     metadata: {labels: {app: wazuh-agent}}
    ///     spec:
    ///       containers:
    ///         - {name: agent, image: docker.io/wazuh/wazuh-agent:4.9.0}
    /// ```
    pub(crate) struct IntegrityMonitorMissing {
        id: "KP5103",
        name: "integrity-monitor-missing",
        summary: "No file-integrity monitoring in the cluster",
        severity: Medium,
        target: Target::Inventory(&[
            "Node", "Namespace", "Pod", "Deployment", "StatefulSet", "DaemonSet",
            "ReplicaSet", "ReplicationController", "Job", "CronJob", "FileIntegrity",
            "TracingPolicy",
        ]),
        admission: ScanOnly,
        pci: ["11.5.2", "10.3.4"],
        tags: [],
    }
}

impl Rule for IntegrityMonitorMissing {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let Some(anchor) = cluster_anchor(cx.inventory, cx.settings) else {
            return;
        };
        let names = &cx.settings.platform.integrity_monitors;
        let present = !find_components(cx.inventory, &["DaemonSet"], names).is_empty()
            || cx
                .inventory
                .of_kind("FileIntegrity")
                .any(|o| o.group() == "fileintegrity.openshift.io")
            || cx
                .inventory
                .of_kind("TracingPolicy")
                .any(|o| o.group() == "cilium.io");
        if !present {
            cx.report_on(
                anchor,
                anchor_pointer(),
                format!(
                    "no file-integrity monitoring on the nodes: no DaemonSet from platform.integrityMonitors ({}), no FileIntegrity, no Tetragon TracingPolicy",
                    list_names(names)
                ),
            );
        }
    }
}
