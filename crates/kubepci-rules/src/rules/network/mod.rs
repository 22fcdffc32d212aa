//! Network segmentation and exposure (PCI DSS requirement 1): default-deny policies, what
//! policies allow, what Services, Ingresses and routes expose, the CNI that enforces it all,
//! and the reachability proof of the CDE's segmentation (through `kubepci-netpol`).

mod allow_all_egress;
mod allow_all_ingress;
mod cde_exposed_through_unapproved_ingress;
mod cde_ingress_from_out_of_scope_namespace;
mod chd_store_reachable;
mod cni_without_network_policy;
mod dangling_network_policy;
mod default_deny_egress;
mod default_deny_ingress;
mod duplicate_ingress_host;
mod ingress_host_not_specific;
mod insecure_protocol_port;
mod invalid_network_policy;
mod load_balancer_without_source_ranges;
mod node_port_service;
mod segmentation_breach;
mod service_external_ips;
mod ssh_exposed;
mod workload_not_selected;

pub(crate) use allow_all_egress::AllowAllEgress;
pub(crate) use allow_all_ingress::AllowAllIngress;
pub(crate) use cde_exposed_through_unapproved_ingress::CdeExposedThroughUnapprovedIngress;
pub(crate) use cde_ingress_from_out_of_scope_namespace::CdeIngressFromOutOfScopeNamespace;
pub(crate) use chd_store_reachable::ChdStoreReachable;
pub(crate) use cni_without_network_policy::CniWithoutNetworkPolicy;
pub(crate) use dangling_network_policy::DanglingNetworkPolicy;
pub(crate) use default_deny_egress::DefaultDenyEgress;
pub(crate) use default_deny_ingress::DefaultDenyIngress;
pub(crate) use duplicate_ingress_host::DuplicateIngressHost;
pub(crate) use ingress_host_not_specific::IngressHostNotSpecific;
pub(crate) use insecure_protocol_port::InsecureProtocolPort;
pub(crate) use invalid_network_policy::InvalidNetworkPolicy;
pub(crate) use load_balancer_without_source_ranges::LoadBalancerWithoutSourceRanges;
pub(crate) use node_port_service::NodePortService;
pub(crate) use segmentation_breach::SegmentationBreach;
pub(crate) use service_external_ips::ServiceExternalIps;
pub(crate) use ssh_exposed::SshExposed;
pub(crate) use workload_not_selected::WorkloadNotSelected;

use std::collections::HashMap;

use kubepci_model::Scope;
use kubepci_netpol::{Direction, Network, PolicyOrigin, PolicyRule, PortMatch};

use super::prelude::*;

/// The input as a network, as the configuration describes it (shared by the scan's rules;
/// every rule that calls this declares `uses_network`).
fn network<'a>(cx: &Context<'a>) -> crate::NetworkRef<'a> {
    cx.network()
}

/// Where a finding about a namespace goes: its Namespace object, else its first workload.
fn namespace_anchor<'a>(net: &Network<'a>, ns: usize) -> Option<(&'a Object, JsonPointer)> {
    if let Some(object) = net.namespaces[ns].object {
        return Some((object, JsonPointer::root().key("metadata")));
    }
    let first = net.workloads_in(ns).first()?;
    let object = net.workloads[*first].object;
    Some((object, JsonPointer::root().key("metadata").key("namespace")))
}

/// Reports every in-scope namespace in which no policy isolates every pod for `direction`.
fn check_default_deny(cx: &mut Context<'_>, direction: Direction) {
    let net = network(cx);
    for (i, ns) in net.namespaces.iter().enumerate() {
        if !ns.isolated_by[direction as usize].is_empty() || !ns.scope.in_scope() {
            continue;
        }
        let labelled = ns.object.is_some() && matches!(ns.scope, Scope::Cde | Scope::Connected);
        if !labelled && net.workloads_in(i).is_empty() {
            continue;
        }
        let Some((object, pointer)) = namespace_anchor(&net, i) else {
            continue;
        };
        let consequence = match direction {
            Direction::Ingress => "pods no policy selects accept connections from anywhere",
            Direction::Egress => "pods no policy selects may connect anywhere",
        };
        cx.report_on(
            object,
            pointer,
            format!(
                "namespace `{}` ({}) has no default-deny {} policy (podSelector: {{}}, policyTypes: [{}]): {consequence}",
                ns.name,
                ns.scope,
                direction.field(),
                direction.as_str()
            ),
        );
    }
}

/// How a rule's ports read in a message: ` on TCP/443, port `https``, or ` on every port`.
fn ports_phrase(rule: &PolicyRule) -> String {
    let Some(ports) = &rule.ports else {
        return " on every port".to_owned();
    };
    let parts: Vec<String> = ports
        .iter()
        .map(|p| match &p.port {
            PortMatch::All => format!("{}/*", p.protocol),
            PortMatch::Range(lo, hi) if lo == hi => format!("{}/{lo}", p.protocol),
            PortMatch::Range(lo, hi) => format!("{}/{lo}-{hi}", p.protocol),
            PortMatch::Named(name) => format!("{} port `{name}`", p.protocol),
        })
        .collect();
    format!(" on {}", parts.join(", "))
}

/// The NetworkPolicies (not CNI equivalents) of namespaces accepted by `keep`.
fn network_policies<'n, 'a>(
    net: &'n Network<'a>,
    keep: impl Fn(&kubepci_netpol::Namespace<'a>) -> bool + 'n,
) -> impl Iterator<Item = &'n kubepci_netpol::Policy<'a>> + 'n {
    net.policies.iter().filter(move |p| {
        p.origin == PolicyOrigin::NetworkPolicy && keep(&net.namespaces[p.namespace])
    })
}

/// Zone of every namespace (by the configured zone label), for rules that do not build the
/// whole network.
fn zones<'a>(cx: &Context<'a>) -> HashMap<&'a str, &'a str> {
    let label = cx.settings.segmentation.network.zone_label.as_str();
    cx.inventory
        .of_kind("Namespace")
        .filter_map(|o| Some((o.name(), o.label(label)?)))
        .collect()
}

/// Whether the namespace of `object` is a DMZ.
fn in_dmz(cx: &Context<'_>, zones: &HashMap<&str, &str>, object: &Object) -> bool {
    object
        .namespace()
        .and_then(|ns| zones.get(ns))
        .is_some_and(|z| {
            cx.settings
                .segmentation
                .network
                .dmz_zones
                .iter()
                .any(|d| d == z)
        })
}

/// Whether a rule's ports are DNS only (53, any protocol).
fn dns_only(rule: &PolicyRule) -> bool {
    rule.ports.as_ref().is_some_and(|ports| {
        ports
            .iter()
            .all(|p| matches!(p.port, PortMatch::Range(53, 53)))
    })
}

/// Reports rules of `direction` that admit every peer (KP2004 ingress, KP2005 egress).
fn check_allow_all(cx: &mut Context<'_>, direction: Direction) {
    let net = network(cx);
    let options = &cx.settings.segmentation.network;
    let allowed_egress = &cx.settings.segmentation.allowed_egress_cidrs;
    let (verb, peers) = match direction {
        Direction::Ingress => ("admits", "from"),
        Direction::Egress => ("allows connections to", "to"),
    };
    let mut found = Vec::new();
    let keep = |ns: &kubepci_netpol::Namespace<'_>| {
        ns.scope.in_scope() && !(direction == Direction::Ingress && ns.is_dmz(options))
    };
    for policy in network_policies(&net, keep) {
        for rule in policy.rules(direction).unwrap_or_default() {
            let Some(list) = &rule.peers else {
                if !(direction == Direction::Egress && dns_only(rule)) {
                    found.push((
                        policy.object,
                        rule.pointer.clone(),
                        format!(
                            "{} rule without `{peers}` {verb} every pod and address{}",
                            direction.field(),
                            ports_phrase(rule)
                        ),
                    ));
                }
                continue;
            };
            for peer in list {
                let message = match peer {
                    kubepci_netpol::Peer::IpBlock {
                        set,
                        cidr,
                        has_except: false,
                        ..
                    } if kubepci_netpol::Cidr::parse(cidr).is_ok_and(|c| c.prefix() == 0)
                        && !(direction == Direction::Egress && allowed_egress.is_superset(set)) =>
                    {
                        format!(
                            "ipBlock `{cidr}` without except {verb} every address{}",
                            ports_phrase(rule)
                        )
                    }
                    kubepci_netpol::Peer::Selector {
                        pods,
                        namespaces: Some(ns),
                        ..
                    } if ns.is_empty() && pods.as_ref().is_none_or(|p| p.is_empty()) => {
                        format!(
                            "`namespaceSelector: {{}}` {verb} every pod of every namespace{}",
                            ports_phrase(rule)
                        )
                    }
                    _ => continue,
                };
                found.push((policy.object, peer.pointer().clone(), message));
            }
        }
    }
    for (object, pointer, message) in found {
        cx.report_on(object, pointer, message);
    }
}
