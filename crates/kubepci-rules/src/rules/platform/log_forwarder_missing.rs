use crate::rules::prelude::*;
use crate::support::cluster::{CLUSTER_KINDS, anchor_pointer, cluster_anchor};
use crate::support::component::{find_components, list_names};

declare_rule! {
    /// ## What it does
    /// When the input is a whole cluster, flags the cluster when no DaemonSet is a log
    /// forwarder from `platform.logForwarders` (Fluent Bit, Fluentd, Vector, OpenTelemetry
    /// Collector, Promtail, Grafana Alloy, Filebeat, Datadog, Splunk and GKE's Fluent Bit by
    /// default).
    ///
    /// ## Why is this bad?
    /// Container and node logs live on the node: they rotate away and vanish with it, and
    /// anyone with root on the node can edit them. PCI DSS 10.2.1 requires audit logs for
    /// all system components, 10.3.3 that they are promptly backed up to a central server,
    /// and 10.7.2 that the failure of logging is detected.
    ///
    /// ## How to fix
    /// Run a log forwarder as a DaemonSet on every node, tolerating every taint, shipping to
    /// the central log store (and kubepci's audit store for audit events).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status: {nodeInfo: {kubeletVersion: v1.33.1}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status: {nodeInfo: {kubeletVersion: v1.33.1}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: fluent-bit, namespace: logging}
    /// spec:
    ///   selector: {matchLabels: {app.kubernetes.io/name: fluent-bit}}
    ///   template:
    ///     metadata: {labels: {app.kubernetes.io/name: fluent-bit}}
    ///     spec:
    ///       tolerations: [{operator: Exists}]
    ///       containers:
    ///         - {name: fluent-bit, image: cr.fluentbit.io/fluent/fluent-bit:3.2.0}
    /// ```
    pub(crate) struct LogForwarderMissing {
        id: "KP7007",
        name: "log-forwarder-missing",
        summary: "No log-forwarder DaemonSet in the cluster",
        severity: High,
        target: Target::Inventory(CLUSTER_KINDS),
        admission: ScanOnly,
        pci: ["10.2.1", "10.3.3", "10.7.2"],
        tags: [],
    }
}

impl Rule for LogForwarderMissing {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let Some(anchor) = cluster_anchor(cx.inventory, cx.settings) else {
            return;
        };
        let names = &cx.settings.platform.log_forwarders;
        if find_components(cx.inventory, &["DaemonSet"], names).is_empty() {
            cx.report_on(
                anchor,
                anchor_pointer(),
                format!(
                    "the cluster runs no log-forwarder DaemonSet (platform.logForwarders: {}): node and container logs never leave the nodes",
                    list_names(names)
                ),
            );
        }
    }
}
