use std::collections::HashMap;

use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags an Ingress path whose ingress class, host, path and path type another Ingress
    /// (or an earlier rule of the same one) already routes. The first in input order is kept; later
    /// ones are reported.
    ///
    /// ## Why is this bad?
    /// Which backend wins is up to the controller: a namespace can hijack traffic meant for
    /// another, possibly pulling CDE traffic (card numbers in requests) into an out-of-scope
    /// workload. PCI DSS 1.2.5 requires each exposed service to be identified and approved;
    /// 1.4.2 limits inbound traffic to authorised services.
    ///
    /// ## How to fix
    /// Keep one owner per host and path; merge the rules or rename the host.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: pay, namespace: payments}
    /// spec:
    ///   rules:
    ///     - host: pay.example.com
    ///       http:
    ///         paths:
    ///           - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 443}}}}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: promo, namespace: marketing}
    /// spec:
    ///   rules:
    ///     - host: pay.example.com
    ///       http:
    ///         paths:
    ///           - {path: /, pathType: Prefix, backend: {service: {name: landing, port: {number: 80}}}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: pay, namespace: payments}
    /// spec:
    ///   rules:
    ///     - host: pay.example.com
    ///       http:
    ///         paths:
    ///           - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 443}}}}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: promo, namespace: marketing}
    /// spec:
    ///   rules:
    ///     - host: promo.example.com
    ///       http:
    ///         paths:
    ///           - {path: /, pathType: Prefix, backend: {service: {name: landing, port: {number: 80}}}}
    /// ```
    pub(crate) struct DuplicateIngressHost {
        id: "KP2020",
        name: "duplicate-ingress-host",
        summary: "Two Ingress rules route the same host and path",
        severity: Low,
        target: Target::Inventory(&["Ingress"]),
        admission: Cluster,
        pci: ["1.2.5", "1.4.2"],
        tags: [],
    }
}

impl Rule for DuplicateIngressHost {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let mut first: HashMap<(String, String, String, String), String> = HashMap::new();
        let mut found = Vec::new();
        for ingress in cx.inventory.of_kind("Ingress") {
            let spec = ingress.root.get("spec");
            let class = spec
                .and_then(|s| s.get("ingressClassName"))
                .and_then(Node::as_str)
                .or_else(|| ingress.annotation("kubernetes.io/ingress.class"))
                .unwrap_or_default();
            let owner = format!(
                "{}/{}",
                ingress.namespace().unwrap_or("default"),
                ingress.name()
            );
            let rules_ptr = JsonPointer::root().key("spec").key("rules");
            let rules = spec
                .and_then(|s| s.get("rules"))
                .map(Node::items)
                .unwrap_or_default();
            for (i, rule) in rules.iter().enumerate() {
                let Some(host) = rule
                    .get("host")
                    .and_then(Node::as_str)
                    .filter(|h| !h.is_empty())
                else {
                    continue;
                };
                let paths = rule
                    .path(&["http", "paths"])
                    .map(Node::items)
                    .unwrap_or_default();
                for (j, path) in paths.iter().enumerate() {
                    let p = path.get("path").and_then(Node::as_str).unwrap_or("/");
                    let path_type = path
                        .get("pathType")
                        .and_then(Node::as_str)
                        .unwrap_or("ImplementationSpecific");
                    let key = (
                        class.to_owned(),
                        host.to_owned(),
                        p.to_owned(),
                        path_type.to_owned(),
                    );
                    match first.get(&key) {
                        Some(previous) => found.push((
                            ingress,
                            rules_ptr.index(i).key("http").key("paths").index(j),
                            format!("`{host}{p}` is already routed by Ingress {previous}"),
                        )),
                        None => {
                            first.insert(key, owner.clone());
                        }
                    }
                }
            }
        }
        for (object, pointer, message) in found {
            cx.report_on(object, pointer, message);
        }
    }
}
