use crate::rules::prelude::*;
use crate::support::component::component_name;
use crate::support::schedule::{Gap, daemonset_gaps, is_agent_node};

declare_rule! {
    /// ## What it does
    /// Flags the DaemonSets of runtime detectors, log forwarders and file-integrity monitors
    /// (`platform.runtimeDetectors`, `platform.logForwarders`, `platform.integrityMonitors`)
    /// that do not run on every Linux node of the input: a node taint (`NoSchedule`,
    /// `NoExecute`) they do not tolerate, typically the control plane's, or a node selector or
    /// required node affinity a node does not satisfy. Windows and serverless virtual nodes
    /// (virtual-kubelet, EKS Fargate) are not counted; the tolerations the DaemonSet controller
    /// adds by itself are. With the DaemonSet's `status`, also flags pods that are not ready
    /// or not scheduled.
    ///
    /// ## Why is this bad?
    /// A detector or log forwarder that skips the control-plane nodes (or a node pool with a
    /// dedicated taint, such as the CDE's) leaves exactly the most sensitive machines
    /// unmonitored. PCI DSS 5.2.1 requires anti-malware on all system components at risk,
    /// 10.2.1 audit logs for all of them, and 10.7.2 detection of the failure of these
    /// controls.
    ///
    /// ## How to fix
    /// Tolerate every taint (`tolerations: [{operator: Exists}]`) and drop node selectors
    /// other than `kubernetes.io/os: linux`; investigate pods that are not ready.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: control-plane-1, labels: {kubernetes.io/os: linux}}
    /// spec:
    ///   taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]
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
    /// metadata: {name: control-plane-1, labels: {kubernetes.io/os: linux}}
    /// spec:
    ///   taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]
    /// ---
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: falco, namespace: falco}
    /// spec:
    ///   selector: {matchLabels: {app: falco}}
    ///   template:
    ///     metadata: {labels: {app: falco}}
    ///     spec:
    ///       tolerations: [{operator: Exists}]
    ///       containers:
    ///         - {name: falco, image: docker.io/falcosecurity/falco:0.41.0}
    /// ```
    pub(crate) struct SecurityAgentCoverage {
        id: "KP7008",
        name: "security-agent-not-on-every-node",
        summary: "Detector or log forwarder DaemonSet misses nodes",
        severity: High,
        target: Target::Inventory(&["DaemonSet", "Node"]),
        admission: Namespace,
        pci: ["10.7.2", "5.2.1", "10.2.1"],
        tags: [],
    }
}

/// `a, b, c` or `a, b, c and N more`.
fn some(names: &[String]) -> String {
    if names.len() <= 3 {
        names.join(", ")
    } else {
        format!("{} and {} more", names[..3].join(", "), names.len() - 3)
    }
}

impl Rule for SecurityAgentCoverage {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        let platform = &cx.settings.platform;
        let nodes: Vec<&Object> = inventory.of_kind("Node").collect();
        let agent_nodes = nodes.iter().filter(|n| is_agent_node(n)).count();
        for daemonset in inventory.of_kind("DaemonSet") {
            let role = [
                (&platform.runtime_detectors, "runtime detector"),
                (&platform.log_forwarders, "log forwarder"),
                (&platform.integrity_monitors, "integrity monitor"),
            ]
            .into_iter()
            .find_map(|(names, role)| component_name(daemonset, names).map(|_| role));
            let (Some(role), Some(pod)) = (role, PodTemplate::of(daemonset)) else {
                continue;
            };
            let gaps = daemonset_gaps(&pod, &nodes);
            let tainted: Vec<String> = gaps
                .iter()
                .filter_map(|g| match g {
                    Gap::Taint(node, taint) => Some(format!("{node} ({taint})")),
                    Gap::Selector(_) => None,
                })
                .collect();
            let unselected: Vec<String> = gaps
                .iter()
                .filter_map(|g| match g {
                    Gap::Selector(node) => Some((*node).to_owned()),
                    Gap::Taint(..) => None,
                })
                .collect();
            if !tainted.is_empty() {
                cx.report_on(
                    daemonset,
                    pod.pointer(&["tolerations"]),
                    format!(
                        "{role} does not tolerate the taints of {} node{}: {}",
                        tainted.len(),
                        if tainted.len() == 1 { "" } else { "s" },
                        some(&tainted)
                    ),
                );
            }
            if !unselected.is_empty() {
                let field = if pod.get(&["nodeSelector"]).is_some() {
                    "nodeSelector"
                } else {
                    "affinity"
                };
                cx.report_on(
                    daemonset,
                    pod.pointer(&[field]),
                    format!(
                        "{role} selects no pod for {} Linux node{}: {}",
                        unselected.len(),
                        if unselected.len() == 1 { "" } else { "s" },
                        some(&unselected)
                    ),
                );
            }
            let status = |key: &str| daemonset.root.path(&["status", key]).and_then(Node::as_i64);
            if let (Some(ready), Some(desired)) =
                (status("numberReady"), status("desiredNumberScheduled"))
                && ready < desired
            {
                cx.report_on(
                    daemonset,
                    JsonPointer::root().key("status").key("numberReady"),
                    format!("{role} has {ready} of {desired} pods ready"),
                );
            }
            if let Some(desired) = status("desiredNumberScheduled") {
                let expected = agent_nodes.saturating_sub(gaps.len());
                if gaps.is_empty() && desired < i64::try_from(expected).unwrap_or(i64::MAX) {
                    cx.report_on(
                        daemonset,
                        JsonPointer::root()
                            .key("status")
                            .key("desiredNumberScheduled"),
                        format!("{role} is scheduled on {desired} of {agent_nodes} Linux nodes"),
                    );
                }
            }
        }
    }
}
