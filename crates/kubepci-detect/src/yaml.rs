//! The YAML of rule files: a small positioned tree built from saphyr-parser's events.
//!
//! Falco reads rule files with yaml-cpp and interprets each scalar by the type it expects
//! (`enabled: false` as a boolean, list items as strings). So scalars keep their text here and
//! the loader decides what they mean. Every node keeps its 1-based line for error messages.
//! Nesting depth and alias expansion are bounded: rule files come from users.

use saphyr_parser::{Event, Parser, ScalarStyle};

/// Deepest nesting accepted (rule files are at most four levels deep).
pub(crate) const MAX_DEPTH: usize = 64;
/// Most nodes one file may hold once aliases are expanded.
pub(crate) const MAX_NODES: usize = 1_000_000;

/// A YAML value and the line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct YNode {
    pub(crate) value: YValue,
    pub(crate) line: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum YValue {
    /// A scalar's text; `plain` when it was written without quotes or block style.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<YNode>),
    /// Entries in source order: key, key line, value.
    Map(Vec<(String, u32, YNode)>),
}

impl YNode {
    /// A plain `null`, `~` or empty scalar.
    pub(crate) fn is_null(&self) -> bool {
        matches!(&self.value, YValue::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub(crate) fn scalar(&self) -> Option<&str> {
        match &self.value {
            YValue::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&YNode> {
        match &self.value {
            YValue::Map(entries) => entries.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v),
            _ => None,
        }
    }

    pub(crate) fn entries(&self) -> &[(String, u32, YNode)] {
        match &self.value {
            YValue::Map(entries) => entries,
            _ => &[],
        }
    }

    /// A boolean as yaml-cpp reads one (`true`/`false`, `yes`/`no`, `on`/`off`, any case).
    pub(crate) fn as_bool(&self) -> Option<bool> {
        let text = self.scalar()?.to_ascii_lowercase();
        match text.as_str() {
            "true" | "yes" | "on" | "y" => Some(true),
            "false" | "no" | "off" | "n" => Some(false),
            _ => None,
        }
    }
}

/// A YAML syntax error or a document beyond the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    pub(crate) line: u32,
    pub(crate) message: String,
}

enum Frame {
    Seq(Vec<YNode>, u32, usize),
    Map {
        entries: Vec<(String, u32, YNode)>,
        key: Option<(String, u32)>,
        line: u32,
        anchor: usize,
    },
}

fn line_of(line: usize) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX).max(1)
}

/// Parses every document of a YAML stream. Empty documents are dropped.
///
/// yaml-cpp, which Falco uses, accepts a closing bracket of a flow sequence at the indentation
/// of the key that opened it (`items: [` … `  ]`, as Falco's own rule files have it); the YAML
/// specification and saphyr do not. Such a line is indented further and the stream parsed
/// again, so those files load unchanged (the lines and the values stay the same).
pub(crate) fn parse_stream(text: &str) -> Result<Vec<YNode>, YamlError> {
    let mut owned: Option<String> = None;
    for _ in 0..10_000 {
        let current = owned.as_deref().unwrap_or(text);
        match parse_strict(current) {
            Err(e) if e.message == "invalid indentation" => {
                let index = usize::try_from(e.line).unwrap_or(0).saturating_sub(1);
                let mut lines: Vec<&str> = current.split('\n').collect();
                match lines.get(index) {
                    Some(line) if matches!(line.trim_start().chars().next(), Some(']' | '}')) => {
                        let fixed = format!("  {line}");
                        lines[index] = &fixed;
                        owned = Some(lines.join("\n"));
                    }
                    _ => return Err(e),
                }
            }
            other => return other,
        }
    }
    parse_strict(owned.as_deref().unwrap_or(text))
}

fn parse_strict(text: &str) -> Result<Vec<YNode>, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: Vec<(usize, YNode)> = Vec::new();
    let mut nodes = 0usize;
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| YamlError {
            line: line_of(e.marker().line()),
            message: e.info().to_owned(),
        })?;
        let line = line_of(span.start.line());
        let node = match event {
            Event::StreamStart | Event::Nothing | Event::DocumentStart(_) => continue,
            Event::StreamEnd => break,
            Event::DocumentEnd => {
                anchors.clear();
                continue;
            }
            Event::Alias(id) => {
                let anchored = anchors
                    .iter()
                    .rev()
                    .find(|(a, _)| *a == id)
                    .map(|(_, n)| n)
                    .ok_or_else(|| YamlError {
                        line,
                        message: "alias to an unknown anchor".into(),
                    })?;
                // Count before copying: an alias bomb must not be expanded to be rejected.
                nodes = nodes.saturating_add(count(anchored));
                if nodes > MAX_NODES {
                    return Err(YamlError {
                        line,
                        message: format!("more than {MAX_NODES} values once aliases are expanded"),
                    });
                }
                (anchored.clone(), 0)
            }
            Event::Scalar(text, style, anchor, _) => (
                YNode {
                    value: YValue::Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                    line,
                },
                anchor,
            ),
            Event::SequenceStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        line,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
                stack.push(Frame::Seq(Vec::new(), line, anchor));
                continue;
            }
            Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        line,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    line,
                    anchor,
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq(items, line, anchor)) => (
                    YNode {
                        value: YValue::Seq(items),
                        line,
                    },
                    anchor,
                ),
                Some(Frame::Map {
                    entries,
                    line,
                    anchor,
                    ..
                }) => (
                    YNode {
                        value: YValue::Map(entries),
                        line,
                    },
                    anchor,
                ),
                None => {
                    return Err(YamlError {
                        line,
                        message: "unbalanced collection".into(),
                    });
                }
            },
        };
        let (node, anchor) = node;
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(YamlError {
                line,
                message: format!("more than {MAX_NODES} values"),
            });
        }
        if anchor != 0 {
            anchors.push((anchor, node.clone()));
        }
        match stack.last_mut() {
            None => docs.push(node),
            Some(Frame::Seq(items, ..)) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => match node.value {
                    YValue::Scalar { text, .. } => *key = Some((text, node.line)),
                    _ => {
                        return Err(YamlError {
                            line: node.line,
                            message: "a mapping key must be a scalar".into(),
                        });
                    }
                },
                Some((k, key_line)) => {
                    if entries.iter().any(|(existing, _, _)| *existing == k) {
                        return Err(YamlError {
                            line: key_line,
                            message: format!("duplicate key {k:?}"),
                        });
                    }
                    entries.push((k, key_line, node));
                }
            },
        }
    }
    Ok(docs
        .into_iter()
        .filter(|d| !(d.is_null() && d.line <= 1 && d.scalar() == Some("")))
        .collect())
}

fn count(node: &YNode) -> usize {
    match &node.value {
        YValue::Scalar { .. } => 1,
        YValue::Seq(items) => 1 + items.iter().map(count).sum::<usize>(),
        YValue::Map(entries) => 1 + entries.iter().map(|(_, _, v)| count(v)).sum::<usize>(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_scalar_text_and_lines() {
        let docs =
            parse_stream("- list: a\n  items: [yes, \"x\", 0644]\n- rule: r\n  enabled: false\n")
                .expect("valid yaml");
        assert_eq!(docs.len(), 1);
        let YValue::Seq(items) = &docs[0].value else {
            panic!("a sequence")
        };
        assert_eq!(items[1].line, 3);
        let list = items[0].get("items").expect("items");
        let YValue::Seq(values) = &list.value else {
            panic!("items")
        };
        let texts: Vec<&str> = values.iter().filter_map(YNode::scalar).collect();
        assert_eq!(texts, ["yes", "x", "0644"]);
        assert_eq!(
            items[1].get("enabled").and_then(YNode::as_bool),
            Some(false)
        );
    }

    #[test]
    fn reports_errors_with_lines() {
        let err = parse_stream("- rule: a\n  condition: [unclosed\n").expect_err("bad yaml");
        assert!(err.line >= 2, "{err:?}");
        let err = parse_stream("- a: 1\n  a: 2\n").expect_err("duplicate");
        assert_eq!(err.line, 2);
    }

    #[test]
    fn bounds_alias_expansion() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        assert!(parse_stream(&text).is_err());
    }
}
