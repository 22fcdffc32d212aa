//! Cilium, Calico and AdminNetworkPolicy objects.
//!
//! A policy that is clearly a plain default-deny (it selects every pod of a namespace, or of
//! every namespace, and allows nothing) is equivalent to a NetworkPolicy with
//! `podSelector: {}` and no rules, and is analysed as one. Anything else (allow or deny rules,
//! L7 rules, ordering and tiers, host policies) is not analysed: the namespaces it may affect
//! are marked *unanalysed*, so that no verdict about them is a guess.

use kubepci_k8s::{Inventory, Object};
use kubepci_model::Node;

use crate::model::Network;
use crate::policy::{Direction, Policy, PolicyOrigin};
use crate::selector::{Labels, Selector};

/// The Cilium label holding a pod's namespace.
const CILIUM_NAMESPACE_KEY: &str = "io.kubernetes.pod.namespace";

/// Which namespaces a CNI policy concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// These namespaces (indices).
    Some(Vec<usize>),
    /// Every namespace.
    All,
}

/// What one CNI policy (or one rule of a multi-rule Cilium policy) does.
#[derive(Debug)]
struct Verdict {
    target: Target,
    /// Whether it selects every pod of the target namespaces.
    whole: bool,
    /// Per direction: whether the selected pods become isolated.
    isolates: [bool; 2],
    /// Why it is not a plain default-deny; `None` when it is.
    not_equivalent: Option<String>,
}

pub(crate) fn apply<'a>(net: &mut Network<'a>, inventory: &'a Inventory) {
    let mut verdicts: Vec<(&'a Object, Verdict)> = Vec::new();
    for kind in [
        "CiliumNetworkPolicy",
        "CiliumClusterwideNetworkPolicy",
        "NetworkPolicy",
        "GlobalNetworkPolicy",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
    ] {
        for object in inventory.of_kind(kind) {
            let group = object.group();
            let found: Vec<Verdict> = match (kind, group) {
                ("CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy", "cilium.io") => {
                    cilium(net, object)
                }
                (
                    "NetworkPolicy" | "GlobalNetworkPolicy",
                    "projectcalico.org" | "crd.projectcalico.org",
                ) => calico(net, object).into_iter().collect(),
                (
                    "AdminNetworkPolicy" | "BaselineAdminNetworkPolicy",
                    "policy.networking.k8s.io",
                ) => vec![admin(net, object)],
                _ => Vec::new(),
            };
            verdicts.extend(found.into_iter().map(|v| (object, v)));
        }
    }
    for (object, verdict) in verdicts {
        let namespaces: Vec<usize> = match &verdict.target {
            Target::Some(list) => list.clone(),
            Target::All => (0..net.namespaces.len()).collect(),
        };
        match &verdict.not_equivalent {
            None if verdict.whole => {
                if verdict.isolates.iter().any(|i| *i) {
                    for ns in namespaces {
                        net.push_policy(Policy {
                            object,
                            namespace: ns,
                            origin: PolicyOrigin::EquivalentDefaultDeny,
                            pod_selector: Selector::everything(),
                            ingress: verdict.isolates[0].then(Vec::new),
                            egress: verdict.isolates[1].then(Vec::new),
                        });
                    }
                }
            }
            reason => {
                let reason = reason.clone().unwrap_or_else(|| {
                    "it selects only some pods, by a selector kubepci does not evaluate".to_owned()
                });
                let what = crate::model::object_name(object);
                for ns in namespaces {
                    let namespace = &mut net.namespaces[ns];
                    namespace.other_policies_may_select = true;
                    namespace.unanalysed.push(format!("{what}: {reason}"));
                    if verdict.whole {
                        for d in Direction::BOTH {
                            if verdict.isolates[d as usize] {
                                namespace.isolated_by[d as usize].push(object);
                            }
                        }
                    }
                }
            }
        }
    }
    for ns in &mut net.namespaces {
        ns.unanalysed.sort();
        ns.unanalysed.dedup();
    }
}

fn own_namespace(net: &Network<'_>, object: &Object) -> Target {
    Target::Some(net.namespace_of(object).into_iter().collect())
}

fn non_empty_list(node: Option<&Node>) -> bool {
    node.is_some_and(|n| !n.items().is_empty())
}

/// Strips Cilium's label source prefixes (`k8s:`, `any:`).
fn strip_source(key: &str) -> &str {
    key.strip_prefix("k8s:")
        .or_else(|| key.strip_prefix("any:"))
        .unwrap_or(key)
}

fn cilium(net: &Network<'_>, object: &Object) -> Vec<Verdict> {
    let clusterwide = object.kind() == "CiliumClusterwideNetworkPolicy";
    let spec = object.root.get("spec").into_iter();
    let specs = object
        .root
        .get("specs")
        .map(Node::items)
        .unwrap_or_default()
        .iter();
    spec.chain(specs)
        .map(|rule| cilium_rule(net, object, rule, clusterwide))
        .collect()
}

fn cilium_rule(net: &Network<'_>, object: &Object, rule: &Node, clusterwide: bool) -> Verdict {
    const KNOWN: &[&str] = &[
        "description",
        "labels",
        "endpointSelector",
        "ingress",
        "egress",
        "ingressDeny",
        "egressDeny",
        "enableDefaultDeny",
        "log",
    ];
    let mut not_equivalent = rule
        .entries()
        .iter()
        .find(|e| !KNOWN.contains(&&*e.key))
        .map(|e| format!("`{}` is not analysed", e.key));
    let (target, whole) = match rule.get("endpointSelector").map(Selector::parse) {
        None => {
            not_equivalent.get_or_insert_with(|| "it selects nodes, not pods".to_owned());
            (Target::All, false)
        }
        Some(Err(e)) => {
            not_equivalent.get_or_insert(e);
            (Target::All, false)
        }
        Some(Ok(selector)) => cilium_target(net, object, &selector, clusterwide),
    };
    let mut isolates = [false, false];
    for (i, (allow, deny, direction)) in [
        ("ingress", "ingressDeny", "ingress"),
        ("egress", "egressDeny", "egress"),
    ]
    .into_iter()
    .enumerate()
    {
        let allows = rule.get(allow);
        let denies = rule.get(deny);
        let has_section = non_empty_list(allows) || non_empty_list(denies);
        isolates[i] = rule
            .path(&["enableDefaultDeny", direction])
            .and_then(Node::as_bool)
            .unwrap_or(has_section);
        if allows.is_some_and(|a| {
            a.items()
                .iter()
                .any(|r| !(r.is_null() || r.is_map() && r.entries().is_empty()))
        }) {
            not_equivalent.get_or_insert_with(|| format!("it has {allow} rules"));
        }
        if non_empty_list(denies) {
            not_equivalent.get_or_insert_with(|| format!("it has {deny} rules"));
        }
    }
    Verdict {
        target,
        whole,
        isolates,
        not_equivalent,
    }
}

/// The namespaces a Cilium endpoint selector concerns, and whether it selects every pod of
/// them (it names nothing but the namespace label).
fn cilium_target(
    net: &Network<'_>,
    object: &Object,
    selector: &Selector,
    clusterwide: bool,
) -> (Target, bool) {
    let keys = selector
        .match_labels
        .iter()
        .map(|(k, _)| k.as_str())
        .chain(selector.expressions.iter().map(|e| e.key.as_str()));
    let mut only_namespace = true;
    for key in keys {
        if strip_source(key) != CILIUM_NAMESPACE_KEY {
            only_namespace = false;
        }
    }
    if !only_namespace {
        let target = if clusterwide {
            Target::All
        } else {
            own_namespace(net, object)
        };
        return (target, false);
    }
    let mut normalised = selector.clone();
    for (k, _) in &mut normalised.match_labels {
        *k = CILIUM_NAMESPACE_KEY.to_owned();
    }
    for e in &mut normalised.expressions {
        e.key = CILIUM_NAMESPACE_KEY.to_owned();
    }
    let candidates: Vec<usize> = if clusterwide {
        (0..net.namespaces.len()).collect()
    } else {
        net.namespace_of(object).into_iter().collect()
    };
    let selected = candidates
        .into_iter()
        .filter(|&ns| {
            let labels: Labels = [(
                CILIUM_NAMESPACE_KEY.to_owned(),
                net.namespaces[ns].name.clone(),
            )]
            .into_iter()
            .collect();
            normalised.matches(&labels)
        })
        .collect();
    (Target::Some(selected), true)
}

fn calico(net: &Network<'_>, object: &Object) -> Option<Verdict> {
    const KNOWN: &[&str] = &[
        "order",
        "tier",
        "selector",
        "namespaceSelector",
        "serviceAccountSelector",
        "types",
        "ingress",
        "egress",
        "doNotTrack",
        "preDNAT",
        "applyOnForward",
        "performanceHints",
    ];
    let global = object.kind() == "GlobalNetworkPolicy";
    let spec = object.root.get("spec")?;
    let mut not_equivalent = spec
        .entries()
        .iter()
        .find(|e| !KNOWN.contains(&&*e.key))
        .map(|e| format!("`{}` is not analysed", e.key));
    let selector = spec
        .get("selector")
        .and_then(Node::as_str)
        .map(str::trim)
        .unwrap_or_default();
    let whole_selector = selector.is_empty() || selector == "all()";
    let namespace_selector = spec.get("namespaceSelector").and_then(Node::as_str);
    let target = if global {
        Target::All
    } else {
        own_namespace(net, object)
    };
    let whole = whole_selector && namespace_selector.is_none_or(|s| s.trim().is_empty());
    if !whole {
        not_equivalent.get_or_insert_with(|| {
            "it selects pods by a Calico selector kubepci does not evaluate".to_owned()
        });
    }
    if spec.get("serviceAccountSelector").is_some() {
        not_equivalent.get_or_insert_with(|| "it selects by service account".to_owned());
    }
    for flag in ["doNotTrack", "preDNAT", "applyOnForward"] {
        if spec.get(flag).and_then(Node::as_bool) == Some(true) {
            not_equivalent.get_or_insert_with(|| format!("it sets `{flag}`"));
        }
    }
    let tier = spec.get("tier").and_then(Node::as_str).unwrap_or("default");
    let ordered = spec.get("order").is_some_and(|o| !o.is_null());
    let rules = [spec.get("ingress"), spec.get("egress")];
    for (i, field) in ["ingress", "egress"].into_iter().enumerate() {
        for rule in rules[i].map(Node::items).unwrap_or_default() {
            // A bare `action: Deny` denies everything; evaluated after the Kubernetes
            // policies (no order, default tier) it adds nothing to a default-deny.
            let bare_deny = rule.entries().len() == 1
                && rule.get("action").and_then(Node::as_str) == Some("Deny");
            if !(bare_deny && !ordered && tier == "default") {
                not_equivalent.get_or_insert_with(|| format!("it has {field} rules"));
            }
        }
    }
    let listed: Vec<&str> = spec
        .get("types")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_str)
        .collect();
    let (has_ingress, has_egress) = (non_empty_list(rules[0]), non_empty_list(rules[1]));
    let isolates = if listed.is_empty() {
        [has_ingress || !has_egress, has_egress]
    } else {
        [listed.contains(&"Ingress"), listed.contains(&"Egress")]
    };
    Some(Verdict {
        target,
        whole,
        isolates,
        not_equivalent,
    })
}

fn admin(net: &Network<'_>, object: &Object) -> Verdict {
    let subject = object.root.path(&["spec", "subject"]);
    let selector = subject
        .and_then(|s| s.get("namespaces"))
        .or_else(|| subject.and_then(|s| s.path(&["pods", "namespaceSelector"])))
        .map(Selector::parse);
    let target = match selector {
        Some(Ok(sel)) => Target::Some(
            (0..net.namespaces.len())
                .filter(|&ns| sel.matches(&net.namespaces[ns].labels))
                .collect(),
        ),
        _ => Target::All,
    };
    Verdict {
        target,
        whole: false,
        isolates: [false, false],
        not_equivalent: Some("admin network policies are not analysed".to_owned()),
    }
}
