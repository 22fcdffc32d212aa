use super::{in_dmz, zones};
use crate::rules::prelude::*;

/// Annotations (and values) that make a cloud load balancer internal.
const INTERNAL: &[(&str, &str)] = &[
    (
        "service.beta.kubernetes.io/aws-load-balancer-internal",
        "true",
    ),
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        "internal",
    ),
    ("networking.gke.io/load-balancer-type", "Internal"),
    ("cloud.google.com/load-balancer-type", "Internal"),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        "true",
    ),
    (
        "service.beta.kubernetes.io/oci-load-balancer-internal",
        "true",
    ),
    (
        "service.beta.kubernetes.io/openstack-internal-load-balancer",
        "true",
    ),
    (
        "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type",
        "private",
    ),
    (
        "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type",
        "intranet",
    ),
];

/// Whether a list of source ranges restricts anything (non-empty, no `/0`).
fn restricts<'n>(ranges: impl Iterator<Item = &'n str>) -> bool {
    let mut any = false;
    for r in ranges {
        any = true;
        if r.trim().ends_with("/0") {
            return false;
        }
    }
    any
}

declare_rule! {
    /// ## What it does
    /// Flags Services of `type: LoadBalancer` in in-scope namespaces (DMZ zones excepted)
    /// that neither restrict `spec.loadBalancerSourceRanges` (non-empty, no `/0`) nor ask for
    /// an internal load balancer through their cloud's annotation (AWS, GCP, Azure, OCI,
    /// OpenStack, IBM, Alibaba).
    ///
    /// ## Why is this bad?
    /// A public load balancer without source ranges puts the workload on the internet. Only
    /// DMZ components may receive traffic from untrusted networks, and only on the ports
    /// the business needs (PCI DSS 1.4.2); CDE data stores must never be directly reachable
    /// (1.4.4).
    ///
    /// ## How to fix
    /// Expose internet-facing services through the DMZ's ingress or gateway; otherwise make
    /// the load balancer internal or list the client CIDRs in `loadBalancerSourceRanges`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   type: LoadBalancer
    ///   selector: {app: api}
    ///   ports: [{port: 443, targetPort: 8443}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   type: LoadBalancer
    ///   selector: {app: api}
    ///   loadBalancerSourceRanges: [203.0.113.0/24]
    ///   ports: [{port: 443, targetPort: 8443}]
    /// ```
    pub(crate) struct LoadBalancerWithoutSourceRanges {
        id: "KP2009",
        name: "load-balancer-without-source-ranges",
        summary: "LoadBalancer Service is open to every address",
        severity: High,
        target: Target::Inventory(&["Namespace", "Service"]),
        admission: Namespace,
        pci: ["1.4.2", "1.4.1", "1.4.4"],
        tags: [],
    }
}

impl Rule for LoadBalancerWithoutSourceRanges {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let zones = zones(cx);
        let mut found = Vec::new();
        for service in cx.inventory.of_kind("Service") {
            let spec = service.root.get("spec");
            if spec.and_then(|s| s.get("type")).and_then(Node::as_str) != Some("LoadBalancer")
                || !cx.inventory.scope_of(service).in_scope()
                || in_dmz(cx, &zones, service)
            {
                continue;
            }
            let ranges = spec
                .and_then(|s| s.get("loadBalancerSourceRanges"))
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str);
            let legacy = service
                .annotation("service.beta.kubernetes.io/load-balancer-source-ranges")
                .unwrap_or_default()
                .split(',')
                .filter(|r| !r.trim().is_empty());
            let internal = INTERNAL.iter().any(|(k, v)| {
                service
                    .annotation(k)
                    .is_some_and(|a| a.eq_ignore_ascii_case(v))
            });
            if internal || restricts(ranges) || restricts(legacy) {
                continue;
            }
            found.push(service);
        }
        for service in found {
            cx.report_on(
                service,
                JsonPointer::root().key("spec").key("type"),
                "LoadBalancer Service accepts connections from every address: set loadBalancerSourceRanges or make it internal",
            );
        }
    }
}
