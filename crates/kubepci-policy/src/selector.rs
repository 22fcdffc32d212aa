//! Label selectors (`matchLabels`, `matchExpressions`) and Gatekeeper's name globs.

use std::collections::BTreeMap;

use kubepci_model::Node;

/// A parsed `metav1.LabelSelector`. An empty selector selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

impl LabelSelector {
    /// Parses a selector node.
    ///
    /// # Errors
    /// An unknown operator, or `In`/`NotIn` without values.
    pub fn parse(node: &Node) -> Result<Self, String> {
        let mut requirements = Vec::new();
        if !node.is_map() && !node.is_null() {
            return Err("a label selector must be a mapping".to_owned());
        }
        if let Some(labels) = node.get("matchLabels") {
            for entry in labels.entries() {
                let value = entry.value.scalar_text().unwrap_or_default().into_owned();
                requirements.push(Requirement::In(entry.key.to_string(), vec![value]));
            }
        }
        if let Some(expressions) = node.get("matchExpressions") {
            for expression in expressions.items() {
                let key = expression
                    .get("key")
                    .and_then(Node::as_str)
                    .ok_or("a matchExpression needs a `key`")?
                    .to_owned();
                let values: Vec<String> = expression
                    .get("values")
                    .map(|v| {
                        v.items()
                            .iter()
                            .filter_map(|i| i.scalar_text().map(|t| t.into_owned()))
                            .collect()
                    })
                    .unwrap_or_default();
                let operator = expression
                    .get("operator")
                    .and_then(Node::as_str)
                    .unwrap_or("");
                requirements.push(match operator {
                    "In" | "NotIn" if values.is_empty() => {
                        return Err(format!("operator `{operator}` needs values"));
                    }
                    "In" => Requirement::In(key, values),
                    "NotIn" => Requirement::NotIn(key, values),
                    "Exists" => Requirement::Exists(key),
                    "DoesNotExist" => Requirement::DoesNotExist(key),
                    other => return Err(format!("unknown selector operator `{other}`")),
                });
            }
        }
        Ok(Self { requirements })
    }

    /// Whether a label set satisfies every requirement.
    #[must_use]
    pub fn matches(&self, labels: &BTreeMap<&str, &str>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::In(k, vs) => labels
                .get(k.as_str())
                .is_some_and(|v| vs.iter().any(|x| x == v)),
            Requirement::NotIn(k, vs) => labels
                .get(k.as_str())
                .is_none_or(|v| !vs.iter().any(|x| x == v)),
            Requirement::Exists(k) => labels.contains_key(k.as_str()),
            Requirement::DoesNotExist(k) => !labels.contains_key(k.as_str()),
        })
    }
}

/// Labels of an object node.
#[must_use]
pub fn labels_of(object: &Node) -> BTreeMap<&str, &str> {
    object
        .get("metadata")
        .and_then(|m| m.get("labels"))
        .map(|l| {
            l.entries()
                .iter()
                .filter_map(|e| e.value.as_str().map(|v| (&*e.key, v)))
                .collect()
        })
        .unwrap_or_default()
}

/// Gatekeeper's wildcard: a name, optionally with a `*` prefix and/or suffix
/// (`kube-*`, `*-system`, `*`).
#[must_use]
pub fn wildcard_matches(pattern: &str, name: &str) -> bool {
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        _ if pattern == "*" => true,
        (Some(rest), _) if rest.ends_with('*') => name.contains(&rest[..rest.len() - 1]),
        (Some(suffix), _) => name.ends_with(suffix),
        (None, Some(prefix)) => name.starts_with(prefix),
        (None, None) => pattern == name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_model::Position;

    fn node(json: serde_json::Value) -> Node {
        Node::from_json(&json, Position::new(1, 1))
    }

    #[test]
    fn selectors_follow_kubernetes() {
        let s = LabelSelector::parse(&node(serde_json::json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "NotIn", "values": ["db"]},
                {"key": "owner", "operator": "Exists"}
            ]
        })))
        .expect("valid");
        let labels = BTreeMap::from([("app", "web"), ("owner", "me")]);
        assert!(s.matches(&labels));
        let labels = BTreeMap::from([("app", "web"), ("owner", "me"), ("tier", "db")]);
        assert!(!s.matches(&labels));
        assert!(!s.matches(&BTreeMap::from([("app", "web")])));
        assert!(LabelSelector::default().matches(&BTreeMap::new()));
        assert!(
            LabelSelector::parse(&node(
                serde_json::json!({"matchExpressions": [{"key": "a", "operator": "In"}]})
            ))
            .is_err()
        );
    }

    #[test]
    fn wildcards_are_prefix_or_suffix_globs() {
        assert!(wildcard_matches("kube-*", "kube-system"));
        assert!(wildcard_matches("*-system", "gatekeeper-system"));
        assert!(wildcard_matches("*", "anything"));
        assert!(wildcard_matches("*ube*", "kube-system"));
        assert!(!wildcard_matches("kube-*", "default"));
        assert!(wildcard_matches("default", "default"));
        assert!(!wildcard_matches("default", "default2"));
    }
}
