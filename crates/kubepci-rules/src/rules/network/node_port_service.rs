use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags Services of `type: NodePort` in in-scope namespaces.
    ///
    /// ## Why is this bad?
    /// A NodePort opens the port on every node of the cluster, CDE nodes included, outside
    /// any load balancer's source ranges and usually outside review. PCI DSS 1.2.5 requires
    /// every allowed port to be identified and justified; 1.4.2 restricts inbound traffic
    /// from untrusted networks; 1.4.4 keeps CHD stores from being directly reachable.
    ///
    /// ## How to fix
    /// Use a ClusterIP Service behind the DMZ's ingress or gateway, or a load balancer with
    /// source ranges. Record a waiver where a NodePort is unavoidable.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   type: NodePort
    ///   selector: {app: api}
    ///   ports: [{port: 443, targetPort: 8443, nodePort: 30443}]
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
    pub(crate) struct NodePortService {
        id: "KP2010",
        name: "node-port-service",
        summary: "NodePort Service opens a port on every node",
        severity: Medium,
        target: Target::Kinds(&["Service"]),
        pci: ["1.4.2", "1.2.5", "1.4.4"],
        tags: [],
    }
}

impl Rule for NodePortService {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        let pointer = JsonPointer::root().key("spec").key("type");
        if cx.scope().in_scope()
            && object.root.pointer(&pointer).and_then(Node::as_str) == Some("NodePort")
        {
            cx.report(
                pointer,
                "NodePort Service opens its ports on every node of the cluster",
            );
        }
    }
}
