//! Decoding request bodies into events, keeping each event's bytes exactly as received.
//!
//! Accepted shapes (the apiserver's webhook backend and what Falco's k8saudit plugin accepts):
//! an `audit.k8s.io/v1` `EventList` (`{"kind":"EventList","items":[…]}`), a single `Event`
//! object, or a JSON array of events. Falco alerts are a single JSON object or an array.
//! Only a few header fields are read (`auditID`, `stage`, `stageTimestamp`; for alerts `uuid` and
//! `time`); the event body itself is never re-serialised, so its SHA-256 is the hash of the bytes
//! the sender produced.

use std::borrow::Cow;
use std::ops::Range;

use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::error::DecodeError;
use crate::leaf::{EventKind, Stage};

/// Largest body of one event the store keeps (the leaf records a u32 length; Falco's default
/// `maxEventSize` is 256 KiB, RequestResponse events of large lists can reach megabytes).
pub const MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;
/// Most events accepted in one request (the apiserver sends at most 400 by default).
pub const MAX_EVENTS_PER_BATCH: usize = 10_000;

/// One event of a decoded batch: where its bytes are in the body, and its header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedEvent {
    /// Byte range of the event in the request body.
    pub range: Range<usize>,
    /// Audit event or Falco alert.
    pub kind: EventKind,
    /// `auditID` (alerts: `uuid`, or the hex SHA-256 of the alert when it has none).
    pub audit_id: String,
    /// The audit stage (alerts: [`Stage::None`]).
    pub stage: Stage,
    /// `stageTimestamp` (alerts: `time`) as Unix nanoseconds, when present and valid.
    pub event_time_ns: Option<i64>,
    /// SHA-256 of the event's bytes.
    pub sha256: [u8; 32],
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    items: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct AuditHeader<'a> {
    #[serde(rename = "auditID", borrow, default)]
    audit_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    stage: Option<Cow<'a, str>>,
    #[serde(rename = "stageTimestamp", borrow, default)]
    stage_timestamp: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct FalcoHeader<'a> {
    #[serde(borrow, default)]
    uuid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    time: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    output: Option<Cow<'a, str>>,
}

/// Describes a JSON error by its category and position only: serde's own messages can quote
/// values from the body (`invalid type: integer `4111…``), and bodies may hold secrets.
fn json_error(e: serde_json::Error) -> DecodeError {
    let what = match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected value type",
        serde_json::error::Category::Eof => "unexpected end of input",
    };
    DecodeError::NotJson(format!("{what} at line {} column {}", e.line(), e.column()))
}

fn utf8_error(_: std::str::Utf8Error) -> DecodeError {
    DecodeError::NotJson("body is not valid utf-8".into())
}

/// Parses an RFC 3339 timestamp into Unix nanoseconds.
pub fn parse_rfc3339_ns(text: &str) -> Option<i64> {
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos()).ok()
}

/// Reads top-level string members of a JSON object that `serde_json` has already validated,
/// without decoding the rest (events are mostly large nested request and response objects that
/// the store never needs to look into). Returns `None` whenever the fast path cannot be sure —
/// an escape in a key or in a wanted value, a wanted key twice, a wanted value that is not a
/// string — and the caller falls back to a full `serde_json` parse.
fn scan_strings<'a, const N: usize>(
    obj: &'a [u8],
    keys: [&[u8]; N],
) -> Option<[Option<&'a str>; N]> {
    let mut found: [Option<&'a str>; N] = [None; N];
    let mut i = skip_ws(obj, 0);
    if obj.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(obj, i + 1);
    if obj.get(i) == Some(&b'}') {
        return Some(found);
    }
    loop {
        if obj.get(i) != Some(&b'"') {
            return None;
        }
        let (key_end, key_escaped) = string_end(obj, i)?;
        if key_escaped {
            return None;
        }
        let key = &obj[i + 1..key_end - 1];
        i = skip_ws(obj, key_end);
        if obj.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(obj, i + 1);
        let end = value_end(obj, i)?;
        if let Some(k) = keys.iter().position(|k| *k == key) {
            if found[k].is_some() || obj[i] != b'"' {
                return None;
            }
            let (_, escaped) = string_end(obj, i)?;
            if escaped {
                return None;
            }
            found[k] = Some(std::str::from_utf8(&obj[i + 1..end - 1]).ok()?);
        }
        i = skip_ws(obj, end);
        match obj.get(i) {
            Some(b',') => i = skip_ws(obj, i + 1),
            Some(b'}') => return Some(found),
            _ => return None,
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Index just past the closing quote of the string opening at `i`, and whether it has escapes.
fn string_end(b: &[u8], i: usize) -> Option<(usize, bool)> {
    let mut j = i + 1;
    let mut escaped = false;
    while j < b.len() {
        match b[j] {
            b'"' => return Some((j + 1, escaped)),
            b'\\' => {
                escaped = true;
                j += 2;
            }
            _ => j += 1,
        }
    }
    None
}

/// Index just past the JSON value starting at `i`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i).map(|(end, _)| end),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = string_end(b, j)?.0;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                j += 1;
            }
            Some(j)
        }
    }
}

/// Finds the byte range of `raw` inside `body` (`raw` borrows from `body`).
fn range_in(body: &[u8], raw: &RawValue) -> Range<usize> {
    let start = (raw.get().as_ptr() as usize).saturating_sub(body.as_ptr() as usize);
    start..start + raw.get().len()
}

fn items(body: &[u8]) -> Result<Vec<Range<usize>>, DecodeError> {
    let text = std::str::from_utf8(body).map_err(utf8_error)?;
    let trimmed_start = text.len() - text.trim_start().len();
    let trimmed = text.trim();
    let ranges: Vec<Range<usize>> = if trimmed.starts_with('[') {
        let list: Vec<&RawValue> = serde_json::from_str(text).map_err(json_error)?;
        list.iter().map(|raw| range_in(body, raw)).collect()
    } else if trimmed.starts_with('{') {
        let envelope: Envelope<'_> = serde_json::from_str(text).map_err(json_error)?;
        match envelope.items {
            Some(list) => list.iter().map(|raw| range_in(body, raw)).collect(),
            None => std::iter::once(trimmed_start..trimmed_start + trimmed.len()).collect(),
        }
    } else {
        return Err(DecodeError::NotJson(
            "expected a JSON object or array".into(),
        ));
    };
    if ranges.len() > MAX_EVENTS_PER_BATCH {
        return Err(DecodeError::TooManyEvents {
            count: ranges.len(),
            max: MAX_EVENTS_PER_BATCH,
        });
    }
    Ok(ranges)
}

fn check_object(body: &[u8], range: &Range<usize>, index: usize) -> Result<(), DecodeError> {
    if body.get(range.start) != Some(&b'{') {
        return Err(DecodeError::NotAnObject { index });
    }
    if range.len() > MAX_EVENT_BYTES {
        return Err(DecodeError::EventTooLarge {
            index,
            size: range.len(),
            max: MAX_EVENT_BYTES,
        });
    }
    Ok(())
}

/// Decodes a webhook body (`EventList`, `Event` or array) into events.
pub fn decode_audit_events(body: &[u8]) -> Result<Vec<DecodedEvent>, DecodeError> {
    let ranges = items(body)?;
    let mut events = Vec::with_capacity(ranges.len());
    for (index, range) in ranges.into_iter().enumerate() {
        check_object(body, &range, index)?;
        let bytes = &body[range.clone()];
        let header = match scan_strings(bytes, [&b"auditID"[..], b"stage", b"stageTimestamp"]) {
            Some([audit_id, stage, stage_timestamp]) => AuditHeader {
                audit_id: audit_id.map(Cow::Borrowed),
                stage: stage.map(Cow::Borrowed),
                stage_timestamp: stage_timestamp.map(Cow::Borrowed),
            },
            None => serde_json::from_slice(bytes).map_err(json_error)?,
        };
        let audit_id = header
            .audit_id
            .filter(|id| !id.is_empty())
            .ok_or(DecodeError::MissingAuditId { index })?;
        events.push(DecodedEvent {
            kind: EventKind::K8sAudit,
            audit_id: audit_id.into_owned(),
            stage: Stage::from_name(header.stage.as_deref()),
            event_time_ns: header.stage_timestamp.as_deref().and_then(parse_rfc3339_ns),
            sha256: Sha256::digest(bytes).into(),
            range,
        });
    }
    Ok(events)
}

/// Decodes a Falco alert body (one object or an array) into events. An alert without `uuid` is
/// identified by the hex SHA-256 of its bytes.
pub fn decode_falco_alerts(body: &[u8]) -> Result<Vec<DecodedEvent>, DecodeError> {
    let text = std::str::from_utf8(body).map_err(utf8_error)?;
    let trimmed_start = text.len() - text.trim_start().len();
    let trimmed = text.trim();
    let ranges: Vec<Range<usize>> = if trimmed.starts_with('[') {
        let list: Vec<&RawValue> = serde_json::from_str(text).map_err(json_error)?;
        list.iter().map(|raw| range_in(body, raw)).collect()
    } else {
        std::iter::once(trimmed_start..trimmed_start + trimmed.len()).collect()
    };
    if ranges.len() > MAX_EVENTS_PER_BATCH {
        return Err(DecodeError::TooManyEvents {
            count: ranges.len(),
            max: MAX_EVENTS_PER_BATCH,
        });
    }
    let mut events = Vec::with_capacity(ranges.len());
    for (index, range) in ranges.into_iter().enumerate() {
        check_object(body, &range, index)?;
        let bytes = &body[range.clone()];
        let header = match scan_strings(bytes, [&b"uuid"[..], b"time", b"output"]) {
            Some([uuid, time, output]) => FalcoHeader {
                uuid: uuid.map(Cow::Borrowed),
                time: time.map(Cow::Borrowed),
                output: output.map(Cow::Borrowed),
            },
            None => serde_json::from_slice(bytes).map_err(json_error)?,
        };
        let sha256: [u8; 32] = Sha256::digest(bytes).into();
        let audit_id = match header.uuid.filter(|u| !u.is_empty()) {
            Some(uuid) => uuid.into_owned(),
            None if header.output.is_some() => kubepci_tlog::Hash(sha256).to_hex(),
            None => return Err(DecodeError::MissingAuditId { index }),
        };
        events.push(DecodedEvent {
            kind: EventKind::FalcoAlert,
            audit_id,
            stage: Stage::None,
            event_time_ns: header.time.as_deref().and_then(parse_rfc3339_ns),
            sha256,
            range,
        });
    }
    Ok(events)
}

/// The `kind` of a report summary (`kubepci report --record`).
pub const REPORT_SUMMARY_KIND: &str = "kubepci.report-summary/v1";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReportSummaryHeader<'a> {
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    report_digest: Cow<'a, str>,
    #[serde(borrow, default)]
    generated_at: Option<Cow<'a, str>>,
}

/// Decodes one report summary (a JSON object of kind [`REPORT_SUMMARY_KIND`]); its
/// `reportDigest` is its ID (so recording the same report twice stores it once) and its
/// `generatedAt` its time. The summary's signature is checked by `kubepci report history`,
/// which holds the report key.
pub fn decode_report_summary(body: &[u8]) -> Result<DecodedEvent, DecodeError> {
    let text = std::str::from_utf8(body).map_err(utf8_error)?;
    let start = text.len() - text.trim_start().len();
    let range = start..start + text.trim().len();
    check_object(body, &range, 0)?;
    let header: ReportSummaryHeader<'_> =
        serde_json::from_slice(&body[range.clone()]).map_err(json_error)?;
    if header.kind != REPORT_SUMMARY_KIND {
        return Err(DecodeError::NotJson(format!(
            "expected a {REPORT_SUMMARY_KIND} object, not kind `{}`",
            header.kind
        )));
    }
    if header.report_digest.is_empty() {
        return Err(DecodeError::MissingAuditId { index: 0 });
    }
    Ok(DecodedEvent {
        kind: EventKind::ReportSummary,
        audit_id: header.report_digest.into_owned(),
        stage: Stage::None,
        event_time_ns: header.generated_at.as_deref().and_then(parse_rfc3339_ns),
        sha256: Sha256::digest(&body[range.clone()]).into(),
        range,
    })
}

/// Decodes arbitrary bytes both ways; the body of the `audit_eventlist` fuzz target. It must
/// never panic.
pub fn fuzz_decode(data: &[u8]) {
    if let Ok(events) = decode_audit_events(data) {
        for e in &events {
            assert!(
                e.range.end <= data.len(),
                "event ranges stay inside the body"
            );
        }
    }
    let _ = decode_falco_alerts(data);
    if let Ok(e) = decode_report_summary(data) {
        assert!(
            e.range.end <= data.len(),
            "the summary stays inside the body"
        );
    }
}

#[cfg(test)]
mod report_summary_tests {
    use super::*;

    #[test]
    fn report_summaries_decode_by_digest_and_time() {
        let body = br#" {"kind":"kubepci.report-summary/v1","reportDigest":"sha256:ab","generatedAt":"2026-12-04T21:40:00Z"}
"#;
        let e = decode_report_summary(body).expect("a summary");
        assert_eq!(e.kind, EventKind::ReportSummary);
        assert_eq!(e.audit_id, "sha256:ab");
        assert_eq!(e.event_time_ns, Some(1_796_420_400_000_000_000));
        assert_eq!(&body[e.range.clone()][..1], b"{");
        assert!(decode_report_summary(br#"{"kind":"other","reportDigest":"x"}"#).is_err());
        assert!(
            decode_report_summary(br#"{"kind":"kubepci.report-summary/v1","reportDigest":""}"#)
                .is_err()
        );
        assert!(decode_report_summary(b"[1]").is_err());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eventlist_keeps_exact_bytes() {
        let body = br#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[ {"auditID":"a","stage":"ResponseComplete","stageTimestamp":"2024-01-02T03:04:05.123456Z", "x" : 1 },{"auditID":"b","stage":"Panic"}]}"#;
        let events = decode_audit_events(body).expect("valid list");
        assert_eq!(events.len(), 2);
        assert_eq!(
            &body[events[0].range.clone()],
            br#"{"auditID":"a","stage":"ResponseComplete","stageTimestamp":"2024-01-02T03:04:05.123456Z", "x" : 1 }"#
        );
        assert_eq!(events[0].stage, Stage::ResponseComplete);
        assert_eq!(events[0].event_time_ns, Some(1_704_164_645_123_456_000));
        assert_eq!(events[1].stage, Stage::Panic);
        assert_eq!(events[1].event_time_ns, None);
    }

    #[test]
    fn single_event_and_array() {
        let one = b"  {\"auditID\":\"x\",\"stage\":\"RequestReceived\"}\n";
        let events = decode_audit_events(one).expect("single event");
        assert_eq!(
            &one[events[0].range.clone()],
            b"{\"auditID\":\"x\",\"stage\":\"RequestReceived\"}"
        );
        let arr = b"[{\"auditID\":\"x\"},{\"auditID\":\"y\"}]";
        assert_eq!(decode_audit_events(arr).expect("array").len(), 2);
    }

    #[test]
    fn rejects_bad_bodies() {
        assert!(matches!(
            decode_audit_events(b"{\"kind\": 0}"),
            Err(DecodeError::MissingAuditId { index: 0 })
        ));
        assert!(matches!(
            decode_audit_events(b"[1]"),
            Err(DecodeError::NotAnObject { index: 0 })
        ));
        assert!(decode_audit_events(b"nope").is_err());
        assert!(decode_audit_events(b"{\"items\":[{\"auditID\":\"a\"}").is_err());
    }

    #[test]
    fn the_fast_header_scan_agrees_with_serde() {
        let cases: [&[u8]; 8] = [
            br#"{"auditID":"a","stage":"Panic","x":{"auditID":"nested"},"stageTimestamp":"2024-01-02T03:04:05Z"}"#,
            br#" { "a" : [1, {"b": "}"}], "auditID" : "b" , "n": -1.5e3, "t": true } "#,
            br#"{"auditID":"with "escape""}"#,
            br#"{"auditID":"escaped-key"}"#,
            br#"{"auditID":"x","auditID":"y"}"#,
            br#"{"auditID":null,"stage":"RequestReceived"}"#,
            br#"{"auditID":5}"#,
            br#"{}"#,
        ];
        for case in cases {
            let fast = scan_strings(case, [&b"auditID"[..], b"stage", b"stageTimestamp"]);
            let slow: Result<AuditHeader<'_>, _> = serde_json::from_slice(case);
            if let Some([id, stage, ts]) = fast {
                let slow = slow.expect("serde agrees the object is valid");
                assert_eq!(id, slow.audit_id.as_deref());
                assert_eq!(stage, slow.stage.as_deref());
                assert_eq!(ts, slow.stage_timestamp.as_deref());
            }
        }
        assert!(
            scan_strings(cases[2], [&b"auditID"[..]]).is_none(),
            "escapes fall back"
        );
        assert!(
            scan_strings(cases[4], [&b"auditID"[..]]).is_none(),
            "duplicates fall back"
        );
        assert_eq!(
            decode_audit_events(cases[3]).expect("serde decodes the escape")[0].audit_id,
            "escaped-key"
        );
        assert!(decode_audit_events(cases[4]).is_err());
        assert!(decode_audit_events(cases[6]).is_err());
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            "[a-z\"\\\\{}\\[\\]:, é\n]{0,12}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("auditID".to_owned()),
                        Just("stage".to_owned()),
                        Just("stageTimestamp".to_owned()),
                        "[a-z]{1,5}"
                    ],
                    inner,
                    0..5
                )
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn the_fast_scan_never_disagrees_with_serde(value in json_value(), pretty in proptest::prelude::any::<bool>()) {
            let text = if pretty {
                serde_json::to_string_pretty(&value).expect("serialises")
            } else {
                serde_json::to_string(&value).expect("serialises")
            };
            let bytes = text.as_bytes();
            if let Some([id, stage, ts]) = scan_strings(bytes, [&b"auditID"[..], b"stage", b"stageTimestamp"]) {
                let slow: AuditHeader<'_> = serde_json::from_slice(bytes).expect("the fast path only answers for objects serde reads");
                proptest::prop_assert_eq!(id, slow.audit_id.as_deref());
                proptest::prop_assert_eq!(stage, slow.stage.as_deref());
                proptest::prop_assert_eq!(ts, slow.stage_timestamp.as_deref());
            }
        }
    }

    #[test]
    fn falco_alerts() {
        let body = br#"[{"uuid":"u1","output":"x","time":"2024-01-02T03:04:05Z","rule":"r"},{"output":"no uuid"}]"#;
        let alerts = decode_falco_alerts(body).expect("valid alerts");
        assert_eq!(alerts[0].audit_id, "u1");
        assert_eq!(alerts[1].audit_id.len(), 64);
        assert_eq!(alerts[0].kind, EventKind::FalcoAlert);
    }
}
