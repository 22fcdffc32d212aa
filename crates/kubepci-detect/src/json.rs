//! A read-only view of a parsed event: simd-json's tape (one flat vector of nodes, reused from
//! event to event), navigated by key, index and RFC 6901 pointer, and written back as compact
//! JSON where Falco's extractors turn an object or a number into a string.

use std::fmt::Write as _;

use simd_json::StaticNode;
use simd_json::tape::Node;

/// A value inside a tape: `nodes[0]` is the value, followed by its children.
#[derive(Clone, Copy)]
pub(crate) struct J<'t, 'i> {
    nodes: &'t [Node<'i>],
}

/// Number of tape nodes the value starting at `nodes[0]` spans.
fn span(nodes: &[Node<'_>]) -> usize {
    match nodes.first() {
        Some(Node::Object { count, .. } | Node::Array { count, .. }) => count + 1,
        _ => 1,
    }
}

impl<'t, 'i> J<'t, 'i> {
    pub(crate) fn root(nodes: &'t [Node<'i>]) -> Option<Self> {
        if nodes.is_empty() {
            None
        } else {
            Some(Self { nodes })
        }
    }

    fn node(self) -> Node<'i> {
        self.nodes[0]
    }

    pub(crate) fn is_object(self) -> bool {
        matches!(self.node(), Node::Object { .. })
    }

    pub(crate) fn is_array(self) -> bool {
        matches!(self.node(), Node::Array { .. })
    }

    pub(crate) fn as_str(self) -> Option<&'i str> {
        match self.node() {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_u64(self) -> Option<u64> {
        match self.node() {
            Node::Static(StaticNode::U64(n)) => Some(n),
            Node::Static(StaticNode::I64(n)) => u64::try_from(n).ok(),
            _ => None,
        }
    }

    pub(crate) fn as_bool(self) -> Option<bool> {
        match self.node() {
            Node::Static(StaticNode::Bool(b)) => Some(b),
            _ => None,
        }
    }

    /// The members of an object, in order.
    pub(crate) fn members(self) -> Members<'t, 'i> {
        match self.node() {
            Node::Object { len, .. } => Members {
                rest: &self.nodes[1..],
                left: len,
            },
            _ => Members { rest: &[], left: 0 },
        }
    }

    /// The elements of an array.
    pub(crate) fn elements(self) -> Elements<'t, 'i> {
        match self.node() {
            Node::Array { len, .. } => Elements {
                rest: &self.nodes[1..],
                left: len,
            },
            _ => Elements { rest: &[], left: 0 },
        }
    }

    /// The member named `key` (the first one, if the object repeats it).
    pub(crate) fn get(self, key: &str) -> Option<Self> {
        self.members().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub(crate) fn path(self, keys: &[&str]) -> Option<Self> {
        keys.iter().try_fold(self, |v, k| v.get(k))
    }

    pub(crate) fn index(self, i: usize) -> Option<Self> {
        self.elements().nth(i)
    }

    /// Follows a pointer split into unescaped tokens at compile time (see [`pointer_tokens`]).
    pub(crate) fn at(self, tokens: &[Box<str>]) -> Option<Self> {
        let mut current = self;
        for token in tokens {
            current = match current.node() {
                Node::Object { .. } => current.get(token)?,
                Node::Array { .. } => {
                    if token.len() > 1 && token.starts_with('0') {
                        return None;
                    }
                    current.index(token.parse().ok()?)?
                }
                _ => return None,
            };
        }
        Some(current)
    }

    /// Writes the value as Falco's extractors render one: a string as its text, anything else
    /// as compact JSON.
    pub(crate) fn write_text(self, out: &mut String) {
        match self.node() {
            Node::String(s) => out.push_str(s),
            _ => self.write_json(out),
        }
    }

    /// Writes the value as compact JSON.
    pub(crate) fn write_json(self, out: &mut String) {
        match self.node() {
            Node::String(s) => write_json_string(s, out),
            Node::Static(s) => write_static(s, out),
            Node::Object { .. } => {
                out.push('{');
                for (n, (k, v)) in self.members().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    write_json_string(k, out);
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
            Node::Array { .. } => {
                out.push('[');
                for (n, v) in self.elements().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    v.write_json(out);
                }
                out.push(']');
            }
        }
    }

    /// Calls `f` with every string (keys and values) inside the value.
    pub(crate) fn for_each_string(self, f: &mut impl FnMut(&str)) {
        for node in &self.nodes[..span(self.nodes)] {
            if let Node::String(s) = node {
                f(s);
            }
        }
    }
}

fn write_static(s: StaticNode, out: &mut String) {
    let _ = match s {
        StaticNode::I64(n) => write!(out, "{n}"),
        StaticNode::U64(n) => write!(out, "{n}"),
        StaticNode::F64(n) => {
            if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
                write!(out, "{n:.1}")
            } else {
                write!(out, "{n}")
            }
        }
        StaticNode::Bool(b) => write!(out, "{b}"),
        StaticNode::Null => write!(out, "null"),
    };
}

/// Writes `s` as a JSON string literal.
pub(crate) fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        run = i + 1;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// Splits an RFC 6901 pointer into unescaped tokens; `None` when it is not a pointer.
pub(crate) fn pointer_tokens(pointer: &str) -> Option<Vec<Box<str>>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    rest.split('/')
        .map(|raw| {
            let mut token = String::with_capacity(raw.len());
            let mut chars = raw.chars();
            while let Some(c) = chars.next() {
                if c == '~' {
                    match chars.next() {
                        Some('0') => token.push('~'),
                        Some('1') => token.push('/'),
                        _ => return None,
                    }
                } else {
                    token.push(c);
                }
            }
            Some(token.into_boxed_str())
        })
        .collect()
}

pub(crate) struct Members<'t, 'i> {
    rest: &'t [Node<'i>],
    left: usize,
}

impl<'t, 'i> Iterator for Members<'t, 'i> {
    type Item = (&'i str, J<'t, 'i>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 || self.rest.len() < 2 {
            return None;
        }
        self.left -= 1;
        let key = match self.rest[0] {
            Node::String(k) => k,
            _ => return None,
        };
        let value = &self.rest[1..];
        let n = span(value).min(value.len());
        let item = J { nodes: &value[..n] };
        self.rest = &value[n..];
        Some((key, item))
    }
}

pub(crate) struct Elements<'t, 'i> {
    rest: &'t [Node<'i>],
    left: usize,
}

impl<'t, 'i> Iterator for Elements<'t, 'i> {
    type Item = J<'t, 'i>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 || self.rest.is_empty() {
            return None;
        }
        self.left -= 1;
        let n = span(self.rest).min(self.rest.len());
        let item = J {
            nodes: &self.rest[..n],
        };
        self.rest = &self.rest[n..];
        Some(item)
    }
}

/// The parser's buffers, kept from event to event so that parsing does not allocate once they
/// have grown to the size of the largest event.
pub(crate) struct Parsed {
    input: Vec<u8>,
    buffers: simd_json::Buffers,
    tape: Option<simd_json::tape::Tape<'static>>,
}

impl Default for Parsed {
    fn default() -> Self {
        Self {
            input: Vec::with_capacity(16 * 1024),
            buffers: simd_json::Buffers::new(16 * 1024),
            tape: Some(simd_json::tape::Tape::null().reset()),
        }
    }
}

impl Parsed {
    /// Parses `bytes` and calls `f` with the root value. `Err(())` when the bytes are not JSON.
    pub(crate) fn with<R>(
        &mut self,
        bytes: &[u8],
        f: impl FnOnce(J<'_, '_>) -> R,
    ) -> Result<R, ()> {
        self.input.clear();
        self.input.extend_from_slice(bytes);
        let mut tape = self
            .tape
            .take()
            .unwrap_or_else(|| simd_json::tape::Tape::null().reset());
        let result = match simd_json::fill_tape(&mut self.input, &mut self.buffers, &mut tape) {
            Ok(()) => match J::root(&tape.0) {
                Some(root) => Ok(f(root)),
                None => Err(()),
            },
            Err(_) => Err(()),
        };
        self.tape = Some(tape.reset());
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<R>(text: &str, f: impl FnOnce(J<'_, '_>) -> R) -> R {
        Parsed::default()
            .with(text.as_bytes(), f)
            .unwrap_or_else(|()| panic!("valid json"))
    }

    #[test]
    fn navigates_and_writes_back() {
        let text = r#"{"a":{"b/c":[1,{"d":"x\"y"}],"e~f":true},"n":-5,"f":1.5,"g":2.0,"z":null}"#;
        with(text, |root| {
            let at = |p: &str| pointer_tokens(p).and_then(|t| root.at(&t));
            assert_eq!(at("/a/b~1c/1/d").and_then(J::as_str), Some("x\"y"));
            assert_eq!(at("/a/e~0f").and_then(J::as_bool), Some(true));
            assert!(at("/a/b~1c/01").is_none());
            assert!(pointer_tokens("/a/b~2").is_none());
            assert!(pointer_tokens("a").is_none());
            let mut out = String::new();
            root.write_json(&mut out);
            assert_eq!(
                out,
                r#"{"a":{"b/c":[1,{"d":"x\"y"}],"e~f":true},"n":-5,"f":1.5,"g":2.0,"z":null}"#
            );
            let mut n = String::new();
            root.get("n").expect("n").write_text(&mut n);
            assert_eq!(n, "-5");
            assert_eq!(root.members().count(), 5);
        });
    }

    #[test]
    fn reuses_buffers_across_events() {
        let mut parsed = Parsed::default();
        for i in 0..3 {
            let text = format!(r#"{{"i":{i},"s":"v{i}"}}"#);
            let got = parsed
                .with(text.as_bytes(), |root| {
                    root.get("s").and_then(J::as_str).map(str::to_owned)
                })
                .expect("json");
            assert_eq!(got.as_deref(), Some(format!("v{i}").as_str()));
        }
        assert!(parsed.with(b"{nope", |_| ()).is_err());
        assert!(parsed.with(b"{\"ok\":1}", |_| ()).is_ok());
    }
}
