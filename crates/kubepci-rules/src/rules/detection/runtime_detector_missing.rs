use crate::rules::prelude::*;
use crate::support::cluster::{CLUSTER_KINDS, anchor_pointer, cluster_anchor};
use crate::support::component::{find_components, list_names};

declare_rule! {
    /// ## What it does
    /// When the input is a whole cluster (it holds objects as the API server returns them: a
    /// Node with its `status`, or the `kube-system` Namespace with its `status` and workloads;
    /// see `platform.clusterInput`), flags the cluster when no
    /// DaemonSet is a runtime threat-detection agent from `platform.runtimeDetectors` (Falco,
    /// Tetragon, Sysdig, StackRox/ACS collector, Defender, Aqua, Prisma, CrowdStrike,
    /// KubeArmor by default). A DaemonSet matches by its name, its `app.kubernetes.io/name` or
    /// `k8s-app` label, or the last path segment of one of its images. The finding is reported
    /// on the first Node (or, without Nodes, on the `kube-system` Namespace).
    ///
    /// ## Why is this bad?
    /// Containers are rarely scanned for malware file by file; what PCI DSS 5.2.1 and 5.3.2
    /// accept for them is continuous behavioural analysis of what runs, and 11.5.1 asks for
    /// intrusion detection. Without a node-level detector, a shell spawned in a payment pod or
    /// a crypto-miner on a node goes unnoticed.
    ///
    /// ## How to fix
    /// Deploy a runtime detector as a DaemonSet on every node (e.g. the Falco Helm chart with
    /// `tolerations` for control-plane taints), or add the name of the agent you run to
    /// `platform.runtimeDetectors`.
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
    /// metadata: {name: kube-proxy, namespace: kube-system}
    /// spec:
    ///   selector: {matchLabels: {k8s-app: kube-proxy}}
    ///   template:
    ///     metadata: {labels: {k8s-app: kube-proxy}}
    ///     spec:
    ///       containers:
    ///         - {name: kube-proxy, image: registry.k8s.io/kube-proxy:v1.33.1}
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
    /// metadata: {name: falco, namespace: falco}
    /// spec:
    ///   selector: {matchLabels: {app.kubernetes.io/name: falco}}
    ///   template:
    ///     metadata: {labels: {app.kubernetes.io/name: falco}}
    ///     spec:
    ///       tolerations: [{operator: Exists}]
    ///       containers:
    ///         - {name: falco, image: docker.io/falcosecurity/falco:0.41.0}
    /// ```
    pub(crate) struct RuntimeDetectorMissing {
        id: "KP5101",
        name: "runtime-detector-missing",
        summary: "No runtime threat-detection agent in the cluster",
        severity: High,
        target: Target::Inventory(CLUSTER_KINDS),
        admission: ScanOnly,
        pci: ["5.2.1", "5.3.2", "11.5.1"],
        tags: [],
    }
}

impl Rule for RuntimeDetectorMissing {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let Some(anchor) = cluster_anchor(cx.inventory, cx.settings) else {
            return;
        };
        let names = &cx.settings.platform.runtime_detectors;
        if find_components(cx.inventory, &["DaemonSet"], names).is_empty() {
            cx.report_on(
                anchor,
                anchor_pointer(),
                format!(
                    "the cluster runs no runtime threat-detection DaemonSet (platform.runtimeDetectors: {})",
                    list_names(names)
                ),
            );
        }
    }
}
