//! The evaluator against a brute-force, literal reading of the NetworkPolicy specification.
//!
//! proptest generates namespaces, pods (labels, named and numbered container ports, host
//! network) and valid NetworkPolicies (selectors with every operator, peers of every shape,
//! ipBlocks with excepts in IPv4 and IPv6, ports with protocols, endPort and named ports,
//! every form of policyTypes). The input goes through the real loader as JSON. The brute
//! force reads the generated JSON directly and answers, for every pod pair, protocol and port
//! (and for sample addresses outside the cluster), whether the connection is allowed, by
//! re-reading the spec's sentences: a pod is isolated for a direction when a policy in its
//! namespace selects it and has that direction in its (defaulted) policyTypes; a connection
//! is allowed when the source's egress and the destination's ingress both allow it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use kubepci_k8s::{Inventory, KindFilter, load};
use kubepci_netpol::{Evaluator, IpSet, Network, Options, Protocol};
use proptest::prelude::*;
use serde_json::{Value, json};

const NAMESPACES: &[&str] = &["a", "b", "c"];
const LABEL_KEYS: &[&str] = &["app", "tier", "team", "kubernetes.io/metadata.name"];
const LABEL_VALUES: &[&str] = &["web", "db", "x", "a", "b"];
const PORT_NAMES: &[&str] = &["http", "metrics", "grpc"];
const MAX_PORT: u16 = 7;
/// CIDRs the generator draws from; every boolean combination of them is represented by one
/// of [`SAMPLE_ADDRESSES`], so enumerating those decides "some address of the set".
const CIDRS: &[&str] = &[
    "0.0.0.0/0",
    "10.0.0.0/8",
    "10.1.0.0/16",
    "10.0.0.0/24",
    "10.0.0.0/25",
    "10.0.0.128/25",
    "10.0.0.0/26",
    "192.168.0.0/16",
    "::/0",
    "fd00::/8",
    "2001:db8::/32",
];
const SAMPLE_ADDRESSES: &[&str] = &[
    "8.8.8.8",
    "192.168.1.1",
    "10.2.0.1",
    "10.1.2.3",
    "10.0.0.1",
    "10.0.0.70",
    "10.0.0.130",
    "2002::1",
    "fd00::1",
    "2001:db8::1",
];

// ---------------------------------------------------------------- generation

fn label_map(max: usize) -> impl Strategy<Value = Value> {
    proptest::collection::btree_map(
        prop::sample::select(&LABEL_KEYS[..3]),
        prop::sample::select(LABEL_VALUES),
        0..=max,
    )
    .prop_map(|m| json!(m))
}

fn selector() -> impl Strategy<Value = Value> {
    let expr = (
        prop::sample::select(LABEL_KEYS),
        0..4usize,
        proptest::collection::vec(prop::sample::select(LABEL_VALUES), 1..3),
    )
        .prop_map(|(key, op, values)| match op {
            0 => json!({"key": key, "operator": "In", "values": values}),
            1 => json!({"key": key, "operator": "NotIn", "values": values}),
            2 => json!({"key": key, "operator": "Exists"}),
            _ => json!({"key": key, "operator": "DoesNotExist"}),
        });
    (
        proptest::option::of(proptest::collection::btree_map(
            prop::sample::select(LABEL_KEYS),
            prop::sample::select(LABEL_VALUES),
            0..=2,
        )),
        proptest::option::of(proptest::collection::vec(expr, 0..=2)),
    )
        .prop_map(|(labels, exprs)| {
            let mut s = serde_json::Map::new();
            if let Some(l) = labels {
                s.insert("matchLabels".into(), json!(l));
            }
            if let Some(e) = exprs {
                s.insert("matchExpressions".into(), json!(e));
            }
            Value::Object(s)
        })
}

fn ip_block() -> impl Strategy<Value = Value> {
    (
        0..CIDRS.len(),
        proptest::collection::vec(0..CIDRS.len(), 0..3),
    )
        .prop_map(|(c, excepts)| {
            let base = CIDRS[c];
            let except: Vec<&str> = excepts
                .into_iter()
                .map(|e| CIDRS[e])
                .filter(|e| strictly_contains(base, e))
                .collect();
            if except.is_empty() {
                json!({"cidr": base})
            } else {
                json!({"cidr": base, "except": except})
            }
        })
}

fn peer() -> impl Strategy<Value = Value> {
    prop_oneof![
        selector().prop_map(|s| json!({"podSelector": s})),
        selector().prop_map(|s| json!({"namespaceSelector": s})),
        (selector(), selector())
            .prop_map(|(p, n)| json!({"podSelector": p, "namespaceSelector": n})),
        ip_block().prop_map(|b| json!({"ipBlock": b})),
    ]
}

fn port_entry() -> impl Strategy<Value = Value> {
    let protocol = prop_oneof![
        Just(None),
        Just(Some("TCP")),
        Just(Some("UDP")),
        Just(Some("SCTP"))
    ];
    let port = prop_oneof![
        Just(json!(null)),
        (1..=MAX_PORT, proptest::option::of(0..3u16))
            .prop_map(|(p, end)| json!({"port": p, "endPort": end.map(|e| p + e)})),
        prop::sample::select(PORT_NAMES).prop_map(|n| json!({"port": n})),
    ];
    (protocol, port).prop_map(|(protocol, port)| {
        let mut entry = serde_json::Map::new();
        if let Some(p) = protocol {
            entry.insert("protocol".into(), json!(p));
        }
        if let Value::Object(fields) = port {
            for (k, v) in fields {
                if !v.is_null() {
                    entry.insert(k, v);
                }
            }
        }
        Value::Object(entry)
    })
}

fn rule(peers_key: &'static str) -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just(None),
            Just(Some(Vec::new())),
            proptest::collection::vec(peer(), 1..3).prop_map(Some)
        ],
        prop_oneof![
            Just(None),
            Just(Some(Vec::new())),
            proptest::collection::vec(port_entry(), 1..3).prop_map(Some)
        ],
    )
        .prop_map(move |(peers, ports)| {
            let mut r = serde_json::Map::new();
            if let Some(p) = peers {
                r.insert(peers_key.into(), json!(p));
            }
            if let Some(p) = ports {
                r.insert("ports".into(), json!(p));
            }
            Value::Object(r)
        })
}

fn rules(peers_key: &'static str) -> impl Strategy<Value = Option<Vec<Value>>> {
    prop_oneof![
        Just(None),
        Just(Some(Vec::new())),
        proptest::collection::vec(rule(peers_key), 1..3).prop_map(Some),
    ]
}

fn policy() -> impl Strategy<Value = (String, Value)> {
    let types = prop_oneof![
        Just(None),
        Just(Some(vec![])),
        Just(Some(vec!["Ingress"])),
        Just(Some(vec!["Egress"])),
        Just(Some(vec!["Ingress", "Egress"])),
    ];
    (
        prop::sample::select(NAMESPACES),
        proptest::option::of(selector()),
        types,
        rules("from"),
        rules("to"),
    )
        .prop_map(|(ns, pod_selector, types, ingress, egress)| {
            let mut spec = serde_json::Map::new();
            spec.insert(
                "podSelector".into(),
                pod_selector.unwrap_or_else(|| json!({})),
            );
            if let Some(t) = types {
                spec.insert("policyTypes".into(), json!(t));
            }
            if let Some(i) = ingress {
                spec.insert("ingress".into(), json!(i));
            }
            if let Some(e) = egress {
                spec.insert("egress".into(), json!(e));
            }
            (ns.to_owned(), Value::Object(spec))
        })
}

fn pod() -> impl Strategy<Value = (String, Value, Vec<Value>, bool)> {
    let port = (
        proptest::option::of(prop::sample::select(PORT_NAMES)),
        1..=MAX_PORT,
        prop_oneof![Just("TCP"), Just("UDP"), Just("SCTP")],
    );
    (
        prop::sample::select(NAMESPACES),
        label_map(2),
        proptest::collection::vec(port, 0..4),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(ns, labels, ports, host_network)| {
            let mut seen = Vec::new();
            let ports = ports
                .into_iter()
                .map(|(name, port, protocol)| {
                    // Port names are unique within a pod.
                    let name = name.filter(|n| !seen.contains(n));
                    if let Some(n) = name {
                        seen.push(n);
                    }
                    match name {
                        Some(n) => json!({"name": n, "containerPort": port, "protocol": protocol}),
                        None => json!({"containerPort": port, "protocol": protocol}),
                    }
                })
                .collect();
            (ns.to_owned(), labels, ports, host_network)
        })
}

#[derive(Debug, Clone)]
struct Scenario {
    namespaces: Vec<Value>,
    pods: Vec<(String, Value, Vec<Value>, bool)>,
    policies: Vec<(String, Value)>,
    pod_cidrs: Vec<&'static str>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        proptest::collection::vec(label_map(2), NAMESPACES.len()),
        proptest::collection::vec(pod(), 1..6),
        proptest::collection::vec(policy(), 0..5),
        prop_oneof![
            Just(vec!["10.0.0.0/24"]),
            Just(vec!["10.0.0.0/8", "fd00::/8"]),
            Just(vec!["192.168.0.0/16"]),
        ],
    )
        .prop_map(|(namespaces, pods, policies, pod_cidrs)| Scenario {
            namespaces,
            pods,
            policies,
            pod_cidrs,
        })
}

impl Scenario {
    fn manifest(&self) -> String {
        let mut items = Vec::new();
        for (name, labels) in NAMESPACES.iter().zip(&self.namespaces) {
            items.push(json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "labels": labels}}));
        }
        for (i, (ns, labels, ports, host_network)) in self.pods.iter().enumerate() {
            items.push(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("p{i}"), "namespace": ns, "labels": labels},
                "spec": {"hostNetwork": host_network,
                         "containers": [{"name": "c", "image": "i", "ports": ports}]}}));
        }
        for (i, (ns, spec)) in self.policies.iter().enumerate() {
            items.push(
                json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": format!("np{i}"), "namespace": ns}, "spec": spec}),
            );
        }
        json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string()
    }
}

// ---------------------------------------------------------------- brute force

/// `addr` is in `cidr`, by comparing the first prefix-length bits.
fn in_cidr(cidr: &str, addr: IpAddr) -> bool {
    let (net, len) = cidr.split_once('/').expect("generated CIDRs have a prefix");
    let net: IpAddr = net.parse().expect("generated CIDRs parse");
    let len: u32 = len.parse().expect("prefix");
    match (net, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            len == 0 || (u32::from(n) ^ u32::from(a)) >> (32 - len) == 0
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            len == 0 || (u128::from(n) ^ u128::from(a)) >> (128 - len) == 0
        }
        _ => false,
    }
}

fn strictly_contains(outer: &str, inner: &str) -> bool {
    let inner_len: u32 = inner
        .split_once('/')
        .and_then(|(_, l)| l.parse().ok())
        .unwrap_or(0);
    let outer_len: u32 = outer
        .split_once('/')
        .and_then(|(_, l)| l.parse().ok())
        .unwrap_or(0);
    let inner_net: IpAddr = inner
        .split_once('/')
        .and_then(|(a, _)| a.parse().ok())
        .expect("address");
    inner_len > outer_len && in_cidr(outer, inner_net)
}

fn addresses() -> Vec<IpAddr> {
    SAMPLE_ADDRESSES
        .iter()
        .map(|a| a.parse().expect("sample address"))
        .collect()
}

/// "The ipBlock holds the address": in `cidr` and in none of the `except` entries.
fn in_block(block: &Value, addr: IpAddr) -> bool {
    let cidr = block["cidr"].as_str().expect("cidr");
    in_cidr(cidr, addr)
        && !block["except"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| in_cidr(e.as_str().expect("except"), addr))
}

fn labels_match(selector: &Value, labels: &Value) -> bool {
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    let match_labels_ok = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| label(k) == v.as_str());
    let exprs_ok = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e["key"].as_str().expect("key");
            let values: Vec<&str> = e["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match e["operator"].as_str().expect("operator") {
                "In" => label(key).is_some_and(|v| values.contains(&v)),
                "NotIn" => label(key).is_none_or(|v| !values.contains(&v)),
                "Exists" => label(key).is_some(),
                "DoesNotExist" => label(key).is_none(),
                other => panic!("generated operator {other}"),
            }
        });
    match_labels_ok && exprs_ok
}

struct World<'s> {
    s: &'s Scenario,
    pod_cidrs: Vec<&'static str>,
}

/// One end of a connection.
#[derive(Clone, Copy)]
enum End {
    Pod(usize),
    Address(IpAddr),
}

impl World<'_> {
    fn ns_labels(&self, ns: &str) -> Value {
        let i = NAMESPACES.iter().position(|n| *n == ns).expect("namespace");
        let mut labels = self.s.namespaces[i].clone();
        labels["kubernetes.io/metadata.name"] = json!(ns);
        labels
    }

    /// policyTypes as the API server defaults them.
    fn types(spec: &Value) -> (bool, bool) {
        let listed: Vec<&str> = spec["policyTypes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if listed.is_empty() {
            let has_egress = spec["egress"].as_array().is_some_and(|e| !e.is_empty());
            (true, has_egress)
        } else {
            (listed.contains(&"Ingress"), listed.contains(&"Egress"))
        }
    }

    /// "A peer selects this end."
    fn peer_matches(&self, peer: &Value, policy_ns: &str, end: End) -> bool {
        match end {
            End::Address(addr) => peer.get("ipBlock").is_some_and(|b| in_block(b, addr)),
            End::Pod(p) => {
                let (ns, labels, _, host_network) = &self.s.pods[p];
                if let Some(block) = peer.get("ipBlock") {
                    // Host-network pods have a node address, which any block may hold;
                    // other pods have an address somewhere in the pod network.
                    return addresses().into_iter().any(|a| {
                        in_block(block, a)
                            && (*host_network || self.pod_cidrs.iter().any(|c| in_cidr(c, a)))
                    });
                }
                let ns_ok = match peer.get("namespaceSelector") {
                    Some(sel) => labels_match(sel, &self.ns_labels(ns)),
                    None => ns == policy_ns,
                };
                let pod_ok = peer
                    .get("podSelector")
                    .is_none_or(|sel| labels_match(sel, labels));
                ns_ok && pod_ok
            }
        }
    }

    /// "A port entry matches the connection to `dst` on (protocol, port)."
    fn port_matches(&self, entry: &Value, dst: End, protocol: &str, port: u16) -> bool {
        if entry["protocol"].as_str().unwrap_or("TCP") != protocol {
            return false;
        }
        match &entry["port"] {
            Value::Null => true,
            Value::Number(n) => {
                let lo = n.as_u64().expect("port") as u16;
                let hi = entry["endPort"].as_u64().map_or(lo, |e| e as u16);
                (lo..=hi).contains(&port)
            }
            Value::String(name) => match dst {
                End::Address(_) => false,
                End::Pod(d) => self.s.pods[d].2.iter().any(|cp| {
                    cp["name"].as_str() == Some(name)
                        && cp["protocol"].as_str() == Some(protocol)
                        && cp["containerPort"].as_u64() == Some(u64::from(port))
                }),
            },
            other => panic!("generated port {other}"),
        }
    }

    /// "The pod's `direction` allows the connection with `other` (the peer end) to `dst`."
    fn allows(
        &self,
        pod: usize,
        ingress: bool,
        other: End,
        dst: End,
        protocol: &str,
        port: u16,
    ) -> bool {
        let (ns, labels, _, host_network) = &self.s.pods[pod];
        if *host_network {
            return true;
        }
        let selecting: Vec<&(String, Value)> = self
            .s
            .policies
            .iter()
            .filter(|(pns, spec)| {
                pns == ns
                    && labels_match(&spec["podSelector"], labels)
                    && if ingress {
                        Self::types(spec).0
                    } else {
                        Self::types(spec).1
                    }
            })
            .collect();
        if selecting.is_empty() {
            return true;
        }
        let (field, peers_key) = if ingress {
            ("ingress", "from")
        } else {
            ("egress", "to")
        };
        selecting.iter().any(|(pns, spec)| {
            spec[field].as_array().into_iter().flatten().any(|rule| {
                let peers = rule[peers_key].as_array().filter(|p| !p.is_empty());
                let ports = rule["ports"].as_array().filter(|p| !p.is_empty());
                let peer_ok =
                    peers.is_none_or(|ps| ps.iter().any(|p| self.peer_matches(p, pns, other)));
                let port_ok = ports
                    .is_none_or(|ps| ps.iter().any(|e| self.port_matches(e, dst, protocol, port)));
                peer_ok && port_ok
            })
        })
    }
}

// ---------------------------------------------------------------- the property

fn workload_index(net: &Network<'_>, pod: usize) -> usize {
    let name = format!("p{pod}");
    net.workloads
        .iter()
        .position(|w| w.object.name() == name)
        .expect("every pod is a workload")
}

fn check(s: &Scenario) -> Result<(), TestCaseError> {
    let text = s.manifest();
    let loaded = load("gen.json", text.as_bytes(), &KindFilter::All, None);
    prop_assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let inventory = Inventory::new(loaded.objects, &BTreeMap::new());
    let options = Options {
        pod_cidrs: IpSet::from_cidrs(&s.pod_cidrs).expect("valid"),
        ..Options::default()
    };
    let net = Network::build(&inventory, &options);
    prop_assert!(
        net.invalid_policies.is_empty(),
        "generated policies are valid: {:?}",
        net.invalid_policies
            .iter()
            .map(|p| &p.reason)
            .collect::<Vec<_>>()
    );
    let eval = Evaluator::new(&net);
    let world = World {
        s,
        pod_cidrs: s.pod_cidrs.clone(),
    };
    let protocols = [
        ("TCP", Protocol::Tcp),
        ("UDP", Protocol::Udp),
        ("SCTP", Protocol::Sctp),
    ];
    for src in 0..s.pods.len() {
        for dst in 0..s.pods.len() {
            let fast = eval.allowed(workload_index(&net, src), workload_index(&net, dst));
            for (name, protocol) in protocols {
                for port in 1..=MAX_PORT + 1 {
                    let brute = world.allows(src, false, End::Pod(dst), End::Pod(dst), name, port)
                        && world.allows(dst, true, End::Pod(src), End::Pod(dst), name, port);
                    prop_assert_eq!(
                        fast.contains(protocol, port),
                        brute,
                        "p{} -> p{} {}/{}: evaluator says {}",
                        src,
                        dst,
                        name,
                        port,
                        fast
                    );
                }
            }
        }
    }
    for pod in 0..s.pods.len() {
        let w = workload_index(&net, pod);
        let inbound = eval.ingress_from_outside(w);
        let outbound = eval.egress_to_outside(w);
        for addr in addresses() {
            for (name, protocol) in protocols {
                for port in 1..=MAX_PORT + 1 {
                    let fast_in = inbound
                        .iter()
                        .any(|(ips, ports)| ips.contains(addr) && ports.contains(protocol, port));
                    let brute_in =
                        world.allows(pod, true, End::Address(addr), End::Pod(pod), name, port);
                    prop_assert_eq!(fast_in, brute_in, "{} -> p{} {}/{}", addr, pod, name, port);
                    let fast_out = outbound
                        .iter()
                        .any(|(ips, ports)| ips.contains(addr) && ports.contains(protocol, port));
                    let brute_out = world.allows(
                        pod,
                        false,
                        End::Address(addr),
                        End::Address(addr),
                        name,
                        port,
                    );
                    prop_assert_eq!(
                        fast_out,
                        brute_out,
                        "p{} -> {} {}/{}",
                        pod,
                        addr,
                        name,
                        port
                    );
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn evaluator_agrees_with_a_literal_reading_of_the_spec(s in scenario()) {
        check(&s)?;
    }
}
