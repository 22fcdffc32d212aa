//! The evaluator: which ports one workload may open to another, and which addresses outside
//! the cluster may connect to a workload (or be reached from it).
//!
//! A connection from `src` to `dst` is allowed when `src`'s egress allows it **and** `dst`'s
//! ingress allows it. A direction allows everything when no policy selects the pod for that
//! direction; otherwise it allows the union of the matching rules of every policy that does.
//! Every rule's peers are compiled once into a bit set of the workloads they match.
//!
//! Host-network pods: policies do not apply to them (they are never isolated), and since
//! the plugin may or may not tell their traffic apart from the node's, as a peer they match
//! both the selectors that match their labels and every non-empty `ipBlock`.

use crate::exposure::Exposure;
use crate::ip::IpSet;
use crate::model::Network;
use crate::policy::{Direction, Peer, PolicyRule, PortMatch};
use crate::ports::{PortSet, Protocol};

/// A fixed-size bit set over workload indices.
#[derive(Clone, Debug)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(len: usize) -> Self {
        Self(vec![0; len.div_ceil(64)])
    }

    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    fn get(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
}

#[derive(Clone, Debug)]
struct CompiledPorts {
    all: bool,
    numeric: PortSet,
    named: Vec<(Protocol, String)>,
}

impl CompiledPorts {
    fn compile(ports: Option<&[crate::policy::PortSpec]>) -> Self {
        let Some(ports) = ports else {
            return Self {
                all: true,
                numeric: PortSet::all(),
                named: Vec::new(),
            };
        };
        let mut numeric = PortSet::none();
        let mut named = Vec::new();
        for spec in ports {
            match &spec.port {
                PortMatch::All => numeric.add(&PortSet::protocol(spec.protocol)),
                PortMatch::Range(lo, hi) => numeric.add(&PortSet::range(spec.protocol, *lo, *hi)),
                PortMatch::Named(name) => named.push((spec.protocol, name.clone())),
            }
        }
        Self {
            all: false,
            numeric,
            named,
        }
    }

    /// The ports at a destination workload (named ports resolved against its containers).
    fn at(&self, net: &Network<'_>, dst: usize) -> PortSet {
        if self.all || self.named.is_empty() {
            return self.numeric.clone();
        }
        let mut out = self.numeric.clone();
        for (protocol, name) in &self.named {
            for port in net.workloads[dst].named_ports(name, *protocol) {
                out.add(&PortSet::single(*protocol, port));
            }
        }
        out
    }
}

#[derive(Clone, Debug)]
struct CompiledRule {
    /// `from`/`to` absent or empty: every source or destination, inside or outside.
    all_peers: bool,
    /// Workloads the peers match.
    peers: Bits,
    /// Addresses the ipBlock peers admit.
    ips: IpSet,
    ports: CompiledPorts,
}

/// Evaluates connections over a [`Network`].
#[derive(Debug)]
pub struct Evaluator<'n, 'a> {
    net: &'n Network<'a>,
    /// Per policy and direction: compiled rules.
    rules: Vec<[Vec<CompiledRule>; 2]>,
}

impl<'n, 'a> Evaluator<'n, 'a> {
    /// Compiles every rule of every policy.
    #[must_use]
    pub fn new(net: &'n Network<'a>) -> Self {
        let rules = net
            .policies
            .iter()
            .map(|policy| {
                Direction::BOTH.map(|d| {
                    policy
                        .rules(d)
                        .unwrap_or_default()
                        .iter()
                        .map(|r| compile(net, policy.namespace, r))
                        .collect()
                })
            })
            .collect();
        Self { net, rules }
    }

    /// The network evaluated.
    #[must_use]
    pub fn network(&self) -> &'n Network<'a> {
        self.net
    }

    fn rules_of(
        &self,
        workload: usize,
        direction: Direction,
    ) -> impl Iterator<Item = &CompiledRule> {
        self.net
            .selecting(workload, direction)
            .iter()
            .flat_map(move |&p| self.rules[p][direction as usize].iter())
    }

    /// What `src`'s egress allows towards `dst`.
    #[must_use]
    pub fn egress_allows(&self, src: usize, dst: usize) -> PortSet {
        if !self.net.is_isolated(src, Direction::Egress) {
            return PortSet::all();
        }
        let mut out = PortSet::none();
        for rule in self.rules_of(src, Direction::Egress) {
            if rule.all_peers || rule.peers.get(dst) {
                out.add(&rule.ports.at(self.net, dst));
            }
        }
        out
    }

    /// What `dst`'s ingress allows from `src`.
    #[must_use]
    pub fn ingress_allows(&self, src: usize, dst: usize) -> PortSet {
        if !self.net.is_isolated(dst, Direction::Ingress) {
            return PortSet::all();
        }
        let mut out = PortSet::none();
        for rule in self.rules_of(dst, Direction::Ingress) {
            if rule.all_peers || rule.peers.get(src) {
                out.add(&rule.ports.at(self.net, dst));
            }
        }
        out
    }

    /// The ports on which `src` may open connections to `dst`: both directions must allow.
    #[must_use]
    pub fn allowed(&self, src: usize, dst: usize) -> PortSet {
        let egress = self.egress_allows(src, dst);
        if egress.is_empty() {
            return egress;
        }
        egress.intersect(&self.ingress_allows(src, dst))
    }

    /// What `dst`'s ingress admits from addresses outside the cluster: `(addresses, ports)`
    /// pairs, one per admitting rule.
    #[must_use]
    pub fn ingress_from_outside(&self, dst: usize) -> Vec<(IpSet, PortSet)> {
        if !self.net.is_isolated(dst, Direction::Ingress) {
            return vec![(IpSet::all(), PortSet::all())];
        }
        self.rules_of(dst, Direction::Ingress)
            .filter_map(|rule| {
                let ips = if rule.all_peers {
                    IpSet::all()
                } else {
                    rule.ips.clone()
                };
                (!ips.is_empty()).then(|| (ips, rule.ports.at(self.net, dst)))
            })
            .filter(|(_, ports)| !ports.is_empty())
            .collect()
    }

    /// What `src`'s egress allows towards addresses outside the cluster: `(addresses,
    /// ports)` pairs. Named ports cannot be resolved outside the cluster and match nothing.
    #[must_use]
    pub fn egress_to_outside(&self, src: usize) -> Vec<(IpSet, PortSet)> {
        if !self.net.is_isolated(src, Direction::Egress) {
            return vec![(IpSet::all(), PortSet::all())];
        }
        self.rules_of(src, Direction::Egress)
            .filter_map(|rule| {
                let ips = if rule.all_peers {
                    IpSet::all()
                } else {
                    rule.ips.clone()
                };
                (!ips.is_empty() && !rule.ports.numeric.is_empty())
                    .then(|| (ips, rule.ports.numeric.clone()))
            })
            .collect()
    }

    /// Every port `dst`'s ingress admits from some source, whatever it is.
    #[must_use]
    pub fn ingress_ports_from_anyone(&self, dst: usize) -> PortSet {
        if !self.net.is_isolated(dst, Direction::Ingress) {
            return PortSet::all();
        }
        self.rules_of(dst, Direction::Ingress)
            .fold(PortSet::none(), |acc, rule| {
                acc.union(&rule.ports.at(self.net, dst))
            })
    }

    /// Whether traffic from outside the cluster gets through an exposure: the ports it
    /// reaches and the source addresses that get through (`None` for traffic relayed by a
    /// proxy, whose own pod is the source NetworkPolicy sees; kubepci does not locate the
    /// proxy, so it counts every port the workload admits from anyone).
    #[must_use]
    pub fn through(&self, exposure: &Exposure<'_>) -> Option<(PortSet, Option<IpSet>)> {
        let dst = exposure.workload;
        let Some(path_sources) = &exposure.sources else {
            let ports = exposure
                .ports
                .intersect(&self.ingress_ports_from_anyone(dst));
            return (!ports.is_empty()).then_some((ports, None));
        };
        let mut ports = PortSet::none();
        let mut sources = IpSet::empty();
        for (ips, admitted) in self.ingress_from_outside(dst) {
            let ips = ips.intersect(path_sources);
            let admitted = admitted.intersect(&exposure.ports);
            if !ips.is_empty() && !admitted.is_empty() {
                ports.add(&admitted);
                sources = sources.union(&ips);
            }
        }
        (!ports.is_empty()).then_some((ports, Some(sources)))
    }
}

fn compile(net: &Network<'_>, policy_namespace: usize, rule: &PolicyRule) -> CompiledRule {
    let n = net.workloads.len();
    let mut peers = Bits::new(n);
    let mut ips = IpSet::empty();
    let all_peers = rule.peers.is_none();
    for peer in rule.peers.as_deref().unwrap_or_default() {
        match peer {
            Peer::Selector {
                pods, namespaces, ..
            } => {
                let candidates: Vec<usize> = match namespaces {
                    None => vec![policy_namespace],
                    Some(sel) => (0..net.namespaces.len())
                        .filter(|&ns| sel.matches(&net.namespaces[ns].labels))
                        .collect(),
                };
                for ns in candidates {
                    for &w in net.workloads_in(ns) {
                        if pods
                            .as_ref()
                            .is_none_or(|sel| sel.matches(&net.workloads[w].labels))
                        {
                            peers.set(w);
                        }
                    }
                }
            }
            Peer::IpBlock { set, .. } => {
                ips = ips.union(set);
            }
        }
    }
    if !ips.is_empty() {
        let pods_too = ips.overlaps(&net.options.pod_cidrs);
        for (w, workload) in net.workloads.iter().enumerate() {
            if workload.host_network || pods_too {
                peers.set(w);
            }
        }
    }
    CompiledRule {
        all_peers,
        peers,
        ips,
        ports: CompiledPorts::compile(rule.ports.as_deref()),
    }
}
