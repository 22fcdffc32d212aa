//! Splitting audit-event input into events: JSON lines as the apiserver's log backend writes
//! them, a single `Event`, an `EventList` or a JSON array, in any mix, one after another.
//!
//! A value that does not parse is reported with its line and reading goes on at the next
//! line, so one damaged line of a log file does not hide the rest.

use std::ops::Range;

use serde::Deserialize;
use serde_json::value::RawValue;

/// One event of the input: its bytes and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSpan {
    /// Byte range of the event object.
    pub range: Range<usize>,
    /// 1-based line of its first byte.
    pub line: usize,
}

/// Input that is not an audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong (never quoting the input: it may hold secrets).
    pub message: String,
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow, default)]
    kind: Option<&'a RawValue>,
    #[serde(borrow, default)]
    items: Option<Vec<&'a RawValue>>,
}

fn range_in(base: &[u8], raw: &RawValue) -> Range<usize> {
    let start = (raw.get().as_ptr() as usize).saturating_sub(base.as_ptr() as usize);
    start..start + raw.get().len()
}

struct Lines<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: usize,
}

impl Lines<'_> {
    /// The 1-based line of byte `at` (monotonic calls only).
    fn line_of(&mut self, at: usize) -> usize {
        let at = at.min(self.bytes.len());
        if at >= self.offset {
            self.line += self.bytes[self.offset..at]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.offset = at;
        }
        self.line
    }
}

/// The events of `bytes`, and the values that are not events.
#[must_use]
pub fn split_events(bytes: &[u8]) -> (Vec<EventSpan>, Vec<InputError>) {
    let mut events = Vec::new();
    let mut errors = Vec::new();
    let mut lines = Lines {
        bytes,
        offset: 0,
        line: 1,
    };
    let mut start = 0usize;
    'outer: while start < bytes.len() {
        let chunk = &bytes[start..];
        let mut stream = serde_json::Deserializer::from_slice(chunk).into_iter::<&RawValue>();
        loop {
            match stream.next() {
                None => break 'outer,
                Some(Ok(raw)) => {
                    let range = range_in(bytes, raw);
                    let line = lines.line_of(range.start);
                    classify(bytes, raw, range, line, &mut events, &mut errors);
                }
                Some(Err(e)) => {
                    // Resume at the line after the error.
                    let err_line_in_chunk = e.line().max(1);
                    let mut skip = 0usize;
                    let mut seen = 1usize;
                    while skip < chunk.len() && seen <= err_line_in_chunk {
                        if chunk[skip] == b'\n' {
                            seen += 1;
                        }
                        skip += 1;
                    }
                    let at = start + stream.byte_offset().min(chunk.len());
                    let line = lines.line_of(at.min(start + skip.saturating_sub(1)));
                    let what = match e.classify() {
                        serde_json::error::Category::Eof => "unexpected end of input",
                        _ => "not valid JSON",
                    };
                    errors.push(InputError {
                        line,
                        message: format!("{what} (column {})", e.column()),
                    });
                    if skip == 0 || start + skip <= start {
                        break 'outer;
                    }
                    start += skip;
                    continue 'outer;
                }
            }
        }
    }
    (events, errors)
}

fn classify(
    bytes: &[u8],
    raw: &RawValue,
    range: Range<usize>,
    line: usize,
    events: &mut Vec<EventSpan>,
    errors: &mut Vec<InputError>,
) {
    let text = raw.get();
    let not_event = |errors: &mut Vec<InputError>| {
        errors.push(InputError {
            line,
            message: "data not recognised as a Kubernetes audit event".into(),
        });
    };
    if text.starts_with('[') {
        match serde_json::from_str::<Vec<&RawValue>>(text) {
            Ok(items) => {
                for item in items {
                    let r = range_in(bytes, item);
                    if item.get().starts_with('{') {
                        events.push(EventSpan { range: r, line });
                    } else {
                        not_event(errors);
                    }
                }
            }
            Err(_) => not_event(errors),
        }
        return;
    }
    if !text.starts_with('{') {
        not_event(errors);
        return;
    }
    match serde_json::from_str::<Header<'_>>(text) {
        Ok(h) => match h.kind.map(RawValue::get) {
            Some("\"EventList\"") => {
                for item in h.items.unwrap_or_default() {
                    let r = range_in(bytes, item);
                    if item.get().starts_with('{') {
                        events.push(EventSpan { range: r, line });
                    } else {
                        not_event(errors);
                    }
                }
            }
            Some("\"Event\"") | None => events.push(EventSpan { range, line }),
            Some(_) => not_event(errors),
        },
        Err(_) => not_event(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_lists_and_errors() {
        let input = b"{\"kind\":\"Event\",\"auditID\":\"a\"}\n{\"kind\": 0}\n{broken\n{\"kind\":\"EventList\",\"items\":[{\"auditID\":\"b\"},{\"auditID\":\"c\"}]}\n[{\"auditID\":\"d\"}]\n";
        let (events, errors) = split_events(input);
        let ids: Vec<&[u8]> = events.iter().map(|e| &input[e.range.clone()]).collect();
        assert_eq!(ids.len(), 4, "{ids:?}");
        assert_eq!(events[1].line, 4);
        assert_eq!(events[3].line, 5);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].line, 2);
        assert!(errors[0].message.contains("not recognised"));
        assert_eq!(errors[1].line, 3);
    }

    #[test]
    fn pretty_printed_event() {
        let input = b"{\n  \"kind\": \"Event\",\n  \"auditID\": \"x\"\n}\n";
        let (events, errors) = split_events(input);
        assert_eq!(events.len(), 1);
        assert!(errors.is_empty());
    }
}
