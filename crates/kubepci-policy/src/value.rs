//! Object trees as the two policy languages see them.
//!
//! Both conversions start from the positioned [`Node`] tree the loaders build, so a scan
//! converts each object at most once per language and never goes through text.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use kubepci_model::Node;
use kubepci_model::Value as NodeValue;

/// `node` as a Rego value.
#[must_use]
pub fn to_rego(node: &Node) -> regorus::Value {
    match &node.value {
        NodeValue::Null => regorus::Value::Null,
        NodeValue::Bool(b) => regorus::Value::from(*b),
        NodeValue::Int(i) => regorus::Value::from(*i),
        NodeValue::Float(f) => regorus::Value::from(*f),
        NodeValue::Str(s) => regorus::Value::from(&**s),
        NodeValue::Seq(items) => {
            regorus::Value::from(items.iter().map(to_rego).collect::<Vec<_>>())
        }
        NodeValue::Map(entries) => regorus::Value::from(
            entries
                .iter()
                .map(|e| (regorus::Value::from(&*e.key), to_rego(&e.value)))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

/// `node` as a CEL value. Integers stay `int` and other numbers become `double`, as
/// Kubernetes types JSON numbers without a schema.
#[must_use]
pub fn to_cel(node: &Node) -> cel::Value {
    match &node.value {
        NodeValue::Null => cel::Value::Null,
        NodeValue::Bool(b) => cel::Value::Bool(*b),
        NodeValue::Int(i) => cel::Value::Int(*i),
        NodeValue::Float(f) => cel::Value::Float(*f),
        NodeValue::Str(s) => cel::Value::String(Arc::new(s.to_string())),
        NodeValue::Seq(items) => cel::Value::List(Arc::new(items.iter().map(to_cel).collect())),
        NodeValue::Map(entries) => cel_map(
            entries
                .iter()
                .map(|e| (e.key.to_string(), to_cel(&e.value)))
                .collect(),
        ),
    }
}

/// A CEL map with string keys.
#[must_use]
pub fn cel_map(entries: HashMap<String, cel::Value>) -> cel::Value {
    cel::Value::Map(cel::objects::Map::from(entries))
}

/// A CEL value as JSON (for messages and for Rego-side use), `None` for values JSON has no
/// form for (functions, opaque values).
#[must_use]
pub fn cel_to_json(value: &cel::Value) -> Option<serde_json::Value> {
    Some(match value {
        cel::Value::Null => serde_json::Value::Null,
        cel::Value::Bool(b) => serde_json::Value::Bool(*b),
        cel::Value::Int(i) => serde_json::Value::from(*i),
        cel::Value::UInt(u) => serde_json::Value::from(*u),
        cel::Value::Float(f) => serde_json::Number::from_f64(*f).map(serde_json::Value::Number)?,
        cel::Value::String(s) => serde_json::Value::String(s.to_string()),
        cel::Value::List(items) => {
            serde_json::Value::Array(items.iter().map(cel_to_json).collect::<Option<_>>()?)
        }
        cel::Value::Map(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map.map.iter() {
                let key = match k {
                    cel::objects::Key::String(s) => s.to_string(),
                    cel::objects::Key::Int(i) => i.to_string(),
                    cel::objects::Key::Uint(u) => u.to_string(),
                    cel::objects::Key::Bool(b) => b.to_string(),
                };
                out.insert(key, cel_to_json(v)?);
            }
            serde_json::Value::Object(out)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_model::Position;

    #[test]
    fn both_languages_see_the_same_tree() {
        let json = serde_json::json!({"a": [1, 2.5, "x", null, true], "b": {"c": "d"}});
        let node = Node::from_json(&json, Position::new(1, 1));
        assert_eq!(
            to_rego(&node),
            regorus::Value::from_json_str(&json.to_string()).expect("json")
        );
        assert_eq!(cel_to_json(&to_cel(&node)), Some(json));
    }
}
