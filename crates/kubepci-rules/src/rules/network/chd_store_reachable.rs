use std::collections::BTreeSet;

use kubepci_netpol::{Direction, Evaluator, IpSet};

use super::network;
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// For workloads labelled as stores of cardholder data (`kubepci.io/stores-chd: "true"`
    /// on the workload or its pods; the label is configurable), flags every path from
    /// untrusted networks: a LoadBalancer or NodePort Service, external IPs, an Ingress or
    /// Gateway API route that has the store as a backend, a host port or the host network;
    /// a store that no NetworkPolicy isolates for ingress; and ingress rules that admit
    /// public (non-private) addresses.
    ///
    /// ## Why is this bad?
    /// System components that store cardholder data must not be directly accessible from
    /// untrusted networks (PCI DSS 1.4.4): only the application tier, inside the CDE, may
    /// reach the database.
    ///
    /// ## How to fix
    /// Give the store a ClusterIP (or headless) Service only, no route, no host port; isolate
    /// it with a NetworkPolicy that admits the application pods alone.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata: {name: vault, namespace: payments, labels: {kubepci.io/stores-chd: "true"}}
    /// spec:
    ///   template:
    ///     metadata: {labels: {app: vault}}
    ///     spec:
    ///       containers:
    ///         - name: postgres
    ///           image: registry.example.com/postgres:16.4
    ///           ports: [{containerPort: 5432}]
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: vault, namespace: payments}
    /// spec:
    ///   type: LoadBalancer
    ///   selector: {app: vault}
    ///   ports: [{port: 5432}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata: {name: vault, namespace: payments, labels: {kubepci.io/stores-chd: "true"}}
    /// spec:
    ///   template:
    ///     metadata: {labels: {app: vault}}
    ///     spec:
    ///       containers:
    ///         - name: postgres
    ///           image: registry.example.com/postgres:16.4
    ///           ports: [{containerPort: 5432}]
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: vault, namespace: payments}
    /// spec:
    ///   clusterIP: None
    ///   selector: {app: vault}
    ///   ports: [{port: 5432}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: vault, namespace: payments}
    /// spec:
    ///   podSelector: {matchLabels: {app: vault}}
    ///   ingress:
    ///     - from: [{podSelector: {matchLabels: {app: api}}}]
    ///       ports: [{port: 5432}]
    /// ```
    pub(crate) struct ChdStoreReachable {
        id: "KP2016",
        name: "chd-store-reachable-from-untrusted-network",
        summary: "Cardholder-data store is reachable from untrusted networks",
        severity: Critical,
        target: Target::Inventory(kubepci_netpol::INPUT_KINDS),
        admission: ScanOnly,
        pci: ["1.4.4", "1.3.1"],
        tags: [],
    }
}

impl Rule for ChdStoreReachable {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn uses_network(&self) -> bool {
        true
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        // Cheap look for the label before building anything.
        let label = cx.settings.segmentation.network.stores_chd_label.as_str();
        let labelled = kubepci_k8s::POD_TEMPLATE_KINDS.iter().any(|k| {
            cx.inventory.of_kind(k).any(|o| {
                o.label(label) == Some("true")
                    || PodTemplate::of(o).is_some_and(|p| p.label(label) == Some("true"))
            })
        });
        if !labelled {
            return;
        }
        let net = network(cx);
        if !net.workloads.iter().any(|w| w.stores_chd) {
            return;
        }
        let eval = Evaluator::new(&net);
        let private =
            IpSet::from_cidrs(kubepci_netpol::PRIVATE_CIDRS).unwrap_or_else(|_| IpSet::empty());
        let mut found = Vec::new();
        let mut seen = BTreeSet::new();
        for exposure in net.exposures() {
            let store = &net.workloads[exposure.workload];
            if !store.stores_chd
                || !seen.insert((exposure.object.id.clone(), exposure.pointer.clone()))
            {
                continue;
            }
            found.push((
                exposure.object,
                exposure.pointer.clone(),
                format!(
                    "cardholder-data store `{}` is exposed outside the cluster: {}",
                    store.id, exposure.detail
                ),
            ));
        }
        for (w, store) in net.workloads.iter().enumerate() {
            if !store.stores_chd || store.host_network {
                continue;
            }
            let pointer = store.template.metadata_pointer.key("labels");
            if !net.is_isolated(w, Direction::Ingress) {
                found.push((
                    store.object,
                    pointer,
                    format!(
                        "no NetworkPolicy isolates cardholder-data store `{}` for ingress: every pod and routed address can connect",
                        store.id
                    ),
                ));
                continue;
            }
            let public = eval
                .ingress_from_outside(w)
                .iter()
                .fold(IpSet::empty(), |acc, (ips, _)| acc.union(ips))
                .subtract(&private);
            if !public.is_empty() {
                let mut ranges = public.to_cidrs();
                if ranges.len() > 3 {
                    let more = ranges.len() - 3;
                    ranges.truncate(3);
                    ranges.push(format!("{more} more ranges"));
                }
                found.push((
                    store.object,
                    pointer,
                    format!(
                        "NetworkPolicy admits public addresses ({}) to cardholder-data store `{}`",
                        ranges.join(", "),
                        store.id
                    ),
                ));
            }
        }
        for (object, pointer, message) in found {
            cx.report_on(object, pointer, message);
        }
    }
}
