//! `networking.k8s.io/v1` NetworkPolicy, parsed and validated as the API server does, with
//! `policyTypes` defaulted.

use kubepci_k8s::Object;
use kubepci_model::{JsonPointer, Node, Value};

use crate::ip::IpSet;
use crate::ports::{PORT_MAX, PORT_MIN, Protocol};
use crate::selector::Selector;

/// A traffic direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// Connections into the selected pods.
    Ingress = 0,
    /// Connections from the selected pods.
    Egress = 1,
}

impl Direction {
    /// Both directions.
    pub const BOTH: [Direction; 2] = [Direction::Ingress, Direction::Egress];

    /// `Ingress` / `Egress`, as `policyTypes` spells it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    /// The spec field holding the rules (`ingress` / `egress`).
    #[must_use]
    pub const fn field(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// The rule field holding the peers (`from` / `to`).
    #[must_use]
    pub const fn peers_field(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }
}

/// Which port(s) a policy port entry names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortMatch {
    /// No `port`: every port of the protocol.
    All,
    /// `port` (and `endPort`): a numeric range.
    Range(u16, u16),
    /// A named port, resolved against the destination pod's container ports.
    Named(String),
}

/// One entry of a rule's `ports`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSpec {
    /// `protocol` (default TCP).
    pub protocol: Protocol,
    /// `port` / `endPort`.
    pub port: PortMatch,
}

/// One entry of a rule's `from` / `to`.
#[derive(Clone, Debug, PartialEq)]
pub enum Peer {
    /// `podSelector` and/or `namespaceSelector`.
    Selector {
        /// `podSelector`, `None` when absent.
        pods: Option<Selector>,
        /// `namespaceSelector`, `None` when absent (then: the policy's own namespace).
        namespaces: Option<Selector>,
        /// Where the peer is written.
        pointer: JsonPointer,
    },
    /// `ipBlock`: the CIDR minus its exceptions.
    IpBlock {
        /// The addresses.
        set: IpSet,
        /// `cidr` as written.
        cidr: String,
        /// Whether `except` lists anything.
        has_except: bool,
        /// Where the peer is written.
        pointer: JsonPointer,
    },
}

impl Peer {
    /// Where the peer is written.
    #[must_use]
    pub fn pointer(&self) -> &JsonPointer {
        match self {
            Peer::Selector { pointer, .. } | Peer::IpBlock { pointer, .. } => pointer,
        }
    }
}

/// One ingress or egress rule.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyRule {
    /// Where the rule is written.
    pub pointer: JsonPointer,
    /// The peers; `None` when `from`/`to` is absent or empty (every peer).
    pub peers: Option<Vec<Peer>>,
    /// The ports; `None` when `ports` is absent or empty (every port).
    pub ports: Option<Vec<PortSpec>>,
}

/// Where a policy came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyOrigin {
    /// A `networking.k8s.io/v1` NetworkPolicy.
    NetworkPolicy,
    /// A Cilium or Calico policy recognised as a plain default-deny.
    EquivalentDefaultDeny,
}

/// A valid NetworkPolicy (or an equivalent default-deny), with defaults applied.
#[derive(Clone, Debug)]
pub struct Policy<'a> {
    /// The object it came from.
    pub object: &'a Object,
    /// Its namespace (an index into [`crate::Network::namespaces`]).
    pub namespace: usize,
    /// Where it came from.
    pub origin: PolicyOrigin,
    /// `spec.podSelector`.
    pub pod_selector: Selector,
    /// Ingress rules when the policy applies to ingress (`policyTypes` ∋ Ingress).
    pub ingress: Option<Vec<PolicyRule>>,
    /// Egress rules when the policy applies to egress.
    pub egress: Option<Vec<PolicyRule>>,
}

impl Policy<'_> {
    /// The rules of one direction, when the policy applies to it.
    #[must_use]
    pub fn rules(&self, direction: Direction) -> Option<&[PolicyRule]> {
        match direction {
            Direction::Ingress => self.ingress.as_deref(),
            Direction::Egress => self.egress.as_deref(),
        }
    }
}

/// The parts of a NetworkPolicy, before namespaces are resolved.
#[derive(Clone, Debug)]
pub(crate) struct ParsedPolicy {
    pub(crate) pod_selector: Selector,
    pub(crate) ingress: Option<Vec<PolicyRule>>,
    pub(crate) egress: Option<Vec<PolicyRule>>,
}

/// Whether an object is a Kubernetes NetworkPolicy (not Calico's namesake).
#[must_use]
pub fn is_network_policy(object: &Object) -> bool {
    object.kind() == "NetworkPolicy" && object.group() == "networking.k8s.io"
}

/// Why the API server would reject a NetworkPolicy, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// The offending field.
    pub pointer: JsonPointer,
    /// What is wrong, prefixed with the field's dotted path.
    pub message: String,
}

fn err(pointer: &JsonPointer, message: impl std::fmt::Display) -> PolicyError {
    let at = pointer.as_str().trim_start_matches('/').replace('/', ".");
    PolicyError {
        pointer: pointer.clone(),
        message: format!("{at}: {message}"),
    }
}

fn is_list(node: &Node) -> bool {
    matches!(node.value, Value::Seq(_))
}

/// Parses and validates a NetworkPolicy.
///
/// # Errors
/// What the API server would reject, with where.
pub(crate) fn parse_network_policy(object: &Object) -> Result<ParsedPolicy, PolicyError> {
    let spec_ptr = JsonPointer::root().key("spec");
    let spec = object.root.get("spec");
    if let Some(spec) = spec
        && !spec.is_map()
        && !spec.is_null()
    {
        return Err(err(&spec_ptr, "not a mapping"));
    }
    let pod_selector = match spec.and_then(|s| s.get("podSelector")) {
        Some(node) => Selector::parse(node).map_err(|e| err(&spec_ptr.key("podSelector"), e))?,
        None => Selector::everything(),
    };
    let mut rules: [Option<Vec<PolicyRule>>; 2] = [None, None];
    let mut present = [false, false];
    for (i, direction) in Direction::BOTH.into_iter().enumerate() {
        let field_ptr = spec_ptr.key(direction.field());
        let parsed = match spec
            .and_then(|s| s.get(direction.field()))
            .filter(|n| !n.is_null())
        {
            None => Vec::new(),
            Some(list) if is_list(list) => list
                .items()
                .iter()
                .enumerate()
                .map(|(j, rule)| parse_rule(rule, direction, field_ptr.index(j)))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(err(&field_ptr, "not a list")),
        };
        present[i] = !parsed.is_empty();
        rules[i] = Some(parsed);
    }
    let types = policy_types(spec, &spec_ptr.key("policyTypes"), present[1])?;
    let [ingress, egress] = rules;
    Ok(ParsedPolicy {
        pod_selector,
        ingress: if types.0 { ingress } else { None },
        egress: if types.1 { egress } else { None },
    })
}

/// `(applies to ingress, applies to egress)`. When `policyTypes` is absent or empty: Ingress
/// always, Egress when the policy has egress rules (the API server's defaulting).
fn policy_types(
    spec: Option<&Node>,
    pointer: &JsonPointer,
    has_egress_rules: bool,
) -> Result<(bool, bool), PolicyError> {
    let listed = spec
        .and_then(|s| s.get("policyTypes"))
        .filter(|n| !n.is_null());
    let Some(listed) = listed else {
        return Ok((true, has_egress_rules));
    };
    if !is_list(listed) {
        return Err(err(pointer, "not a list"));
    }
    if listed.items().is_empty() {
        return Ok((true, has_egress_rules));
    }
    if listed.items().len() > 2 {
        return Err(err(pointer, "more than two types"));
    }
    let (mut ingress, mut egress) = (false, false);
    for (i, item) in listed.items().iter().enumerate() {
        match item.as_str() {
            Some("Ingress") => ingress = true,
            Some("Egress") => egress = true,
            other => {
                return Err(err(
                    &pointer.index(i),
                    format!(
                        "unsupported value {}",
                        other.map_or_else(|| "(not a string)".to_owned(), |o| format!("`{o}`"))
                    ),
                ));
            }
        }
    }
    Ok((ingress, egress))
}

fn parse_rule(
    node: &Node,
    direction: Direction,
    pointer: JsonPointer,
) -> Result<PolicyRule, PolicyError> {
    if !node.is_map() && !node.is_null() {
        return Err(err(&pointer, "not a mapping"));
    }
    let peers_ptr = pointer.key(direction.peers_field());
    let peers = match node.get(direction.peers_field()).filter(|n| !n.is_null()) {
        None => None,
        Some(list) if is_list(list) => {
            if list.items().is_empty() {
                None
            } else {
                Some(
                    list.items()
                        .iter()
                        .enumerate()
                        .map(|(i, peer)| parse_peer(peer, peers_ptr.index(i)))
                        .collect::<Result<Vec<_>, _>>()?,
                )
            }
        }
        Some(_) => return Err(err(&peers_ptr, "not a list")),
    };
    let ports_ptr = pointer.key("ports");
    let ports = match node.get("ports").filter(|n| !n.is_null()) {
        None => None,
        Some(list) if is_list(list) => {
            if list.items().is_empty() {
                None
            } else {
                Some(
                    list.items()
                        .iter()
                        .enumerate()
                        .map(|(i, port)| parse_port(port, &ports_ptr.index(i)))
                        .collect::<Result<Vec<_>, _>>()?,
                )
            }
        }
        Some(_) => return Err(err(&ports_ptr, "not a list")),
    };
    Ok(PolicyRule {
        pointer,
        peers,
        ports,
    })
}

fn parse_peer(node: &Node, pointer: JsonPointer) -> Result<Peer, PolicyError> {
    if !node.is_map() {
        return Err(err(&pointer, "not a mapping"));
    }
    let present = |key: &str| node.get(key).filter(|n| !n.is_null());
    let pods = present("podSelector")
        .map(Selector::parse)
        .transpose()
        .map_err(|e| err(&pointer.key("podSelector"), e))?;
    let namespaces = present("namespaceSelector")
        .map(Selector::parse)
        .transpose()
        .map_err(|e| err(&pointer.key("namespaceSelector"), e))?;
    if let Some(block) = present("ipBlock") {
        let block_ptr = pointer.key("ipBlock");
        if pods.is_some() || namespaces.is_some() {
            return Err(err(&pointer, "ipBlock may not be combined with selectors"));
        }
        let cidr = block
            .get("cidr")
            .and_then(Node::as_str)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| err(&block_ptr.key("cidr"), "required"))?;
        let except: Vec<&str> = block
            .get("except")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, e)| {
                e.as_str()
                    .ok_or_else(|| err(&block_ptr.key("except").index(i), "not a string"))
            })
            .collect::<Result<_, _>>()?;
        let set = IpSet::ip_block(cidr, &except).map_err(|e| err(&block_ptr, e))?;
        return Ok(Peer::IpBlock {
            set,
            cidr: cidr.to_owned(),
            has_except: !except.is_empty(),
            pointer,
        });
    }
    if pods.is_none() && namespaces.is_none() {
        return Err(err(&pointer, "must specify a peer"));
    }
    Ok(Peer::Selector {
        pods,
        namespaces,
        pointer,
    })
}

fn parse_port(node: &Node, pointer: &JsonPointer) -> Result<PortSpec, PolicyError> {
    if !node.is_map() {
        return Err(err(pointer, "not a mapping"));
    }
    let protocol = match node.get("protocol").filter(|n| !n.is_null()) {
        None => Protocol::Tcp,
        Some(p) => p.as_str().and_then(Protocol::parse).ok_or_else(|| {
            err(
                &pointer.key("protocol"),
                "unsupported protocol (TCP, UDP or SCTP)",
            )
        })?,
    };
    let end_ptr = pointer.key("endPort");
    let end_port = match node.get("endPort").filter(|n| !n.is_null()) {
        None => None,
        Some(n) => match n.value {
            Value::Int(i) => {
                Some(valid_port(i).ok_or_else(|| err(&end_ptr, "not a valid port number"))?)
            }
            _ => return Err(err(&end_ptr, "not a number")),
        },
    };
    let port_ptr = pointer.key("port");
    let port = match node.get("port").filter(|n| !n.is_null()) {
        None => {
            if end_port.is_some() {
                return Err(err(&end_ptr, "may not be specified when port is not"));
            }
            PortMatch::All
        }
        Some(n) => match &n.value {
            Value::Int(i) => {
                let lo = valid_port(*i).ok_or_else(|| err(&port_ptr, "not a valid port number"))?;
                let hi = end_port.unwrap_or(lo);
                if hi < lo {
                    return Err(err(&end_ptr, "must be greater than or equal to port"));
                }
                PortMatch::Range(lo, hi)
            }
            Value::Str(name) => {
                if end_port.is_some() {
                    return Err(err(&end_ptr, "may not be specified when port is named"));
                }
                if !is_valid_port_name(name) {
                    return Err(err(&port_ptr, format!("`{name}` is not a valid port name")));
                }
                PortMatch::Named(name.to_string())
            }
            _ => return Err(err(&port_ptr, "neither a number nor a name")),
        },
    };
    Ok(PortSpec { protocol, port })
}

fn valid_port(value: i64) -> Option<u16> {
    u16::try_from(value)
        .ok()
        .filter(|p| (PORT_MIN..=PORT_MAX).contains(p))
}

/// An IANA service name as Kubernetes validates port names: 1–15 characters of lowercase
/// letters, digits and `-`, at least one letter, no leading, trailing or doubled `-`.
#[must_use]
pub fn is_valid_port_name(name: &str) -> bool {
    (1..=15).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.bytes().any(|b| b.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_k8s::{KindFilter, load};

    fn parse(yaml: &str) -> Result<ParsedPolicy, PolicyError> {
        let loaded = load("p.yaml", yaml.as_bytes(), &KindFilter::All, None);
        parse_network_policy(&loaded.objects[0])
    }

    const HEAD: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\n";

    #[test]
    fn policy_types_default_from_egress_rules() {
        let p = parse(&format!("{HEAD}spec:\n  podSelector: {{}}\n")).expect("valid");
        assert_eq!(p.ingress.as_deref().map(<[_]>::len), Some(0));
        assert!(p.egress.is_none());
        let p = parse(&format!("{HEAD}spec:\n  podSelector: {{}}\n  egress: []\n")).expect("valid");
        assert!(
            p.egress.is_none(),
            "an empty egress list does not imply Egress"
        );
        let p = parse(&format!(
            "{HEAD}spec:\n  podSelector: {{}}\n  egress: [{{to: [{{podSelector: {{}}}}]}}]\n"
        ))
        .expect("valid");
        assert!(p.egress.is_some() && p.ingress.is_some());
        let p = parse(&format!(
            "{HEAD}spec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  ingress: [{{}}]\n"
        ))
        .expect("valid");
        assert!(
            p.ingress.is_none(),
            "ingress rules are ignored without the Ingress type"
        );
        assert_eq!(p.egress.as_deref().map(<[_]>::len), Some(0));
    }

    #[test]
    fn invalid_policies_are_rejected() {
        for spec in [
            "spec: {podSelector: {}, ingress: [{from: [{}]}]}",
            "spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}",
            "spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}}]}]}",
            "spec: {podSelector: {}, ingress: [{ports: [{port: http, endPort: 90}]}]}",
            "spec: {podSelector: {}, ingress: [{ports: [{endPort: 90}]}]}",
            "spec: {podSelector: {}, ingress: [{ports: [{port: 90, endPort: 80}]}]}",
            "spec: {podSelector: {}, ingress: [{ports: [{port: 0}]}]}",
            "spec: {podSelector: {}, ingress: [{ports: [{port: \"80\"}]}]}",
            "spec: {podSelector: {}, ingress: [{ports: [{port: 80, protocol: ICMP}]}]}",
            "spec: {podSelector: {}, policyTypes: [Ingress, Sideways]}",
            "spec: {podSelector: {matchExpressions: [{key: a, operator: In}]}}",
        ] {
            assert!(parse(&format!("{HEAD}{spec}\n")).is_err(), "{spec}");
        }
    }

    #[test]
    fn port_names() {
        assert!(is_valid_port_name("http"));
        assert!(is_valid_port_name("h2c-8080"));
        assert!(!is_valid_port_name("8080"));
        assert!(!is_valid_port_name("HTTP"));
        assert!(!is_valid_port_name("a--b"));
        assert!(!is_valid_port_name("-a"));
        assert!(!is_valid_port_name("abcdefghijklmnop"));
    }
}
