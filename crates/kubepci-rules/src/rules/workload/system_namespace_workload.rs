use crate::rules::prelude::*;
use crate::support::component::component_name;
use crate::support::image::ImageRef;
use crate::support::workloads::controller_of;

/// Kubernetes, cloud-provider, CNI, CSI and DNS components that belong in `kube-system`.
const SYSTEM_COMPONENTS: &[&str] = &[
    "kube-proxy",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "etcd",
    "coredns",
    "kube-dns",
    "kube-dns-autoscaler",
    "node-local-dns",
    "nodelocaldns",
    "metrics-server",
    "cluster-autoscaler",
    "cloud-controller-manager",
    "konnectivity-agent",
    "konnectivity-server",
    "ip-masq-agent",
    "event-exporter",
    "l7-default-backend",
    "fluentbit-gke",
    "gke-metrics-agent",
    "pdcsi-node",
    "netd",
    "anetd",
    "aws-node",
    "aws-load-balancer-controller",
    "ebs-csi-controller",
    "ebs-csi-node",
    "efs-csi-controller",
    "efs-csi-node",
    "eks-pod-identity-agent",
    "azure-cns",
    "azure-ip-masq-agent",
    "cloud-node-manager",
    "csi-azuredisk-node",
    "csi-azurefile-node",
    "csi-azuredisk-controller",
    "csi-azurefile-controller",
    "cilium",
    "cilium-operator",
    "cilium-envoy",
    "hubble-relay",
    "hubble-ui",
    "calico-node",
    "calico-kube-controllers",
    "calico-typha",
    "canal",
    "kube-flannel",
    "flannel",
    "weave-net",
    "antrea-agent",
    "antrea-controller",
    "kube-router",
    "kube-vip",
    "istio-cni-node",
    "linkerd-cni",
    "kube-multus-ds",
    "multus",
    "nvidia",
    "nccl-rdma-installer",
    "tpu-device-plugin",
    "snapshot-controller",
];

/// Registries and repository prefixes that publish only platform components.
const SYSTEM_REGISTRIES: &[&str] = &[
    "registry.k8s.io/",
    "k8s.gcr.io/",
    "gke.gcr.io/",
    "gcr.io/gke-release/",
    "mcr.microsoft.com/oss/kubernetes/",
    "mcr.microsoft.com/oss/kubernetes-csi/",
    "mcr.microsoft.com/aks/",
    "mcr.microsoft.com/containernetworking/",
    "public.ecr.aws/eks/",
    "public.ecr.aws/eks-distro/",
    "quay.io/cilium/",
    "quay.io/calico/",
    "docker.io/calico/",
    "quay.io/tigera/",
    "docker.io/flannel/",
    "ghcr.io/flannel-io/",
    "quay.io/coreos/flannel",
    "docker.io/weaveworks/weave-kube",
    "docker.io/weaveworks/weave-npc",
    "docker.io/antrea/",
];

/// The namespaces kept for the platform itself.
const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

declare_rule! {
    /// ## What it does
    /// Flags workloads in `kube-system` that are not platform components, and every workload
    /// in `kube-public` or `kube-node-lease`. A platform component is recognised by its name
    /// or `k8s-app`/`app.kubernetes.io/name` label (kube-proxy, CoreDNS, metrics-server,
    /// cloud-provider, CNI and CSI components, GPU node setup, and the runtime detectors, log
    /// forwarders and integrity monitors of the settings; extend with
    /// `platform.systemComponents`) or by
    /// an image from a registry that publishes only platform components (`registry.k8s.io`,
    /// GKE, EKS and AKS system registries, Cilium, Calico, Flannel, Antrea). Pods owned by a
    /// controller (or static pods, owned by their Node) are judged through their owner.
    ///
    /// ## Why is this bad?
    /// `kube-system` holds the control plane's own components and credentials, is exempt
    /// from most policies (Pod Security labels, kubepci's webhook, NetworkPolicies) and is
    /// administered by few. An application there inherits those exemptions and mixes
    /// security levels, against PCI DSS 2.2.3 (functions of different security levels
    /// separated); `kube-public` is readable by everyone.
    ///
    /// ## How to fix
    /// Move the workload to its own namespace with a scope label; if it really is a
    /// platform component, add its name to `platform.systemComponents`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: payments-api, namespace: kube-system}
    /// spec:
    ///   selector: {matchLabels: {app: payments-api}}
    ///   template:
    ///     metadata: {labels: {app: payments-api}}
    ///     spec:
    ///       containers:
    ///         - {name: api, image: registry.example.com/payments/api:2.4.1}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: coredns, namespace: kube-system}
    /// spec:
    ///   selector: {matchLabels: {k8s-app: kube-dns}}
    ///   template:
    ///     metadata: {labels: {k8s-app: kube-dns}}
    ///     spec:
    ///       containers:
    ///         - {name: coredns, image: registry.k8s.io/coredns/coredns:v1.11.3}
    /// ```
    pub(crate) struct SystemNamespaceWorkload {
        id: "KP1201",
        name: "workload-in-system-namespace",
        summary: "Non-system workload in a system namespace",
        severity: Medium,
        target: Target::Kinds(&[
            "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
            "ReplicationController", "Job", "CronJob",
        ]),
        pci: ["2.2.3"],
        tags: [],
    }
}

fn is_system_component(object: &Object, pod: &PodTemplate<'_>, cx: &Context<'_>) -> bool {
    let platform = &cx.settings.platform;
    if component_name(object, SYSTEM_COMPONENTS).is_some()
        || [
            &platform.system_components,
            &platform.runtime_detectors,
            &platform.log_forwarders,
            &platform.integrity_monitors,
        ]
        .iter()
        .any(|names| component_name(object, names).is_some())
    {
        return true;
    }
    let images: Vec<ImageRef<'_>> = pod
        .containers()
        .filter_map(|c| c.image())
        .filter_map(ImageRef::parse)
        .collect();
    !images.is_empty()
        && images.iter().all(|image| {
            SYSTEM_REGISTRIES.iter().any(|p| image.is_under(p))
                || (image.registry.ends_with(".amazonaws.com")
                    && image.registry.contains(".dkr.ecr.")
                    && (image.repository.starts_with("eks/")
                        || image.repository.starts_with("amazon-k8s-cni")
                        || image.repository.starts_with("amazon/")))
        })
}

impl Rule for SystemNamespaceWorkload {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        let Some(ns) = object
            .namespace()
            .filter(|ns| SYSTEM_NAMESPACES.contains(ns) && !object.namespace_assumed)
        else {
            return;
        };
        if controller_of(object).is_some() {
            return;
        }
        let Some(pod) = PodTemplate::of(object) else {
            return;
        };
        let pointer = JsonPointer::root().key("metadata").key("namespace");
        if ns != "kube-system" {
            cx.report(
                pointer,
                format!(
                    "{} runs in {ns}, which is meant for no workloads at all",
                    object.kind()
                ),
            );
        } else if !is_system_component(object, &pod, cx) {
            cx.report(
                pointer,
                format!(
                    "{} runs in kube-system but is not a recognised platform component",
                    object.kind()
                ),
            );
        }
    }
}
