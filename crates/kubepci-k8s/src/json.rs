//! JSON documents (files ending in `.json`, `kubectl get -o json` output) into positioned
//! trees. Strict JSON: no comments, no trailing commas.

use jsonc_parser::ast;
use jsonc_parser::{CollectOptions, ParseOptions};
use kubepci_model::{Entry, Node, Position, Value};

use crate::InputErrorKind;
use crate::yaml::{MAX_DEPTH, MAX_NODES};

/// Byte offset → line/column conversion for one text.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Self { text, starts }
    }

    pub(crate) fn position(&self, offset: usize) -> Position {
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts[line];
        let column = self
            .text
            .get(start..offset.min(self.text.len()))
            .map_or(offset - start, |s| s.chars().count());
        Position::new(
            u32::try_from(line + 1).unwrap_or(u32::MAX),
            u32::try_from(column + 1).unwrap_or(u32::MAX),
        )
    }
}

/// Parses a whole JSON text. `Ok(None)` when it holds no value.
pub(crate) fn parse_json(text: &str) -> Result<Option<Node>, (Position, InputErrorKind)> {
    let index = LineIndex::new(text);
    // The parser recurses; refuse inputs nested deeper than our limit before handing them over.
    if let Some(offset) = too_deep(text.as_bytes()) {
        return Err((index.position(offset), InputErrorKind::TooDeep(MAX_DEPTH)));
    }
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        ..ParseOptions::default()
    };
    let parsed =
        jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options).map_err(|e| {
            (
                index.position(e.range().start),
                InputErrorKind::Json(e.kind().to_string()),
            )
        })?;
    let mut nodes = 0usize;
    parsed
        .value
        .map(|v| convert(v, &index, &mut nodes))
        .transpose()
}

fn convert(
    value: ast::Value<'_>,
    index: &LineIndex<'_>,
    nodes: &mut usize,
) -> Result<Node, (Position, InputErrorKind)> {
    *nodes += 1;
    let pos_of = |range: &jsonc_parser::common::Range| index.position(range.start);
    let (value, pos) = match value {
        ast::Value::StringLit(s) => (Value::Str(s.value.as_ref().into()), pos_of(&s.range)),
        ast::Value::NumberLit(n) => {
            let pos = pos_of(&n.range);
            let value =
                match n.value.parse::<i64>() {
                    Ok(i) => Value::Int(i),
                    Err(_) => n.value.parse::<f64>().map(Value::Float).map_err(|_| {
                        (pos, InputErrorKind::Json(format!("bad number {}", n.value)))
                    })?,
                };
            (value, pos)
        }
        ast::Value::BooleanLit(b) => (Value::Bool(b.value), pos_of(&b.range)),
        ast::Value::NullKeyword(n) => (Value::Null, pos_of(&n.range)),
        ast::Value::Array(a) => {
            let pos = pos_of(&a.range);
            let items = a
                .elements
                .into_iter()
                .map(|v| convert(v, index, nodes))
                .collect::<Result<Vec<_>, _>>()?;
            (Value::Seq(items), pos)
        }
        ast::Value::Object(o) => {
            let pos = pos_of(&o.range);
            let mut entries: Vec<Entry> = Vec::with_capacity(o.properties.len());
            for prop in o.properties {
                let key_pos = pos_of(&prop.range);
                let key: Box<str> = prop.name.into_string().into_boxed_str();
                if entries.iter().any(|e| e.key == key) {
                    return Err((key_pos, InputErrorKind::DuplicateKey(key.into_string())));
                }
                let value = convert(prop.value, index, nodes)?;
                entries.push(Entry {
                    key,
                    key_pos,
                    value,
                });
            }
            (Value::Map(entries), pos)
        }
    };
    if *nodes > MAX_NODES {
        return Err((pos, InputErrorKind::TooLarge(MAX_NODES)));
    }
    Ok(Node::new(value, pos))
}

/// Offset of the first bracket that nests deeper than [`MAX_DEPTH`], outside strings.
fn too_deep(bytes: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions() {
        let text = "{\n  \"kind\": \"Pod\",\n  \"spec\": {\n    \"containers\": [\n      {\"name\": \"a\"}\n    ]\n  }\n}\n";
        let node = parse_json(text).expect("ok").expect("value");
        assert_eq!(
            node.entry("kind").map(|e| e.key_pos),
            Some(Position::new(2, 3))
        );
        let c = node.path(&["spec", "containers"]).expect("containers");
        assert_eq!(c.items()[0].pos, Position::new(5, 7));
    }

    #[test]
    fn rejects_trailing_commas_and_duplicates() {
        assert!(parse_json("{\"a\": 1,}").is_err());
        let err = parse_json("{\"a\": 1, \"a\": 2}").expect_err("dup");
        assert_eq!(err.1, InputErrorKind::DuplicateKey("a".into()));
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let text = "[".repeat(10_000);
        let err = parse_json(&text).expect_err("deep");
        assert_eq!(err.1, InputErrorKind::TooDeep(MAX_DEPTH));
    }
}
