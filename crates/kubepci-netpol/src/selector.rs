//! Kubernetes label selectors (`matchLabels` and `matchExpressions`).

use std::collections::BTreeMap;

use kubepci_model::Node;

/// A label set.
pub type Labels = BTreeMap<String, String>;

/// String key/value pairs of a mapping node (scalars rendered as text).
#[must_use]
pub fn labels_of(node: Option<&Node>) -> Labels {
    node.map(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| {
            e.value
                .scalar_text()
                .map(|v| (e.key.to_string(), v.into_owned()))
        })
        .collect()
}

/// A `matchExpressions` operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// The label exists and its value is one of the values.
    In,
    /// The label is absent, or its value is none of the values.
    NotIn,
    /// The label exists.
    Exists,
    /// The label is absent.
    DoesNotExist,
}

/// One `matchExpressions` requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expression {
    /// Label key.
    pub key: String,
    /// Operator.
    pub operator: Operator,
    /// Values (`In` and `NotIn` only).
    pub values: Vec<String>,
}

/// A label selector. The requirements are ANDed; the empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    /// `matchLabels`.
    pub match_labels: Vec<(String, String)>,
    /// `matchExpressions`.
    pub expressions: Vec<Expression>,
}

impl Selector {
    /// The selector that matches everything.
    #[must_use]
    pub fn everything() -> Self {
        Self::default()
    }

    /// Parses a `LabelSelector` node. `null` is the empty selector (callers that distinguish
    /// an absent selector check for it first).
    ///
    /// # Errors
    /// What the API server would reject: a non-mapping, an unknown operator, `In`/`NotIn`
    /// without values, `Exists`/`DoesNotExist` with values, an empty key.
    pub fn parse(node: &Node) -> Result<Selector, String> {
        if node.is_null() {
            return Ok(Selector::everything());
        }
        if !node.is_map() {
            return Err("label selector is not a mapping".into());
        }
        let mut selector = Selector::default();
        if let Some(labels) = node.get("matchLabels").filter(|n| !n.is_null()) {
            if !labels.is_map() {
                return Err("`matchLabels` is not a mapping".into());
            }
            for entry in labels.entries() {
                let value = entry
                    .value
                    .scalar_text()
                    .ok_or_else(|| format!("`matchLabels.{}` is not a string", entry.key))?;
                if entry.key.is_empty() {
                    return Err("`matchLabels` has an empty key".into());
                }
                selector
                    .match_labels
                    .push((entry.key.to_string(), value.into_owned()));
            }
        }
        if let Some(exprs) = node.get("matchExpressions").filter(|n| !n.is_null()) {
            if !matches!(exprs.value, kubepci_model::Value::Seq(_)) {
                return Err("`matchExpressions` is not a list".into());
            }
            for expr in exprs.items() {
                selector.expressions.push(parse_expression(expr)?);
            }
        }
        Ok(selector)
    }

    /// Whether the selector has no requirement (matches everything).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.expressions.is_empty()
    }

    /// Whether `labels` satisfy every requirement.
    #[must_use]
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.expressions.iter().all(|e| e.matches(labels))
    }

    /// Whether the selector can only match objects that carry some label it names
    /// (`matchLabels`, `In` or `Exists`). A selector without such a requirement also matches
    /// objects that carry none of its keys, such as namespaces nobody labelled.
    #[must_use]
    pub fn requires_a_label(&self) -> bool {
        !self.match_labels.is_empty()
            || self
                .expressions
                .iter()
                .any(|e| matches!(e.operator, Operator::In | Operator::Exists))
    }
}

impl Expression {
    /// Whether `labels` satisfy this requirement.
    #[must_use]
    pub fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(&self.key);
        match self.operator {
            Operator::In => value.is_some_and(|v| self.values.contains(v)),
            Operator::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }
}

fn parse_expression(node: &Node) -> Result<Expression, String> {
    let key = node
        .get("key")
        .and_then(Node::scalar_text)
        .filter(|k| !k.is_empty())
        .ok_or("a match expression has no key")?
        .into_owned();
    let operator = match node.get("operator").and_then(Node::as_str) {
        Some("In") => Operator::In,
        Some("NotIn") => Operator::NotIn,
        Some("Exists") => Operator::Exists,
        Some("DoesNotExist") => Operator::DoesNotExist,
        Some(other) => return Err(format!("unknown operator `{other}` for key `{key}`")),
        None => return Err(format!("no operator for key `{key}`")),
    };
    let values: Vec<String> = match node.get("values").filter(|n| !n.is_null()) {
        None => Vec::new(),
        Some(v) if matches!(v.value, kubepci_model::Value::Seq(_)) => v
            .items()
            .iter()
            .map(|i| {
                i.scalar_text()
                    .map(std::borrow::Cow::into_owned)
                    .ok_or_else(|| format!("a value for key `{key}` is not a string"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(format!("`values` for key `{key}` is not a list")),
    };
    match operator {
        Operator::In | Operator::NotIn if values.is_empty() => Err(format!(
            "`{key}` {operator:?} needs at least one value (the API server rejects it)"
        )),
        Operator::Exists | Operator::DoesNotExist if !values.is_empty() => Err(format!(
            "`{key}` {operator:?} must not list values (the API server rejects it)"
        )),
        _ => Ok(Expression {
            key,
            operator,
            values,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_model::Position;

    fn selector(json: &str) -> Result<Selector, String> {
        let value: serde_json::Value = serde_json::from_str(json).expect("json");
        Selector::parse(&Node::from_json(&value, Position::new(1, 1)))
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn operators() {
        let s = selector(
            r#"{"matchLabels": {"app": "api"}, "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "env", "operator": "NotIn", "values": ["dev"]},
                {"key": "team", "operator": "Exists"},
                {"key": "legacy", "operator": "DoesNotExist"}]}"#,
        )
        .expect("valid");
        assert!(s.matches(&labels(&[("app", "api"), ("tier", "a"), ("team", "x")])));
        assert!(!s.matches(&labels(&[("app", "api"), ("tier", "c"), ("team", "x")])));
        assert!(!s.matches(&labels(&[
            ("app", "api"),
            ("tier", "a"),
            ("team", "x"),
            ("env", "dev")
        ])));
        assert!(!s.matches(&labels(&[("app", "api"), ("tier", "a")])));
        assert!(!s.matches(&labels(&[
            ("app", "api"),
            ("tier", "a"),
            ("team", "x"),
            ("legacy", "1")
        ])));
        assert!(s.requires_a_label());
        assert!(selector("{}").expect("empty").is_empty());
        assert!(
            !selector(
                r#"{"matchExpressions": [{"key": "k", "operator": "NotIn", "values": ["v"]}]}"#
            )
            .expect("valid")
            .requires_a_label()
        );
    }

    #[test]
    fn invalid_selectors_are_errors() {
        for bad in [
            r#"{"matchExpressions": [{"key": "k", "operator": "In"}]}"#,
            r#"{"matchExpressions": [{"key": "k", "operator": "Exists", "values": ["x"]}]}"#,
            r#"{"matchExpressions": [{"key": "k", "operator": "Equals", "values": ["x"]}]}"#,
            r#"{"matchExpressions": [{"operator": "Exists"}]}"#,
            r#"{"matchLabels": ["a"]}"#,
            r#"[]"#,
        ] {
            assert!(selector(bad).is_err(), "{bad}");
        }
    }
}
