use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags Services that set `spec.externalIPs`, in any namespace.
    ///
    /// ## Why is this bad?
    /// Anyone who may create a Service can claim any address with `externalIPs`, and
    /// kube-proxy then diverts traffic for that address, in-cluster clients included, to the
    /// Service's pods (CVE-2020-8554): a man-in-the-middle that bypasses network controls
    /// (PCI DSS 1.4.3 anti-spoofing, 1.4.2 inbound restrictions).
    ///
    /// ## How to fix
    /// Use a LoadBalancer or an ingress instead, and block `externalIPs` at admission
    /// (the DenyServiceExternalIPs admission plugin or kubepci's webhook).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {app: api}
    ///   externalIPs: [203.0.113.10]
    ///   ports: [{port: 443, targetPort: 8443}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {app: api}
    ///   ports: [{port: 443, targetPort: 8443}]
    /// ```
    ///
    /// ## References
    /// - CVE-2020-8554: man in the middle using LoadBalancer or ExternalIPs
    pub(crate) struct ServiceExternalIps {
        id: "KP2011",
        name: "service-external-ips",
        summary: "Service claims external IPs",
        severity: High,
        target: Target::Kinds(&["Service"]),
        pci: ["1.4.2", "1.4.3"],
        tags: [],
    }
}

impl Rule for ServiceExternalIps {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        let pointer = JsonPointer::root().key("spec").key("externalIPs");
        let ips: Vec<&str> = object
            .root
            .pointer(&pointer)
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        if !ips.is_empty() {
            cx.report(
                pointer,
                format!(
                    "Service claims external IP(s) {}: kube-proxy diverts all traffic to them (CVE-2020-8554)",
                    ips.join(", ")
                ),
            );
        }
    }
}
