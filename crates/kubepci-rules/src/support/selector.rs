//! Kubernetes label selectors (`matchLabels` + `matchExpressions`) and node selector terms,
//! evaluated against label maps.

use kubepci_model::Node;

/// Labels as key/value pairs.
pub(crate) trait Labels {
    /// The value of `key`, if set.
    fn get_label(&self, key: &str) -> Option<&str>;
}

/// A `labels` mapping (absent: no labels). Label values are strings; a YAML `true` or `1`
/// (which Kubernetes rejects) never matches.
impl Labels for Option<&Node> {
    fn get_label(&self, key: &str) -> Option<&str> {
        self.and_then(|n| n.get(key)).and_then(Node::as_str)
    }
}

/// Whether a `LabelSelector` node matches `labels`. An empty selector (`{}`) matches
/// everything; a selector that is not a mapping, or has an unknown operator, matches nothing
/// (Kubernetes rejects such selectors).
pub(crate) fn label_selector_matches(selector: &Node, labels: &impl Labels) -> bool {
    if !selector.is_map() {
        return false;
    }
    if let Some(match_labels) = selector.get("matchLabels") {
        for entry in match_labels.entries() {
            let Some(want) = entry.value.scalar_text() else {
                return false;
            };
            if labels.get_label(&entry.key) != Some(&*want) {
                return false;
            }
        }
    }
    if let Some(expressions) = selector.get("matchExpressions") {
        for expression in expressions.items() {
            if !expression_matches(expression, labels, false) {
                return false;
            }
        }
    }
    true
}

/// One `matchExpressions` entry. `node_selector` enables the `Gt`/`Lt` operators of node
/// selector requirements.
fn expression_matches(expression: &Node, labels: &impl Labels, node_selector: bool) -> bool {
    let Some(key) = expression.get("key").and_then(Node::as_str) else {
        return false;
    };
    let values: Vec<std::borrow::Cow<'_, str>> = expression
        .get("values")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::scalar_text)
        .collect();
    let value = labels.get_label(key);
    match expression.get("operator").and_then(Node::as_str) {
        Some("In") => value.is_some_and(|v| values.iter().any(|w| w == v)),
        Some("NotIn") => value.is_none_or(|v| values.iter().all(|w| w != v)),
        Some("Exists") => value.is_some(),
        Some("DoesNotExist") => value.is_none(),
        Some(op @ ("Gt" | "Lt")) if node_selector => {
            let (Some(v), Some(w)) = (
                value.and_then(|v| v.parse::<i64>().ok()),
                values.first().and_then(|w| w.parse::<i64>().ok()),
            ) else {
                return false;
            };
            if op == "Gt" { v > w } else { v < w }
        }
        _ => false,
    }
}

/// Whether a node's labels and name satisfy a pod's `nodeSelector` and required node affinity.
pub(crate) fn node_matches(pod_spec: &Node, node_name: &str, node_labels: &impl Labels) -> bool {
    if let Some(selector) = pod_spec.get("nodeSelector") {
        for entry in selector.entries() {
            let Some(want) = entry.value.scalar_text() else {
                return false;
            };
            if node_labels.get_label(&entry.key) != Some(&*want) {
                return false;
            }
        }
    }
    let Some(terms) = pod_spec
        .path(&[
            "affinity",
            "nodeAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms",
        ])
        .filter(|t| !t.items().is_empty())
    else {
        return true;
    };
    // Terms are ORed; within a term, expressions and fields are ANDed; an empty term matches
    // nothing.
    terms.items().iter().any(|term| {
        let expressions = term
            .get("matchExpressions")
            .map(Node::items)
            .unwrap_or_default();
        let fields = term.get("matchFields").map(Node::items).unwrap_or_default();
        if expressions.is_empty() && fields.is_empty() {
            return false;
        }
        expressions
            .iter()
            .all(|e| expression_matches(e, node_labels, true))
            && fields
                .iter()
                .all(|f| expression_matches(f, &NameLabel(node_name), true))
    })
}

/// A node's name as the one field `matchFields` can select on.
struct NameLabel<'a>(&'a str);

impl Labels for NameLabel<'_> {
    fn get_label(&self, key: &str) -> Option<&str> {
        (key == "metadata.name").then_some(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_k8s::{KindFilter, load};

    fn node(text: &str) -> Node {
        let doc = format!("apiVersion: v1\nkind: X\nmetadata: {{name: x}}\nspec: {text}\n");
        let mut objects = load("t.yaml", doc.as_bytes(), &KindFilter::All, None).objects;
        let object = objects.remove(0);
        object.root.get("spec").cloned().expect("spec")
    }

    #[test]
    fn match_labels_and_expressions() {
        let labels = node("{app: api, tier: backend}");
        let labels = Some(&labels);
        assert!(label_selector_matches(&node("{}"), &labels));
        assert!(label_selector_matches(
            &node("{matchLabels: {app: api}}"),
            &labels
        ));
        assert!(!label_selector_matches(
            &node("{matchLabels: {app: web}}"),
            &labels
        ));
        assert!(label_selector_matches(
            &node("{matchExpressions: [{key: tier, operator: In, values: [backend, db]}]}"),
            &labels
        ));
        assert!(label_selector_matches(
            &node("{matchExpressions: [{key: env, operator: NotIn, values: [prod]}]}"),
            &labels
        ));
        assert!(!label_selector_matches(
            &node("{matchExpressions: [{key: env, operator: Exists}]}"),
            &labels
        ));
        assert!(!label_selector_matches(
            &node("{matchExpressions: [{key: app, operator: Bogus}]}"),
            &labels
        ));
        assert!(!label_selector_matches(&node("[]"), &labels));
    }

    #[test]
    fn node_selector_and_affinity() {
        let labels = node("{kubernetes.io/os: linux, gen: '5'}");
        let labels = Some(&labels);
        assert!(node_matches(&node("{}"), "n1", &labels));
        assert!(node_matches(
            &node("{nodeSelector: {kubernetes.io/os: linux}}"),
            "n1",
            &labels
        ));
        assert!(!node_matches(
            &node("{nodeSelector: {kubernetes.io/os: windows}}"),
            "n1",
            &labels
        ));
        let affinity = "{affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: gen, operator: Gt, values: ['6']}]}, {matchFields: [{key: metadata.name, operator: In, values: [n1]}]}]}}}}";
        assert!(node_matches(&node(affinity), "n1", &labels));
        assert!(!node_matches(&node(affinity), "n2", &labels));
    }
}
