//! The input as a network: namespaces with their labels and scope, workloads with their pod
//! labels and ports, the valid policies, the exposures, and what could not be analysed.

use std::collections::{HashMap, HashSet};

use kubepci_k8s::{Inventory, Object, POD_TEMPLATE_KINDS, PodTemplate};
use kubepci_model::{JsonPointer, Node, Scope};

use crate::crd;
use crate::exposure::{self, Exposure, Service};
use crate::ip::IpSet;
use crate::policy::{self, Direction, Policy, PolicyOrigin};
use crate::ports::Protocol;
use crate::selector::{Labels, labels_of};

/// The label the API server sets on every namespace to its name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";
/// The namespace `kubectl apply` uses for objects that name none.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Every kind the analysis reads (rules that build a [`Network`] declare these).
pub const INPUT_KINDS: &[&str] = &[
    "Namespace",
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "NetworkPolicy",
    "Service",
    "Ingress",
    "HTTPRoute",
    "GRPCRoute",
    "TLSRoute",
    "TCPRoute",
    "UDPRoute",
    "CiliumNetworkPolicy",
    "CiliumClusterwideNetworkPolicy",
    "GlobalNetworkPolicy",
    "AdminNetworkPolicy",
    "BaselineAdminNetworkPolicy",
];

/// Parameters of the analysis.
#[derive(Clone, Debug)]
pub struct Options {
    /// The cluster's pod network(s). An `ipBlock` that overlaps them is taken to admit pods
    /// too (Calico and most CNIs match pod IPs against ipBlocks). Default: every private
    /// range (RFC 1918, RFC 6598 and IPv6 ULA), which is conservative.
    pub pod_cidrs: IpSet,
    /// Namespace label naming the network zone.
    pub zone_label: String,
    /// Zones that may receive traffic from outside the cluster (DMZ).
    pub dmz_zones: Vec<String>,
    /// Workload or pod label (value `"true"`) that marks stores of cardholder data.
    pub stores_chd_label: String,
}

/// The default pod networks: every private range.
pub const DEFAULT_POD_CIDRS: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "fc00::/7",
];

/// Address ranges that are not routable on the internet (RFC 1918, RFC 6598, loopback,
/// link-local, IPv6 ULA and link-local): what is left of an address set without them is
/// "public".
pub const PRIVATE_CIDRS: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
    "::1/128",
];

impl Default for Options {
    fn default() -> Self {
        Self {
            pod_cidrs: IpSet::from_cidrs(DEFAULT_POD_CIDRS)
                .expect("the default pod CIDRs are valid CIDRs"),
            zone_label: kubepci_k8s::ZONE_LABEL.to_owned(),
            dmz_zones: vec!["dmz".to_owned()],
            stores_chd_label: "kubepci.io/stores-chd".to_owned(),
        }
    }
}

/// One namespace.
#[derive(Clone, Debug)]
pub struct Namespace<'a> {
    /// Its name.
    pub name: String,
    /// Its labels, including `kubernetes.io/metadata.name`.
    pub labels: Labels,
    /// Its PCI scope.
    pub scope: Scope,
    /// Its zone label, if any.
    pub zone: Option<String>,
    /// The Namespace object, when the input has it.
    pub object: Option<&'a Object>,
    /// Why policies affecting it are not analysed (Cilium, Calico or AdminNetworkPolicy
    /// objects that are not plain default-denies). Empty when it is fully analysed.
    pub unanalysed: Vec<String>,
    /// Whether policies kubepci does not evaluate (CNI-specific ones) may select some of its
    /// pods: such pods may be isolated even though no NetworkPolicy selects them.
    pub other_policies_may_select: bool,
    /// Policy objects (of any CNI) that isolate every pod of the namespace, per direction.
    pub isolated_by: [Vec<&'a Object>; 2],
}

impl Namespace<'_> {
    /// Whether the namespace is in a DMZ zone.
    #[must_use]
    pub fn is_dmz(&self, options: &Options) -> bool {
        self.zone
            .as_ref()
            .is_some_and(|z| options.dmz_zones.iter().any(|d| d == z))
    }

    /// Whether every policy affecting it was analysed.
    #[must_use]
    pub fn is_analysed(&self) -> bool {
        self.unanalysed.is_empty()
    }
}

/// One container port of a workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerPort {
    /// `name`.
    pub name: Option<String>,
    /// `containerPort`.
    pub port: u16,
    /// `protocol` (default TCP).
    pub protocol: Protocol,
    /// `hostPort`, when set.
    pub host_port: Option<u16>,
    /// Where the port is written.
    pub pointer: JsonPointer,
}

/// A workload: the owning object of a pod template (generated Pods and ReplicaSets are folded
/// into their controller when it is in the input).
#[derive(Clone, Debug)]
pub struct Workload<'a> {
    /// The object.
    pub object: &'a Object,
    /// Its pod template.
    pub template: PodTemplate<'a>,
    /// Its namespace (index into [`Network::namespaces`]).
    pub namespace: usize,
    /// `namespace/name`, unique within the network (the kind is added on a clash).
    pub id: String,
    /// The pod template's labels.
    pub labels: Labels,
    /// Declared container ports.
    pub ports: Vec<ContainerPort>,
    /// `spec.hostNetwork`.
    pub host_network: bool,
    /// Whether the workload or its pods carry the stores-chd label.
    pub stores_chd: bool,
}

impl Workload<'_> {
    /// Container ports named `name` with `protocol`.
    pub fn named_ports<'s>(
        &'s self,
        name: &'s str,
        protocol: Protocol,
    ) -> impl Iterator<Item = u16> + 's {
        self.ports
            .iter()
            .filter(move |p| p.name.as_deref() == Some(name) && p.protocol == protocol)
            .map(|p| p.port)
    }

    /// The container port named `name`, whatever its protocol.
    #[must_use]
    pub fn port_named(&self, name: &str) -> Option<&ContainerPort> {
        self.ports.iter().find(|p| p.name.as_deref() == Some(name))
    }
}

/// A NetworkPolicy the API server would reject (it has no effect).
#[derive(Clone, Debug)]
pub struct InvalidPolicy<'a> {
    /// The object.
    pub object: &'a Object,
    /// The offending field.
    pub pointer: JsonPointer,
    /// Why it is invalid.
    pub reason: String,
}

/// The whole input as a network.
#[derive(Debug)]
pub struct Network<'a> {
    /// Analysis parameters.
    pub options: Options,
    /// Every namespace, sorted by name.
    pub namespaces: Vec<Namespace<'a>>,
    /// Every workload, by namespace then input order.
    pub workloads: Vec<Workload<'a>>,
    /// Valid NetworkPolicies and recognised equivalents.
    pub policies: Vec<Policy<'a>>,
    /// NetworkPolicies the API server would reject.
    pub invalid_policies: Vec<InvalidPolicy<'a>>,
    ns_index: HashMap<String, usize>,
    by_namespace: Vec<Vec<usize>>,
    policies_by_namespace: Vec<Vec<usize>>,
    /// Per workload and direction: the policies that select it and apply to the direction.
    selecting: Vec<[Vec<usize>; 2]>,
    services: Vec<Service<'a>>,
    exposures: Vec<Exposure<'a>>,
}

impl<'a> Network<'a> {
    /// Builds the network of an inventory. It is meant to be built once per input and
    /// shared (the rule engine does so): the type is covariant and `Sync`.
    #[must_use]
    pub fn build(inventory: &'a Inventory, options: &Options) -> Network<'a> {
        let mut net = Network {
            options: options.clone(),
            namespaces: Vec::new(),
            workloads: Vec::new(),
            policies: Vec::new(),
            invalid_policies: Vec::new(),
            ns_index: HashMap::new(),
            by_namespace: Vec::new(),
            policies_by_namespace: Vec::new(),
            selecting: Vec::new(),
            services: Vec::new(),
            exposures: Vec::new(),
        };
        net.collect_namespaces(inventory);
        net.collect_workloads(inventory);
        net.collect_policies(inventory);
        crd::apply(&mut net, inventory);
        net.selecting = net.index_selection();
        net.services = exposure::services(&net, inventory);
        net.exposures = exposure::collect(&net, inventory);
        net
    }

    /// Services, with the workloads they select.
    #[must_use]
    pub fn services(&self) -> &[Service<'a>] {
        &self.services
    }

    /// Ways traffic from outside the cluster reaches workloads, before NetworkPolicy.
    #[must_use]
    pub fn exposures(&self) -> &[Exposure<'a>] {
        &self.exposures
    }

    fn collect_namespaces(&mut self, inventory: &'a Inventory) {
        let objects: HashMap<&str, &'a Object> = inventory
            .of_kind("Namespace")
            .filter(|o| o.api_version() == "v1")
            .map(|o| (o.name(), o))
            .collect();
        let mut names: Vec<String> = inventory.namespaces().map(|n| n.name.clone()).collect();
        let unnamed = POD_TEMPLATE_KINDS
            .iter()
            .chain(["NetworkPolicy", "Service", "Ingress"].iter())
            .any(|k| inventory.of_kind(k).any(|o| o.namespace().is_none()));
        if unnamed && !names.iter().any(|n| n == DEFAULT_NAMESPACE) {
            names.push(DEFAULT_NAMESPACE.to_owned());
        }
        names.sort();
        for name in names {
            let object = objects.get(name.as_str()).copied();
            let mut labels = labels_of(object.and_then(|o| o.metadata()?.get("labels")));
            labels.insert(NAMESPACE_NAME_LABEL.to_owned(), name.clone());
            let zone = labels.get(&self.options.zone_label).cloned();
            self.ns_index.insert(name.clone(), self.namespaces.len());
            self.namespaces.push(Namespace {
                scope: inventory.scope_of_namespace(&name),
                name,
                labels,
                zone,
                object,
                unanalysed: Vec::new(),
                other_policies_may_select: false,
                isolated_by: [Vec::new(), Vec::new()],
            });
        }
        self.by_namespace = vec![Vec::new(); self.namespaces.len()];
        self.policies_by_namespace = vec![Vec::new(); self.namespaces.len()];
    }

    /// The index of an object's namespace (`default` when it names none).
    #[must_use]
    pub fn namespace_of(&self, object: &Object) -> Option<usize> {
        self.namespace_index(object.namespace().unwrap_or(DEFAULT_NAMESPACE))
    }

    /// The index of a namespace by name.
    #[must_use]
    pub fn namespace_index(&self, name: &str) -> Option<usize> {
        self.ns_index.get(name).copied()
    }

    fn collect_workloads(&mut self, inventory: &'a Inventory) {
        let present: HashSet<(&str, &str, &str)> = POD_TEMPLATE_KINDS
            .iter()
            .flat_map(|k| inventory.of_kind(k))
            .map(|o| {
                (
                    o.kind(),
                    o.namespace().unwrap_or(DEFAULT_NAMESPACE),
                    o.name(),
                )
            })
            .collect();
        let mut workloads = Vec::new();
        for kind in POD_TEMPLATE_KINDS {
            for object in inventory.of_kind(kind) {
                if owned_by_workload_in_input(object, &present) {
                    continue;
                }
                let Some(template) = PodTemplate::of(object) else {
                    continue;
                };
                let Some(namespace) = self.namespace_of(object) else {
                    continue;
                };
                workloads.push(self.workload(object, template, namespace));
            }
        }
        // Namespace order, then input order within a namespace.
        workloads.sort_by_key(|w: &Workload<'_>| w.namespace);
        let mut seen: HashMap<String, usize> = HashMap::new();
        for w in &workloads {
            *seen.entry(w.id.clone()).or_default() += 1;
        }
        for w in &mut workloads {
            if seen.get(&w.id).copied().unwrap_or(0) > 1 {
                w.id = format!("{} ({})", w.id, w.object.kind());
            }
        }
        for (i, w) in workloads.iter().enumerate() {
            self.by_namespace[w.namespace].push(i);
        }
        self.workloads = workloads;
    }

    fn workload(
        &self,
        object: &'a Object,
        template: PodTemplate<'a>,
        namespace: usize,
    ) -> Workload<'a> {
        let labels = labels_of(template.metadata.and_then(|m| m.get("labels")));
        let mut ports = Vec::new();
        for c in template.containers() {
            for (i, port) in c
                .get(&["ports"])
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let Some(number) = port
                    .get("containerPort")
                    .and_then(Node::as_i64)
                    .and_then(|p| u16::try_from(p).ok())
                    .filter(|p| *p > 0)
                else {
                    continue;
                };
                let protocol = port
                    .get("protocol")
                    .and_then(Node::as_str)
                    .and_then(Protocol::parse)
                    .unwrap_or(Protocol::Tcp);
                ports.push(ContainerPort {
                    name: port
                        .get("name")
                        .and_then(Node::as_str)
                        .filter(|n| !n.is_empty())
                        .map(str::to_owned),
                    port: number,
                    protocol,
                    host_port: port
                        .get("hostPort")
                        .and_then(Node::as_i64)
                        .and_then(|p| u16::try_from(p).ok())
                        .filter(|p| *p > 0),
                    pointer: c.pointer_to(&["ports"]).index(i),
                });
            }
        }
        let chd = &self.options.stores_chd_label;
        let stores_chd = object.label(chd) == Some("true") || template.label(chd) == Some("true");
        Workload {
            object,
            namespace,
            id: format!("{}/{}", self.namespaces[namespace].name, object.name()),
            labels,
            ports,
            host_network: template.get(&["hostNetwork"]).and_then(Node::as_bool) == Some(true),
            stores_chd,
            template,
        }
    }

    fn collect_policies(&mut self, inventory: &'a Inventory) {
        for object in inventory.of_kind("NetworkPolicy") {
            if !policy::is_network_policy(object) {
                continue;
            }
            let Some(namespace) = self.namespace_of(object) else {
                continue;
            };
            match policy::parse_network_policy(object) {
                Ok(parsed) => self.push_policy(Policy {
                    object,
                    namespace,
                    origin: PolicyOrigin::NetworkPolicy,
                    pod_selector: parsed.pod_selector,
                    ingress: parsed.ingress,
                    egress: parsed.egress,
                }),
                Err(e) => self.invalid_policies.push(InvalidPolicy {
                    object,
                    pointer: e.pointer,
                    reason: e.message,
                }),
            }
        }
    }

    pub(crate) fn push_policy(&mut self, policy: Policy<'a>) {
        let whole = policy.pod_selector.is_empty();
        for direction in Direction::BOTH {
            if whole && policy.rules(direction).is_some() {
                self.namespaces[policy.namespace].isolated_by[direction as usize]
                    .push(policy.object);
            }
        }
        self.policies_by_namespace[policy.namespace].push(self.policies.len());
        self.policies.push(policy);
    }

    fn index_selection(&self) -> Vec<[Vec<usize>; 2]> {
        let mut selecting = vec![[Vec::new(), Vec::new()]; self.workloads.len()];
        for (ns, policies) in self.policies_by_namespace.iter().enumerate() {
            for &p in policies {
                let policy = &self.policies[p];
                for &w in &self.by_namespace[ns] {
                    if policy.pod_selector.matches(&self.workloads[w].labels) {
                        for direction in Direction::BOTH {
                            if policy.rules(direction).is_some() {
                                selecting[w][direction as usize].push(p);
                            }
                        }
                    }
                }
            }
        }
        selecting
    }

    /// Workloads of a namespace.
    #[must_use]
    pub fn workloads_in(&self, namespace: usize) -> &[usize] {
        &self.by_namespace[namespace]
    }

    /// Policies of a namespace (indices into [`Network::policies`]).
    #[must_use]
    pub fn policies_in(&self, namespace: usize) -> &[usize] {
        &self.policies_by_namespace[namespace]
    }

    /// Policies that select a workload and apply to `direction`.
    #[must_use]
    pub fn selecting(&self, workload: usize, direction: Direction) -> &[usize] {
        &self.selecting[workload][direction as usize]
    }

    /// Whether a workload is isolated in `direction` (some policy selects it for that
    /// direction). Host-network pods are never isolated: policies do not apply to them.
    #[must_use]
    pub fn is_isolated(&self, workload: usize, direction: Direction) -> bool {
        !self.workloads[workload].host_network && !self.selecting(workload, direction).is_empty()
    }

    /// The namespace of a workload.
    #[must_use]
    pub fn namespace_of_workload(&self, workload: usize) -> &Namespace<'a> {
        &self.namespaces[self.workloads[workload].namespace]
    }
}

/// `Kind namespace/name` (or `Kind name` for cluster-scoped objects), as reports name objects.
pub(crate) fn object_name(object: &Object) -> String {
    match object.namespace() {
        Some(ns) => format!("{} {ns}/{}", object.kind(), object.name()),
        None => format!("{} {}", object.kind(), object.name()),
    }
}

/// Whether a pod-template object is generated by a controller that is itself in the input
/// (a Deployment's ReplicaSet, a ReplicaSet's Pod, a CronJob's Job).
fn owned_by_workload_in_input(object: &Object, present: &HashSet<(&str, &str, &str)>) -> bool {
    let ns = object.namespace().unwrap_or(DEFAULT_NAMESPACE);
    object
        .metadata()
        .and_then(|m| m.get("ownerReferences"))
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter(|r| r.get("controller").and_then(Node::as_bool) == Some(true))
        .any(|r| {
            match (
                r.get("kind").and_then(Node::as_str),
                r.get("name").and_then(Node::as_str),
            ) {
                (Some(kind), Some(name)) => present.contains(&(kind, ns, name)),
                _ => false,
            }
        })
}

/// A network borrowed for a long time is usable as one borrowed for less (callers share one
/// network between rules that run with shorter lifetimes), and across threads.
#[allow(dead_code)]
fn network_is_covariant_and_sync<'long: 'short, 'short>(
    net: &'short Network<'long>,
) -> &'short Network<'short> {
    fn sync<T: Send + Sync>(_: &T) {}
    sync(net);
    net
}
