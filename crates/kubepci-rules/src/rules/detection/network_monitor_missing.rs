use crate::rules::prelude::*;
use crate::support::cluster::{anchor_pointer, cluster_anchor};
use crate::support::component::{find_components, list_names};

declare_rule! {
    /// ## What it does
    /// When the input is a whole cluster that holds a `cde` namespace, flags the cluster when
    /// nothing watches its network traffic: no workload from `platform.networkMonitors`
    /// (Cilium Hubble, StackRox/ACS collector, Suricata, Zeek, Snort by default), Hubble not
    /// enabled in the `cilium-config` ConfigMap, and no Calico `FelixConfiguration` with flow
    /// logs enabled.
    ///
    /// ## Why is this bad?
    /// PCI DSS 11.5.1 requires intrusion-detection or intrusion-prevention techniques that
    /// monitor traffic at the perimeter and at critical points of the CDE. Inside a cluster
    /// the perimeter is the CNI: without flow visibility, lateral movement between pods is
    /// invisible.
    ///
    /// ## How to fix
    /// Enable Hubble (Cilium) or flow logs (Calico Enterprise), or run a network IDS sensor;
    /// name what you run in `platform.networkMonitors`.
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
    /// ---
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: cilium-config, namespace: kube-system}
    /// data:
    ///   enable-hubble: "false"
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
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: cilium-config, namespace: kube-system}
    /// data:
    ///   enable-hubble: "true"
    /// ```
    pub(crate) struct NetworkMonitorMissing {
        id: "KP5104",
        name: "network-monitor-missing",
        summary: "No network intrusion detection or flow visibility for the CDE",
        severity: Medium,
        target: Target::Inventory(&[
            "Node", "Namespace", "Pod", "Deployment", "StatefulSet", "DaemonSet",
            "ReplicaSet", "ReplicationController", "Job", "CronJob", "ConfigMap",
            "FelixConfiguration",
        ]),
        admission: ScanOnly,
        pci: ["11.5.1"],
        tags: [],
    }
}

impl Rule for NetworkMonitorMissing {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let Some(anchor) = cluster_anchor(cx.inventory, cx.settings) else {
            return;
        };
        if !cx.inventory.namespaces().any(|n| n.scope.is_cde()) {
            return;
        }
        let names = &cx.settings.platform.network_monitors;
        let hubble = cx
            .inventory
            .of_kind("ConfigMap")
            .filter(|c| c.name() == "cilium-config")
            .any(|c| {
                c.root
                    .path(&["data", "enable-hubble"])
                    .and_then(Node::scalar_text)
                    .is_some_and(|v| v == "true")
            });
        let flow_logs = cx.inventory.of_kind("FelixConfiguration").any(|f| {
            ["flowLogsFileEnabled", "flowLogsEnabled"]
                .iter()
                .any(|k| f.root.path(&["spec", k]).and_then(Node::as_bool) == Some(true))
        });
        let present = hubble
            || flow_logs
            || !find_components(
                cx.inventory,
                &["DaemonSet", "Deployment", "StatefulSet"],
                names,
            )
            .is_empty();
        if !present {
            cx.report_on(
                anchor,
                anchor_pointer(),
                format!(
                    "nothing watches the CDE's network traffic: Hubble off, no flow logs, no workload from platform.networkMonitors ({})",
                    list_names(names)
                ),
            );
        }
    }
}
