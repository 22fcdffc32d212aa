//! YAML: splitting a stream into documents, a cheap look at each document's `kind`, and the
//! event-driven builder of the positioned [`Node`] tree.
//!
//! Documents are parsed one by one so that an error in one document does not hide the next.
//! The builder keeps its own stack (no recursion), so nesting depth is bounded by [`MAX_DEPTH`]
//! and alias expansion by [`MAX_NODES`].

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use kubepci_model::{Entry, Node, Position, Value};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::InputErrorKind;
use crate::scalar::resolve_plain;

/// Deepest nesting of mappings and sequences accepted in one document.
pub const MAX_DEPTH: usize = 128;
/// Most values one document may hold once aliases are expanded.
pub const MAX_NODES: usize = 2_000_000;

/// One document of a YAML stream: its text and the line its text starts on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DocSlice<'a> {
    pub(crate) text: &'a str,
    /// 0-based line of the first line of `text` within the file.
    pub(crate) first_line: u32,
}

/// Splits a YAML stream at document markers (`---` and `...` at column 0). Only line starts
/// that begin with `---` or `...` are examined (found with a vectorised substring search), so
/// the cost is a pass of `memchr` over the text, not a loop over its lines.
pub(crate) fn split_documents(text: &str) -> Vec<DocSlice<'_>> {
    let bytes = text.as_bytes();
    // Offsets of line starts that may be markers.
    let mut candidates: Vec<usize> = memchr::memmem::find_iter(bytes, b"\n---")
        .chain(memchr::memmem::find_iter(bytes, b"\n..."))
        .map(|i| i + 1)
        .collect();
    if bytes.starts_with(b"---") || bytes.starts_with(b"...") {
        candidates.push(0);
    }
    candidates.sort_unstable();
    let mut docs = Vec::new();
    let mut start = 0usize;
    let mut start_line = 0u32;
    let mut line_no = 0u32;
    let mut counted_to = 0usize;
    for offset in candidates {
        let end = memchr::memchr(b'\n', &bytes[offset..]).map_or(bytes.len(), |i| offset + i + 1);
        let line = &bytes[offset..end];
        let is_start = is_marker(line, b"---");
        if !is_start && !is_marker(line, b"...") {
            continue;
        }
        line_no += count_newlines(&bytes[counted_to..offset]);
        counted_to = offset;
        if is_start {
            if offset > start {
                docs.push(DocSlice {
                    text: &text[start..offset],
                    first_line: start_line,
                });
            }
            // The `---` line belongs to the new document (it may carry content: `--- {a: 1}`).
            start = offset;
            start_line = line_no;
        } else {
            docs.push(DocSlice {
                text: &text[start..offset],
                first_line: start_line,
            });
            start = end;
            start_line = line_no + 1;
        }
    }
    if start < bytes.len() {
        docs.push(DocSlice {
            text: &text[start..],
            first_line: start_line,
        });
    }
    docs
}

fn count_newlines(bytes: &[u8]) -> u32 {
    u32::try_from(memchr::memchr_iter(b'\n', bytes).count()).unwrap_or(u32::MAX)
}

fn is_marker(line: &[u8], marker: &[u8; 3]) -> bool {
    line.starts_with(marker)
        && line
            .get(3)
            .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Whether a document holds nothing but blank lines, comments and markers.
pub(crate) fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---" || t.starts_with("%")
    })
}

/// The value of the document's top-level `kind:` line, found without parsing. `None` when the
/// document is not in block style, names no kind at column 0, or names it more than once.
pub(crate) fn peek_kind(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut found = None;
    let starts =
        std::iter::once(0).chain(memchr::memmem::find_iter(bytes, b"\nkind:").map(|i| i + 1));
    for start in starts {
        if !bytes[start..].starts_with(b"kind:") {
            continue;
        }
        if found.is_some() {
            return None;
        }
        let rest = &text[start + 5..];
        let line = rest.split('\n').next().unwrap_or_default();
        let value = line.split(" #").next().unwrap_or_default().trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        found = Some(value);
    }
    found.filter(|k| !k.is_empty())
}

/// Parses one document into a tree. `Ok(None)` for an empty document.
pub(crate) fn parse_document(
    doc: DocSlice<'_>,
) -> Result<Option<Node>, (Position, InputErrorKind)> {
    let mut text = std::borrow::Cow::Borrowed(doc.text);
    // Each repair re-indents one quoted scalar; a document has few of them.
    for _ in 0..64 {
        match parse_text(&text, doc.first_line) {
            Err(Failure::QuotedIndent { error, line, col }) => {
                match reindent_quoted_scalar(&text, line, col) {
                    Some(repaired) => text = std::borrow::Cow::Owned(repaired),
                    None => return Err(error),
                }
            }
            Err(Failure::Other(error)) => return Err(error),
            Ok(node) => return Ok(node),
        }
    }
    parse_text(&text, doc.first_line).map_err(|f| match f {
        Failure::QuotedIndent { error, .. } | Failure::Other(error) => error,
    })
}

/// saphyr-parser's message for a quoted scalar whose continuation lines are indented less
/// than the YAML 1.2 grammar asks.
const QUOTED_INDENT: &str = "invalid indentation in quoted scalar";

enum Failure {
    /// A quoted scalar starting at `line` (1-based) and `col` (0-based) of the text has
    /// under-indented continuation lines.
    QuotedIndent {
        error: (Position, InputErrorKind),
        line: usize,
        col: usize,
    },
    Other((Position, InputErrorKind)),
}

fn parse_text(text: &str, first_line: u32) -> Result<Option<Node>, Failure> {
    let mut builder = Builder::new(first_line);
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| {
            let m = e.marker();
            let error = (
                builder.pos_of(m.line(), m.col()),
                InputErrorKind::Yaml(e.info().to_owned()),
            );
            if e.info() == QUOTED_INDENT {
                Failure::QuotedIndent {
                    error,
                    line: m.line(),
                    col: m.col(),
                }
            } else {
                Failure::Other(error)
            }
        })?;
        if builder.handle(event, span).map_err(Failure::Other)? {
            break;
        }
    }
    Ok(builder.root.take())
}

/// Go's YAML library, and so kubectl, accepts a multi-line quoted scalar whose continuation
/// lines are indented no deeper than its key; saphyr-parser follows the YAML 1.2 grammar and
/// rejects it. Leading white space of a quoted scalar's continuation lines is not part of
/// its value (line folding strips it), so indenting those lines to the opening quote's column
/// changes no value: the document then parses as kubectl reads it. Lines and the columns of
/// every other line stay as they were. `None` when no quoted scalar starts at `line`/`col`.
fn reindent_quoted_scalar(text: &str, line: usize, col: usize) -> Option<String> {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1)?
    };
    let start = line_start + text[line_start..].char_indices().nth(col).map(|(i, _)| i)?;
    let quote = text[start..]
        .chars()
        .next()
        .filter(|c| *c == '"' || *c == '\'')?;
    let indent = " ".repeat(col + 1);
    let mut out = String::with_capacity(text.len() + 64);
    out.push_str(&text[..=start]);
    let mut chars = text[start + 1..].char_indices();
    let mut closed_at = None;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if quote == '"' => {
                out.push(c);
                if let Some((_, next)) = chars.next() {
                    out.push(next);
                    if next == '\n' {
                        push_indent(&mut out, &text[start + 1 + i + 2..], &indent);
                    }
                }
            }
            '\'' if quote == '\'' && text[start + 1 + i + 1..].starts_with('\'') => {
                out.push_str("''");
                chars.next();
            }
            c if c == quote => {
                closed_at = Some(start + 1 + i);
                break;
            }
            '\n' => {
                out.push(c);
                push_indent(&mut out, &text[start + 1 + i + 1..], &indent);
            }
            _ => out.push(c),
        }
    }
    let end = closed_at?;
    out.push_str(&text[end..]);
    Some(out)
}

/// Adds the spaces that bring the line starting `rest` to `indent`.
fn push_indent(out: &mut String, rest: &str, indent: &str) {
    let have = rest.len() - rest.trim_start_matches(' ').len();
    if have < indent.len() && !rest.starts_with(['\n', '\r']) {
        out.push_str(&indent[have..]);
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Position,
        anchor: usize,
    },
    Map {
        entries: Vec<Entry>,
        pending_key: Option<(Box<str>, Position)>,
        seen: Option<HashSet<Box<str>>>,
        pos: Position,
        anchor: usize,
        has_merge: bool,
    },
}

struct Builder {
    first_line: u32,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    nodes: usize,
    documents: u32,
}

/// Above this many entries a mapping checks duplicate keys with a hash set.
const LINEAR_DUP_CHECK: usize = 32;

impl Builder {
    fn new(first_line: u32) -> Self {
        Self {
            first_line,
            stack: Vec::new(),
            anchors: HashMap::new(),
            root: None,
            nodes: 0,
            documents: 0,
        }
    }

    fn pos_of(&self, line: usize, col: usize) -> Position {
        let line = u32::try_from(line)
            .unwrap_or(u32::MAX)
            .saturating_add(self.first_line);
        Position::new(
            line.max(1),
            u32::try_from(col).unwrap_or(u32::MAX).saturating_add(1),
        )
    }

    fn pos(&self, span: &Span) -> Position {
        self.pos_of(span.start.line(), span.start.col())
    }

    /// Handles one event; `Ok(true)` when the document is complete.
    fn handle(&mut self, event: Event<'_>, span: Span) -> Result<bool, (Position, InputErrorKind)> {
        let pos = self.pos(&span);
        match event {
            Event::StreamStart | Event::Nothing => {}
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    // The splitter gives one document per slice; a second one means a marker it
                    // could not see (e.g. inside flow content). Report instead of guessing.
                    return Err((
                        pos,
                        InputErrorKind::Yaml("unexpected second document".into()),
                    ));
                }
            }
            Event::DocumentEnd | Event::StreamEnd => return Ok(true),
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().ok_or_else(|| {
                    (
                        pos,
                        InputErrorKind::Unsupported("alias to an unknown anchor".into()),
                    )
                })?;
                self.nodes = self.nodes.saturating_add(count_nodes(&node));
                self.push_value(node, 0)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                // Keys keep their text: `on:` or `y:` as keys stay strings.
                let is_key = matches!(
                    self.stack.last(),
                    Some(Frame::Map {
                        pending_key: None,
                        ..
                    })
                );
                let value = match (style, tag.as_ref().map(|t| t.suffix.as_str())) {
                    (_, Some("str")) => Value::Str(text.as_ref().into()),
                    (ScalarStyle::Plain, _) if is_key => Value::Str(cow_into_box(text)),
                    (ScalarStyle::Plain, _) => resolve_plain(&text),
                    _ => Value::Str(cow_into_box(text)),
                };
                self.push_value(Node::new(value, pos), anchor)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.open(
                    Frame::Seq {
                        items: Vec::new(),
                        pos,
                        anchor,
                    },
                    pos,
                )?;
            }
            Event::MappingStart(anchor, _) => {
                self.open(
                    Frame::Map {
                        entries: Vec::new(),
                        pending_key: None,
                        seen: None,
                        pos,
                        anchor,
                        has_merge: false,
                    },
                    pos,
                )?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { items, pos, anchor }) => {
                        (Node::new(Value::Seq(items), pos), anchor)
                    }
                    Some(Frame::Map {
                        entries,
                        pos,
                        anchor,
                        has_merge,
                        ..
                    }) => {
                        let entries = if has_merge {
                            apply_merge_keys(entries)
                        } else {
                            entries
                        };
                        (Node::new(Value::Map(entries), pos), anchor)
                    }
                    None => {
                        return Err((pos, InputErrorKind::Yaml("unbalanced collection".into())));
                    }
                };
                self.push_value(node, anchor)?;
            }
        }
        Ok(false)
    }

    fn open(&mut self, frame: Frame, pos: Position) -> Result<(), (Position, InputErrorKind)> {
        if self.stack.len() >= MAX_DEPTH {
            return Err((pos, InputErrorKind::TooDeep(MAX_DEPTH)));
        }
        if let Some(Frame::Map {
            pending_key: None, ..
        }) = self.stack.last()
        {
            return Err((
                pos,
                InputErrorKind::Unsupported("mapping key that is not a scalar".into()),
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn push_value(&mut self, node: Node, anchor: usize) -> Result<(), (Position, InputErrorKind)> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err((node.pos, InputErrorKind::TooLarge(MAX_NODES)));
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                seen,
                has_merge,
                ..
            }) => match pending_key.take() {
                None => {
                    let key: Box<str> = match node.scalar_text() {
                        Some(text) => text.as_ref().into(),
                        None if node.is_null() => "null".into(),
                        None => {
                            return Err((
                                node.pos,
                                InputErrorKind::Unsupported(
                                    "mapping key that is not a scalar".into(),
                                ),
                            ));
                        }
                    };
                    let duplicate = if entries.len() < LINEAR_DUP_CHECK {
                        entries.iter().any(|e| e.key == key)
                    } else {
                        let set = seen
                            .get_or_insert_with(|| entries.iter().map(|e| e.key.clone()).collect());
                        !set.insert(key.clone())
                    };
                    if duplicate && &*key != "<<" {
                        return Err((node.pos, InputErrorKind::DuplicateKey(key.into_string())));
                    }
                    if &*key == "<<" {
                        *has_merge = true;
                    }
                    *pending_key = Some((key, node.pos));
                }
                Some((key, key_pos)) => {
                    if let Some(set) = seen.as_mut() {
                        set.insert(key.clone());
                    }
                    entries.push(Entry {
                        key,
                        key_pos,
                        value: node,
                    });
                }
            },
        }
        Ok(())
    }
}

fn cow_into_box(text: Cow<'_, str>) -> Box<str> {
    match text {
        Cow::Borrowed(s) => s.into(),
        Cow::Owned(s) => s.into_boxed_str(),
    }
}

fn count_nodes(node: &Node) -> usize {
    let mut count = 0;
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        count += 1;
        match &n.value {
            Value::Seq(items) => stack.extend(items.iter()),
            Value::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
            _ => {}
        }
    }
    count
}

/// YAML 1.1 merge keys (`<<: *base`), which Kubernetes' decoder honours: keys written in the
/// mapping win over merged ones, earlier merge sources win over later ones.
fn apply_merge_keys(entries: Vec<Entry>) -> Vec<Entry> {
    let (merges, mut own): (Vec<Entry>, Vec<Entry>) =
        entries.into_iter().partition(|e| &*e.key == "<<");
    for merge in merges {
        let sources: Vec<Node> = match merge.value.value {
            Value::Map(_) => vec![merge.value],
            Value::Seq(items) => items,
            _ => Vec::new(),
        };
        for source in sources {
            if let Value::Map(source_entries) = source.value {
                for entry in source_entries {
                    if !own.iter().any(|e| e.key == entry.key) {
                        own.push(entry);
                    }
                }
            }
        }
    }
    own
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_scalars_indented_like_their_key_parse_as_kubectl_reads_them() {
        let text = "spec:\n  properties:\n    description: \"When set the TLS {} is optional, defaults\n    to false.\"\n    other: 'a\n    b'\n  next: 1\n";
        let docs = split_documents(text);
        let node = parse_document(docs[0]).expect("parses").expect("not empty");
        let props = node
            .get("spec")
            .and_then(|s| s.get("properties"))
            .expect("properties");
        assert_eq!(
            props.get("description").and_then(Node::as_str),
            Some("When set the TLS {} is optional, defaults to false.")
        );
        assert_eq!(props.get("other").and_then(Node::as_str), Some("a b"));
        let next = node.get("spec").and_then(|s| s.get("next")).expect("next");
        assert_eq!(next.pos.line, 7);
    }

    fn parse(text: &str) -> Node {
        let docs = split_documents(text);
        parse_document(docs[0]).expect("parses").expect("not empty")
    }

    #[test]
    fn splits_at_markers_and_keeps_lines() {
        let text = "a: 1\n---\nb: 2\n--- \nc: 3\n...\n# trailing\n";
        let docs = split_documents(text);
        assert_eq!(docs.len(), 4);
        assert_eq!(docs[1].first_line, 1);
        let node = parse_document(docs[2]).expect("ok").expect("some");
        assert_eq!(node.entry("c").map(|e| e.key_pos.line), Some(5));
        assert!(is_blank(docs[3].text));
    }

    #[test]
    fn dashes_inside_values_are_not_markers() {
        let docs = split_documents("a: |\n  ---\n  x\nb: ---x\n");
        assert_eq!(docs.len(), 1);
    }

    #[test]
    fn peeks_top_level_kind_only() {
        assert_eq!(peek_kind("apiVersion: v1\nkind: Pod\n"), Some("Pod"));
        assert_eq!(peek_kind("kind: \"Service\" # c\n"), Some("Service"));
        assert_eq!(peek_kind("spec:\n  kind: Pod\n"), None);
        assert_eq!(peek_kind("kind: A\nkind: B\n"), None);
        assert_eq!(peek_kind("{\"kind\": \"Pod\"}"), None);
    }

    #[test]
    fn positions_are_one_based() {
        let node = parse("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: app\n");
        let c = node.path(&["spec", "containers"]).expect("containers");
        assert_eq!(c.items()[0].pos, Position::new(5, 5));
        assert_eq!(
            node.entry("kind").map(|e| e.key_pos),
            Some(Position::new(2, 1))
        );
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let node = parse("a: \"true\"\nb: '8080'\nc: !!str 12\nd: true\n");
        assert_eq!(node.get("a").and_then(Node::as_str), Some("true"));
        assert_eq!(node.get("b").and_then(Node::as_str), Some("8080"));
        assert_eq!(node.get("c").and_then(Node::as_str), Some("12"));
        assert_eq!(node.get("d").and_then(Node::as_bool), Some(true));
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let node = parse("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n");
        let used = node.get("use").expect("use");
        assert_eq!(used.get("x").and_then(Node::as_i64), Some(1));
        assert_eq!(used.get("y").and_then(Node::as_i64), Some(3));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let docs = split_documents("a: 1\nb: 2\na: 3\n");
        let err = parse_document(docs[0]).expect_err("duplicate");
        assert_eq!(err.0.line, 3);
        assert_eq!(err.1, InputErrorKind::DuplicateKey("a".into()));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let docs = split_documents(&text);
        let err = parse_document(docs[0]).expect_err("too deep");
        // Either the parser's own recursion guard or ours stops it first.
        assert!(
            err.1 == InputErrorKind::TooDeep(MAX_DEPTH)
                || matches!(&err.1, InputErrorKind::Yaml(m) if m.contains("recursion limit")),
            "{:?}",
            err.1
        );
        let deep_block = (0..MAX_DEPTH + 5)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect::<String>();
        let err = parse_document(split_documents(&deep_block)[0]).expect_err("too deep");
        assert_eq!(err.1, InputErrorKind::TooDeep(MAX_DEPTH));
    }

    #[test]
    fn billion_laughs_is_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let docs = split_documents(&text);
        let err = parse_document(docs[0]).expect_err("too large");
        assert_eq!(err.1, InputErrorKind::TooLarge(MAX_NODES));
    }
}
