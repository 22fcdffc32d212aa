use std::collections::BTreeMap;

use kubepci_netpol::{BreachKind, Evaluator, find_breaches};

use super::network;
use crate::rules::prelude::*;

/// How many peers a message names before summarising.
const NAMED: usize = 5;

declare_rule! {
    /// ## What it does
    /// Proves (or refutes) the segmentation of the CDE with the same evaluation as
    /// `kubepci segmentation`: NetworkPolicy semantics evaluated exactly over the input.
    /// Flags every CDE workload that an `out-of-scope` workload can open a connection to,
    /// that can open a connection to an `out-of-scope` workload, or that something outside
    /// the cluster reaches (through a LoadBalancer, NodePort, external IPs, an Ingress or
    /// route, a host port or the host network) unless its namespace is a DMZ. Paths through
    /// namespaces whose CNI-specific policies kubepci does not analyse are left to
    /// `kubepci segmentation`, which reports them as unproven.
    ///
    /// ## Why is this bad?
    /// Out-of-scope systems are only out of scope if they cannot connect to the CDE. Any
    /// path brings them into PCI scope and invalidates the segmentation the assessment
    /// relies on (PCI DSS 1.3.1, 1.3.2, 11.4.5). Components of the CDE must not be directly
    /// reachable from untrusted networks (1.4.4).
    ///
    /// ## How to fix
    /// Add default-deny policies to the CDE and to out-of-scope namespaces and allow only
    /// the flows the CDE needs, from `connected` or DMZ namespaces; expose CDE services only
    /// through the DMZ. Run `kubepci segmentation` to see the whole matrix.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: shop, labels: {kubepci.io/scope: out-of-scope}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec: {containers: [{name: api, image: registry.example.com/api:2.0.1}]}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec: {containers: [{name: web, image: registry.example.com/web:7.0.0}]}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: shop, labels: {kubepci.io/scope: out-of-scope}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec: {containers: [{name: api, image: registry.example.com/api:2.0.1}]}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny, namespace: payments}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress, Egress]
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec: {containers: [{name: web, image: registry.example.com/web:7.0.0}]}
    /// ```
    ///
    /// ## References
    /// - PCI SSC, Guidance for PCI DSS Scoping and Network Segmentation
    pub(crate) struct SegmentationBreach {
        id: "KP2019",
        name: "cde-segmentation-breach",
        summary: "A path crosses the CDE boundary",
        severity: Critical,
        target: Target::Inventory(kubepci_netpol::INPUT_KINDS),
        admission: ScanOnly,
        pci: ["1.3.1", "1.3.2", "1.4.4", "11.4.5"],
        tags: [],
    }
}

impl Rule for SegmentationBreach {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn uses_network(&self) -> bool {
        true
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let net = network(cx);
        if !net
            .workloads
            .iter()
            .any(|w| net.namespaces[w.namespace].scope.is_cde())
        {
            return;
        }
        let eval = Evaluator::new(&net);
        // (CDE workload, kind) → peers and ports.
        let mut peers: BTreeMap<(usize, BreachKind), Vec<String>> = BTreeMap::new();
        let mut found = Vec::new();
        for breach in find_breaches(&eval) {
            if breach.unanalysed {
                continue;
            }
            match (breach.kind, breach.from, breach.exposure) {
                (BreachKind::OutOfScopeToCde, Some(from), _) => peers
                    .entry((breach.to, breach.kind))
                    .or_default()
                    .push(format!("{} ({})", net.workloads[from].id, breach.ports)),
                (BreachKind::CdeToOutOfScope, Some(from), _) => {
                    peers.entry((from, breach.kind)).or_default().push(format!(
                        "{} ({})",
                        net.workloads[breach.to].id, breach.ports
                    ))
                }
                (BreachKind::OutsideToCde, _, Some(e)) => {
                    let exposure = &net.exposures()[e];
                    found.push((
                        exposure.object,
                        exposure.pointer.clone(),
                        format!(
                            "CDE workload `{}` is reachable from outside the cluster on {} ({}), and its namespace is not a DMZ",
                            net.workloads[breach.to].id, breach.ports, exposure.detail
                        ),
                    ));
                }
                _ => {}
            }
        }
        for ((w, kind), list) in peers {
            let workload = &net.workloads[w];
            let (verb, count) = match kind {
                BreachKind::OutOfScopeToCde => ("can be reached from", list.len()),
                _ => ("can connect to", list.len()),
            };
            let mut named: Vec<String> = list.into_iter().take(NAMED).collect();
            if count > NAMED {
                named.push(format!("and {} more", count - NAMED));
            }
            found.push((
                workload.object,
                workload.template.metadata_pointer.key("labels"),
                format!(
                    "CDE workload `{}` {verb} {count} out-of-scope workload(s): {}",
                    workload.id,
                    named.join(", ")
                ),
            ));
        }
        for (object, pointer, message) in found {
            cx.report_on(object, pointer, message);
        }
    }
}
