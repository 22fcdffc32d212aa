use crate::rules::prelude::*;

/// What a CNI agent does about NetworkPolicy.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Enforcement {
    Enforces,
    DoesNot,
}

/// Container images of CNI agents (repository path fragments) and whether they enforce
/// NetworkPolicy. Agents not listed (kindnet, Azure CNI without NPM, …) are not judged.
const AGENTS: &[(&str, &str, Enforcement)] = &[
    ("calico/node", "Calico", Enforcement::Enforces),
    ("cilium/cilium", "Cilium", Enforcement::Enforces),
    ("antrea/antrea-agent", "Antrea", Enforcement::Enforces),
    ("antrea/antrea-ubuntu", "Antrea", Enforcement::Enforces),
    ("weaveworks/weave-npc", "Weave Net", Enforcement::Enforces),
    (
        "cloudnativelabs/kube-router",
        "kube-router",
        Enforcement::Enforces,
    ),
    (
        "aws-network-policy-agent",
        "AWS network policy agent",
        Enforcement::Enforces,
    ),
    ("azure-npm", "Azure NPM", Enforcement::Enforces),
    (
        "kube-network-policies",
        "kube-network-policies",
        Enforcement::Enforces,
    ),
    ("ovn-kubernetes", "OVN-Kubernetes", Enforcement::Enforces),
    ("kube-ovn", "Kube-OVN", Enforcement::Enforces),
    ("flannel", "flannel", Enforcement::DoesNot),
    ("amazon-k8s-cni", "AWS VPC CNI", Enforcement::DoesNot),
];

/// The CNI agents of one DaemonSet and what they do.
fn agents(object: &Object) -> Vec<(&'static str, Enforcement)> {
    let Some(pod) = PodTemplate::of(object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in pod.containers() {
        let Some(image) = c.image() else { continue };
        let image = image.to_ascii_lowercase();
        let repository = image.split(['@', ':']).next().unwrap_or_default();
        let Some(&(_, name, mut enforcement)) = AGENTS
            .iter()
            .find(|(fragment, _, _)| repository.contains(fragment))
        else {
            continue;
        };
        // kube-router enforces policy unless its firewall is switched off.
        if name == "kube-router"
            && c.get(&["args"])
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str)
                .any(|a| a == "--run-firewall=false")
        {
            enforcement = Enforcement::DoesNot;
        }
        out.push((name, enforcement));
    }
    out
}

declare_rule! {
    /// ## What it does
    /// When the input shows the cluster's CNI (its agent DaemonSet: Calico, Cilium, Antrea,
    /// Weave Net, kube-router, flannel, the AWS VPC CNI, …), flags the CNI DaemonSets when
    /// none of them enforces NetworkPolicy: flannel alone, or the AWS VPC CNI without its
    /// network policy agent.
    ///
    /// ## Why is this bad?
    /// NetworkPolicy objects are only data: without an enforcing plugin every policy in the
    /// cluster is silently ignored and nothing is segmented. PCI DSS 1.2.1 and 1.4.1 require
    /// network security controls that actually filter traffic.
    ///
    /// ## How to fix
    /// Run a policy-enforcing CNI (Calico, Cilium, Antrea…), add Calico's policy engine to
    /// flannel (Canal), or enable the AWS network policy agent.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: kube-flannel-ds, namespace: kube-flannel}
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///         - {name: kube-flannel, image: docker.io/flannel/flannel:v0.26.1}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: canal, namespace: kube-system}
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///         - {name: calico-node, image: docker.io/calico/node:v3.29.1}
    ///         - {name: kube-flannel, image: docker.io/flannel/flannel:v0.26.1}
    /// ```
    pub(crate) struct CniWithoutNetworkPolicy {
        id: "KP2008",
        name: "cni-without-network-policy-enforcement",
        summary: "The cluster's CNI does not enforce NetworkPolicy",
        severity: High,
        target: Target::Inventory(&["DaemonSet"]),
        admission: ScanOnly,
        pci: ["1.2.1", "1.4.1"],
        tags: [],
    }
}

impl Rule for CniWithoutNetworkPolicy {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let found: Vec<(&Object, Vec<(&'static str, Enforcement)>)> = cx
            .inventory
            .of_kind("DaemonSet")
            .map(|o| (o, agents(o)))
            .filter(|(_, a)| !a.is_empty())
            .collect();
        if found
            .iter()
            .any(|(_, a)| a.iter().any(|(_, e)| *e == Enforcement::Enforces))
        {
            return;
        }
        for (object, agents) in found {
            let names: Vec<&str> = agents.iter().map(|(n, _)| *n).collect();
            let pointer = PodTemplate::of(object).map_or_else(
                || JsonPointer::root().key("spec"),
                |p| p.pointer(&["containers"]),
            );
            cx.report_on(
                object,
                pointer,
                format!(
                    "the cluster's CNI ({}) does not enforce NetworkPolicy and no enforcing agent runs: every NetworkPolicy is ignored",
                    names.join(", ")
                ),
            );
        }
    }
}
