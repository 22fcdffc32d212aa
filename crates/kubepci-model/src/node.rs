//! The positioned document tree produced by the loaders.

use crate::{JsonPointer, Position};

/// One value of a parsed document together with where it starts in its source file.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where the value starts (for a mapping or sequence: its first entry or opening bracket).
    pub pos: Position,
}

/// A YAML/JSON value. Mappings keep their source order; keys are strings (non-string YAML keys
/// are rendered to text, as Kubernetes' YAML-to-JSON conversion does).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, `~` or an empty value.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(Box<str>),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping in source order.
    Map(Vec<Entry>),
}

/// One key/value pair of a mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key.
    pub key: Box<str>,
    /// Where the key starts: findings about a field point at its key's line.
    pub key_pos: Position,
    /// The value.
    pub value: Node,
}

impl Node {
    /// A node at `pos`.
    #[must_use]
    pub fn new(value: Value, pos: Position) -> Self {
        Self { value, pos }
    }

    /// The value under `key` if this is a mapping that has it.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry under `key` if this is a mapping that has it.
    #[must_use]
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| &*e.key == key),
            _ => None,
        }
    }

    /// Follows a chain of mapping keys.
    #[must_use]
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The string, if this is a string.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is a boolean.
    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The integer, if this is an integer (or a string holding one, as Kubernetes accepts for
    /// int-or-string fields).
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Int(i) => Some(*i),
            Value::Str(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// The items if this is a sequence, else an empty slice.
    #[must_use]
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// The entries if this is a mapping, else an empty slice.
    #[must_use]
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// Whether this is `null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Whether this is a mapping.
    #[must_use]
    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// Scalar rendered as text (`true`, `42`, the string itself); `None` for collections and null.
    #[must_use]
    pub fn scalar_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match &self.value {
            Value::Str(s) => Some(std::borrow::Cow::Borrowed(s)),
            Value::Bool(b) => Some(std::borrow::Cow::Owned(b.to_string())),
            Value::Int(i) => Some(std::borrow::Cow::Owned(i.to_string())),
            Value::Float(f) => Some(std::borrow::Cow::Owned(f.to_string())),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// The node a pointer designates, if it exists.
    #[must_use]
    pub fn pointer(&self, pointer: &JsonPointer) -> Option<&Node> {
        pointer
            .segments()
            .try_fold(self, |node, segment| match &node.value {
                Value::Map(_) => node.get(&segment),
                Value::Seq(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            })
    }

    /// Where the field a pointer designates is written: the key's position for a mapping
    /// entry, the item's position for a sequence item. When the field does not exist (a
    /// finding about a missing setting), the position of its deepest existing ancestor.
    #[must_use]
    pub fn position_of(&self, pointer: &JsonPointer) -> Position {
        let mut node = self;
        let mut pos = self.pos;
        for segment in pointer.segments() {
            let next = match &node.value {
                Value::Map(entries) => entries
                    .iter()
                    .find(|e| *e.key == *segment)
                    .map(|e| (&e.value, e.key_pos)),
                Value::Seq(items) => segment
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i))
                    .map(|n| (n, n.pos)),
                _ => None,
            };
            match next {
                Some((child, child_pos)) => {
                    node = child;
                    pos = child_pos;
                }
                None => break,
            }
        }
        pos
    }

    /// Converts to a `serde_json::Value` (positions are dropped).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Str(s) => serde_json::Value::String(s.to_string()),
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Builds a node tree from a JSON value, every node at `pos` (for tests and for objects
    /// that arrive without a source file, such as admission requests).
    #[must_use]
    pub fn from_json(value: &serde_json::Value, pos: Position) -> Node {
        let value = match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(s.as_str().into()),
            serde_json::Value::Array(items) => {
                Value::Seq(items.iter().map(|v| Node::from_json(v, pos)).collect())
            }
            serde_json::Value::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| Entry {
                        key: k.as_str().into(),
                        key_pos: pos,
                        value: Node::from_json(v, pos),
                    })
                    .collect(),
            ),
        };
        Node { value, pos }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Node {
        let p = |l| Position::new(l, 1);
        Node::new(
            Value::Map(vec![Entry {
                key: "spec".into(),
                key_pos: p(2),
                value: Node::new(
                    Value::Map(vec![Entry {
                        key: "containers".into(),
                        key_pos: p(3),
                        value: Node::new(
                            Value::Seq(vec![Node::new(
                                Value::Map(vec![Entry {
                                    key: "name".into(),
                                    key_pos: p(4),
                                    value: Node::new(Value::Str("app".into()), p(4)),
                                }]),
                                p(4),
                            )]),
                            p(4),
                        ),
                    }]),
                    p(3),
                ),
            }]),
            p(1),
        )
    }

    #[test]
    fn pointer_resolves_through_maps_and_sequences() {
        let root = sample();
        let ptr = JsonPointer::root()
            .key("spec")
            .key("containers")
            .index(0)
            .key("name");
        assert_eq!(root.pointer(&ptr).and_then(Node::as_str), Some("app"));
        assert_eq!(root.position_of(&ptr).line, 4);
    }

    #[test]
    fn missing_field_maps_to_deepest_existing_ancestor() {
        let root = sample();
        let ptr = JsonPointer::root()
            .key("spec")
            .key("containers")
            .index(0)
            .key("securityContext")
            .key("privileged");
        assert!(root.pointer(&ptr).is_none());
        assert_eq!(root.position_of(&ptr).line, 4);
        let ptr = JsonPointer::root().key("spec").key("volumes");
        assert_eq!(root.position_of(&ptr).line, 2);
    }
}
