//! Evaluating events and building alerts.
//!
//! A [`Detector`] holds everything one thread needs to evaluate events: the parser's buffers,
//! the extracted values and a per-field cache. All of it is reused from event to event, so
//! evaluating an event that raises no alert allocates nothing once the buffers have grown.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::compile::{Engine, Matching, Node, Rhs, Segment};
use crate::condition::Op;
use crate::fields::{EventInfo, FieldType, Values, extract};
use crate::json::{J, Parsed};
use crate::matching::{contains_ignore_case, glob_match, path_prefix_match};
use crate::priority::Priority;

/// An alert in falcosidekick's `FalcoPayload` shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// A stable ID: the same rule on the same event (source, auditID, stage) always gets the
    /// same one, so a re-sent event never yields a second alert in the store.
    pub uuid: String,
    /// `HH:MM:SS.nnnnnnnnn: Priority text`, as Falco prints it. Card numbers are masked.
    pub output: String,
    /// The rule's priority.
    pub priority: Priority,
    /// The rule's name.
    pub rule: String,
    /// The event time, RFC 3339 with nanoseconds.
    pub time: String,
    /// The output's fields and their values (`null` when not available).
    pub output_fields: Map<String, Value>,
    /// `k8s_audit`.
    pub source: String,
    /// The rule's tags.
    pub tags: Vec<String>,
    /// The host that raised the alert.
    pub hostname: String,
}

/// An event that cannot be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The bytes are not JSON.
    #[error("not valid JSON")]
    NotJson,
    /// JSON, but not a Kubernetes audit event object.
    #[error("data not recognised as a Kubernetes audit event")]
    NotAnEvent,
}

/// Who sent an event and when it arrived, for alert IDs and times.
#[derive(Debug, Clone, Copy)]
pub struct EventMeta<'a> {
    /// The event's source in the store (the apiserver's identity, `file:<path>`).
    pub source: &'a str,
    /// When it was received (Unix ns): the alert time when the event has no timestamp.
    pub received_ns: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Unknown,
    Missing,
    Have(u32, u32),
}

/// Evaluates events against an [`Engine`], one thread each.
pub struct Detector<'e> {
    engine: &'e Engine,
    parsed: Parsed,
    values: Values,
    slots: Vec<Slot>,
    denials: Vec<(u64, u64)>,
}

impl std::fmt::Debug for Detector<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector").finish_non_exhaustive()
    }
}

/// Parses an RFC 3339 timestamp to Unix nanoseconds.
pub(crate) fn parse_time_ns(text: &str) -> Option<i64> {
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos()).ok()
}

/// Formats Unix nanoseconds as RFC 3339 with nine fractional digits.
#[must_use]
pub fn format_time_ns(ns: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns)) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.nanosecond()
        ),
        Err(_) => ns.to_string(),
    }
}

/// Masks every card number in `text` (first 6 and last 4 digits kept).
#[must_use]
pub fn mask_card_numbers(text: &str) -> Option<String> {
    let found = kubepci_pan::find(text);
    if found.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in found {
        out.push_str(&text[last..m.start]);
        out.push_str(&m.masked());
        last = m.end;
    }
    out.push_str(&text[last..]);
    Some(out)
}

fn denied(root: J<'_, '_>) -> bool {
    root.path(&["annotations", "authorization.k8s.io/decision"])
        .and_then(J::as_str)
        == Some("forbid")
        || matches!(
            root.path(&["responseStatus", "code"]).and_then(J::as_u64),
            Some(401 | 403)
        )
}

impl<'e> Detector<'e> {
    /// A detector for `engine`.
    #[must_use]
    pub fn new(engine: &'e Engine) -> Self {
        Self {
            engine,
            parsed: Parsed::default(),
            values: Values::default(),
            slots: vec![Slot::Unknown; engine.slots.len()],
            denials: Vec::with_capacity(engine.denial_windows.len()),
        }
    }

    /// Evaluates one audit event (a JSON object) and appends an alert per matching rule to
    /// `alerts` (only the first with [`Matching::First`]). Returns how many were appended.
    ///
    /// # Errors
    /// [`EventError`] when the bytes are not a JSON object.
    pub fn detect(
        &mut self,
        event: &[u8],
        meta: &EventMeta<'_>,
        alerts: &mut Vec<Alert>,
    ) -> Result<usize, EventError> {
        let Detector {
            engine,
            parsed,
            values,
            slots,
            denials,
        } = self;
        let engine: &Engine = engine;
        parsed
            .with(event, |root| {
                if !root.is_object() {
                    return Err(EventError::NotAnEvent);
                }
                if let Some(kind) = root.get("kind")
                    && kind.as_str() != Some("Event")
                {
                    return Err(EventError::NotAnEvent);
                }
                let time_ns = root
                    .get("stageTimestamp")
                    .or_else(|| root.get("requestReceivedTimestamp"))
                    .and_then(J::as_str)
                    .and_then(parse_time_ns);
                denials.clear();
                if !engine.denial_windows.is_empty()
                    && let (Some(t), Some(user)) = (
                        time_ns,
                        root.path(&["user", "username"]).and_then(J::as_str),
                    )
                    && root
                        .get("stage")
                        .and_then(J::as_str)
                        .is_none_or(|s| s == "ResponseComplete")
                    && denied(root)
                {
                    let audit_id = root.get("auditID").and_then(J::as_str).unwrap_or("");
                    if let Ok(mut state) = engine.denials.lock() {
                        state.record(
                            user,
                            audit_id,
                            u64::try_from(t).unwrap_or(0),
                            &engine.denial_windows,
                            denials,
                        );
                    }
                }
                let info = EventInfo {
                    time_ns: time_ns.and_then(|t| u64::try_from(t).ok()),
                    cluster_name: engine.options.cluster_name.as_deref(),
                    denials,
                };
                values.clear();
                slots.iter_mut().for_each(|s| *s = Slot::Unknown);
                let mut ctx = Ctx {
                    engine,
                    root,
                    info: &info,
                    values,
                    slots,
                };
                let mut raised = 0;
                for rule in &engine.rules {
                    if ctx.eval(rule.root) {
                        alerts.push(ctx.alert(rule, event, meta, time_ns));
                        raised += 1;
                        if engine.options.matching == Matching::First {
                            break;
                        }
                    }
                }
                Ok(raised)
            })
            .map_err(|()| EventError::NotJson)?
    }
}

struct Ctx<'a, 't, 'i> {
    engine: &'a Engine,
    root: J<'t, 'i>,
    info: &'a EventInfo<'a>,
    values: &'a mut Values,
    slots: &'a mut [Slot],
}

impl Ctx<'_, '_, '_> {
    fn fetch(&mut self, slot: u32) -> Option<(u32, u32)> {
        let s = slot as usize;
        match self.slots[s] {
            Slot::Have(a, b) => Some((a, b)),
            Slot::Missing => None,
            Slot::Unknown => {
                let start = self.values.spans.len();
                let ok = extract(&self.engine.slots[s], self.root, self.info, self.values);
                let end = self.values.spans.len();
                let state = if ok {
                    Slot::Have(
                        u32::try_from(start).unwrap_or(0),
                        u32::try_from(end).unwrap_or(0),
                    )
                } else {
                    self.values.spans.truncate(start);
                    Slot::Missing
                };
                self.slots[s] = state;
                match state {
                    Slot::Have(a, b) => Some((a, b)),
                    _ => None,
                }
            }
        }
    }

    fn eval(&mut self, node: u32) -> bool {
        match self.engine.nodes[node as usize] {
            Node::And(start, len) => {
                (start..start + len).all(|k| self.eval(self.engine.kids[k as usize]))
            }
            Node::Or(start, len) => {
                (start..start + len).any(|k| self.eval(self.engine.kids[k as usize]))
            }
            Node::Not(child) => !self.eval(child),
            Node::Check(c) => self.check(c),
        }
    }

    fn check(&mut self, c: u32) -> bool {
        let check = &self.engine.checks[c as usize];
        let Some((start, end)) = self.fetch(check.slot) else {
            return false;
        };
        let field = &self.engine.slots[check.slot as usize];
        let values = &*self.values;
        let value = |i: u32| values.get(i as usize);
        if check.op == Op::Exists {
            return true;
        }
        if field.def.list {
            let mut all = (start..end).map(value);
            return match (&check.rhs, check.op) {
                (Rhs::Set(set), Op::In) => all.all(|v| set.contains(v)),
                (Rhs::Set(set), Op::Intersects) => all.any(|v| set.contains(v)),
                (Rhs::Prefixes(p), Op::Pmatch) => {
                    all.all(|v| p.iter().any(|p| path_prefix_match(p, v)))
                }
                // Falco's original k8s_audit engine: a list `contains` a value it holds.
                (Rhs::Str(x), Op::Contains) => all.any(|v| v == &**x),
                // Any other operator: some value satisfies it.
                (rhs, op) => all.any(|v| compare(op, rhs, v, field.def.ty)),
            };
        }
        compare(check.op, &check.rhs, value(start), field.def.ty)
    }

    /// The text of a field in an output: `<NA>` when not available, `(a,b)` for lists.
    fn render(&mut self, slot: u32, out: &mut String) {
        match self.fetch(slot) {
            None => out.push_str("<NA>"),
            Some((a, b)) => {
                let list = self.engine.slots[slot as usize].def.list;
                if list {
                    out.push('(');
                }
                for i in a..b {
                    if i > a {
                        out.push(',');
                    }
                    out.push_str(self.values.get(i as usize));
                }
                if list {
                    out.push(')');
                }
            }
        }
    }

    fn json_value(&mut self, slot: u32) -> Value {
        let Some((a, b)) = self.fetch(slot) else {
            return Value::Null;
        };
        let def = self.engine.slots[slot as usize].def;
        let one = |v: &str| -> Value {
            if def.ty == FieldType::U64
                && let Ok(n) = v.parse::<u64>()
            {
                return Value::from(n);
            }
            Value::String(mask_card_numbers(v).unwrap_or_else(|| v.to_owned()))
        };
        if def.list {
            Value::Array((a..b).map(|i| one(self.values.get(i as usize))).collect())
        } else {
            one(self.values.get(a as usize))
        }
    }

    fn alert(
        &mut self,
        rule: &crate::compile::CompiledRule,
        event: &[u8],
        meta: &EventMeta<'_>,
        time_ns: Option<i64>,
    ) -> Alert {
        let t = time_ns.unwrap_or(meta.received_ns);
        let mut text = String::new();
        for seg in &rule.output {
            match seg {
                Segment::Text(s) => text.push_str(s),
                Segment::Field(slot) => self.render(*slot, &mut text),
            }
        }
        let text = mask_card_numbers(&text).unwrap_or(text);
        let clock = format_time_ns(t);
        let hms = clock.get(11..29).unwrap_or("00:00:00.000000000");
        let output = format!("{hms}: {} {}", rule.priority, text.trim_end());
        let mut output_fields = Map::new();
        output_fields.insert("evt.time".into(), Value::from(t));
        for &slot in &rule.output_fields {
            let key = self.engine.slots[slot as usize].display.to_string();
            let value = self.json_value(slot);
            output_fields.insert(key, value);
        }
        let audit_id = self.root.get("auditID").and_then(J::as_str);
        let stage = self.root.get("stage").and_then(J::as_str).unwrap_or("");
        let mut h = Sha256::new();
        h.update(b"kubepci-alert\n");
        h.update(meta.source.as_bytes());
        h.update(b"\n");
        match audit_id {
            Some(id) => h.update(id.as_bytes()),
            None => h.update(Sha256::digest(event)),
        }
        h.update(b"\n");
        h.update(stage.as_bytes());
        h.update(b"\n");
        h.update(rule.name.as_bytes());
        let digest: [u8; 32] = h.finalize().into();
        Alert {
            uuid: uuid8(&digest),
            output,
            priority: rule.priority,
            rule: rule.name.clone(),
            time: clock,
            output_fields,
            source: crate::compile::SOURCE.to_owned(),
            tags: rule.tags.clone(),
            hostname: self.engine.options.hostname.clone(),
        }
    }
}

/// Applies an operator to one value of a field.
fn compare(op: Op, rhs: &Rhs, v: &str, ty: FieldType) -> bool {
    if ty == FieldType::U64 {
        let Ok(n) = v.parse::<u64>() else {
            return false;
        };
        return match (rhs, op) {
            (Rhs::Num(x), Op::Eq) => n == *x,
            (Rhs::Num(x), Op::Ne) => n != *x,
            (Rhs::Num(x), Op::Lt) => n < *x,
            (Rhs::Num(x), Op::Le) => n <= *x,
            (Rhs::Num(x), Op::Gt) => n > *x,
            (Rhs::Num(x), Op::Ge) => n >= *x,
            (Rhs::NumSet(set), Op::In | Op::Intersects) => set.contains(&n),
            _ => false,
        };
    }

    match (rhs, op) {
        (Rhs::Str(x), Op::Eq) => v == &**x,
        (Rhs::Str(x), Op::Ne) => v != &**x,
        (Rhs::Str(x), Op::Lt) => v < &**x,
        (Rhs::Str(x), Op::Le) => v <= &**x,
        (Rhs::Str(x), Op::Gt) => v > &**x,
        (Rhs::Str(x), Op::Ge) => v >= &**x,
        (Rhs::Str(x), Op::Contains) => v.contains(&**x),
        (Rhs::Str(x), Op::IContains) => contains_ignore_case(v, x),
        (Rhs::Str(x), Op::StartsWith) => v.starts_with(&**x),
        (Rhs::Str(x), Op::EndsWith) => v.ends_with(&**x),
        (Rhs::Str(x), Op::Glob) => glob_match(x, v, false),
        (Rhs::Str(x), Op::IGlob) => glob_match(x, v, true),
        (Rhs::Bytes(b), Op::BContains) => v.as_bytes().windows(b.len().max(1)).any(|w| w == &**b),
        (Rhs::Bytes(b), Op::BStartsWith) => v.as_bytes().starts_with(b),
        (Rhs::Set(set), Op::In | Op::Intersects) => set.contains(v),
        (Rhs::Prefixes(p), Op::Pmatch) => p.iter().any(|p| path_prefix_match(p, v)),
        _ => false,
    }
}

/// A UUID (version 8, RFC 9562) made of the first 16 bytes of a digest.
fn uuid8(digest: &[u8; 32]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        let _ = write!(s, "{byte:02x}");
    }
    s
}
