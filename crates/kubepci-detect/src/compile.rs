//! Compiling a [`RuleSet`] into an [`Engine`]: conditions parsed, exceptions appended, macros
//! expanded, lists spliced, fields bound to their extractors and operands prepared (sets for
//! `in`, decoded bytes for `bcontains`), so that evaluating an event allocates nothing.
//!
//! Only rules of source `k8s_audit` are compiled; rules of other sources are counted and
//! skipped (their conditions are still parsed, and a syntax error there is a warning: those
//! rules are for other engines).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use crate::condition::{self, Expr, FieldRef, Op, Operand};
use crate::fields::{self, BoundField, FieldType};
use crate::loader::{Entry, ExceptionDef, LoadError, LoadWarning, Location, Piece, RuleSet};
use crate::priority::Priority;

/// The source whose rules kubepci runs.
pub const SOURCE: &str = "k8s_audit";

/// Deepest nesting of macros inside macros.
const MAX_MACRO_DEPTH: usize = 64;
/// Deepest compiled condition, macros expanded (evaluation recurses this deep).
const MAX_TREE_DEPTH: usize = 1_000;

/// Which matching rules raise an alert for one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Matching {
    /// Every matching rule (kubepci's default: each rule is its own piece of evidence).
    #[default]
    All,
    /// Only the first matching rule in load order (Falco's `rule_matching: first`).
    First,
}

/// Settings of an engine.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Rules below this priority are not run.
    pub min_priority: Priority,
    /// All matching rules, or the first.
    pub matching: Matching,
    /// The `hostname` of alerts.
    pub hostname: String,
    /// The value of `ka.cluster.name`.
    pub cluster_name: Option<String>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            min_priority: Priority::Debug,
            matching: Matching::All,
            hostname: String::new(),
            cluster_name: None,
        }
    }
}

/// A compiled node of a condition.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Node {
    /// Children `kids[start..start + len]`.
    And(u32, u32),
    Or(u32, u32),
    Not(u32),
    Check(u32),
}

/// The prepared right-hand side of a check.
#[derive(Debug, Clone)]
pub(crate) enum Rhs {
    None,
    Str(Box<str>),
    Bytes(Box<[u8]>),
    Num(u64),
    Set(HashSet<Box<str>>),
    NumSet(Vec<u64>),
    Prefixes(Vec<Box<str>>),
}

#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub(crate) slot: u32,
    pub(crate) op: Op,
    pub(crate) rhs: Rhs,
}

/// A piece of an output template.
#[derive(Debug, Clone)]
pub(crate) enum Segment {
    Text(String),
    Field(u32),
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// Its name.
    pub name: String,
    /// Its description.
    pub desc: String,
    /// Its priority.
    pub priority: Priority,
    /// Its tags.
    pub tags: Vec<String>,
    /// Where it was defined.
    pub at: Location,
    pub(crate) root: u32,
    pub(crate) output: Vec<Segment>,
    /// Slots of the output's fields, in order of first appearance.
    pub(crate) output_fields: Vec<u32>,
}

/// Compiled rules, ready to evaluate events (see [`crate::Detector`]). Shareable between
/// threads; each thread evaluates with its own detector.
#[derive(Debug)]
pub struct Engine {
    pub(crate) rules: Vec<CompiledRule>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) kids: Vec<u32>,
    pub(crate) checks: Vec<Check>,
    pub(crate) slots: Vec<BoundField>,
    pub(crate) denial_windows: Vec<u64>,
    pub(crate) denials: Mutex<crate::state::Denials>,
    pub(crate) options: EngineOptions,
    warnings: Vec<LoadWarning>,
    skipped: usize,
    disabled: usize,
}

impl Engine {
    /// The rules that run, in load order.
    #[must_use]
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// Rules of other sources that were loaded and skipped.
    #[must_use]
    pub fn skipped_rules(&self) -> usize {
        self.skipped
    }

    /// `k8s_audit` rules that are disabled or below the minimum priority.
    #[must_use]
    pub fn disabled_rules(&self) -> usize {
        self.disabled
    }

    /// Warnings from loading and compiling.
    #[must_use]
    pub fn warnings(&self) -> &[LoadWarning] {
        &self.warnings
    }

    /// The options the engine was built with.
    #[must_use]
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// Compiles the rules of `set`.
    ///
    /// # Errors
    /// A [`LoadError`] naming the file and line of the rule or macro at fault: a syntax error,
    /// an undefined macro or list, an unknown field, an operator the field does not take, an
    /// unknown field in an output.
    pub fn compile(set: &RuleSet, options: EngineOptions) -> Result<Engine, LoadError> {
        let mut b = Builder {
            set,
            nodes: Vec::new(),
            kids: Vec::new(),
            checks: Vec::new(),
            slots: Vec::new(),
            parsed_macros: HashMap::new(),
            expanding: Vec::new(),
            lists: HashMap::new(),
            depth: 0,
        };
        let mut warnings = set.warnings.clone();
        let mut rules = Vec::new();
        let mut skipped = 0;
        let mut disabled = 0;
        let mut used_macros: HashSet<String> = HashSet::new();
        for rule in &set.rules {
            let item = format!("rule {:?}: ", rule.name);
            if rule.source != SOURCE {
                skipped += 1;
                if let Err(e) = condition::parse(&join(&rule.condition)) {
                    warnings.push(LoadWarning {
                        location: locate(&rule.condition, e.offset),
                        message: format!(
                            "{item}condition of a {} rule does not parse here: {}",
                            rule.source, e.message
                        ),
                    });
                }
                continue;
            }
            let text = join(&rule.condition);
            let expr = condition::parse(&text).map_err(|e| LoadError {
                location: locate(&rule.condition, e.offset),
                item: item.clone(),
                message: format!("condition: {}", e.message),
            })?;
            let origin = Origin {
                item: item.clone(),
                pieces: rule.condition.clone(),
            };
            let cond = b.build(&expr, &origin)?;
            let mut all = vec![cond];
            for e in &rule.exceptions {
                if let Some(node) = b.exception(e, &item)? {
                    all.push(node);
                }
            }
            let root = if all.len() == 1 {
                all[0]
            } else {
                b.push_bool(true, &all)
            };
            used_macros.extend(b.parsed_macros.keys().cloned());
            let (output, output_fields) = b.output(&rule.output).map_err(|message| LoadError {
                location: rule.at.clone(),
                item: item.clone(),
                message: format!("output: {message}"),
            })?;
            if !rule.enabled || !rule.priority.at_least(options.min_priority) {
                disabled += 1;
                continue;
            }
            rules.push(CompiledRule {
                name: rule.name.clone(),
                desc: rule.desc.clone(),
                priority: rule.priority,
                tags: rule.tags.clone(),
                at: rule.at.clone(),
                root,
                output,
                output_fields,
            });
        }
        for (name, m) in &set.macros {
            if !used_macros.contains(name)
                && let Err(e) = condition::parse(&join(&m.condition))
            {
                warnings.push(LoadWarning {
                    location: locate(&m.condition, e.offset),
                    message: format!(
                        "macro {name:?} (unused by k8s_audit rules) does not parse: {}",
                        e.message
                    ),
                });
            }
        }
        let mut denial_windows: Vec<u64> = b
            .slots
            .iter()
            .filter(|s| s.def.name == "kubepci.user.denials")
            .map(|s| s.seconds)
            .collect();
        denial_windows.sort_unstable();
        denial_windows.dedup();
        Ok(Engine {
            rules,
            nodes: b.nodes,
            kids: b.kids,
            checks: b.checks,
            slots: b.slots,
            denials: Mutex::new(crate::state::Denials::new(
                denial_windows.last().copied().unwrap_or(0),
            )),
            denial_windows,
            options,
            warnings,
            skipped,
            disabled,
        })
    }
}

/// A condition's pieces joined as Falco joins appended conditions: with a space.
fn join(pieces: &[Piece]) -> String {
    let mut text = String::new();
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 {
            text.push(' ');
        }
        text.push_str(&p.text);
    }
    text
}

/// The file and line of byte `offset` of the joined condition.
fn locate(pieces: &[Piece], offset: usize) -> Location {
    let mut start = 0;
    for p in pieces {
        let end = start + p.text.len();
        if offset <= end {
            let local = offset - start;
            let newlines = p.text.as_bytes()[..local.min(p.text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            return Location {
                file: p.at.file.clone(),
                line: p.at.line + u32::try_from(newlines).unwrap_or(0),
            };
        }
        start = end + 1;
    }
    pieces.last().map_or_else(
        || Location {
            file: "".into(),
            line: 0,
        },
        |p| p.at.clone(),
    )
}

/// Where a condition being built came from, for error messages.
#[derive(Clone)]
struct Origin {
    item: String,
    pieces: Vec<Piece>,
}

impl Origin {
    fn err(&self, offset: usize, message: String) -> LoadError {
        LoadError {
            location: locate(&self.pieces, offset),
            item: self.item.clone(),
            message,
        }
    }
}

struct Builder<'a> {
    set: &'a RuleSet,
    nodes: Vec<Node>,
    kids: Vec<u32>,
    checks: Vec<Check>,
    slots: Vec<BoundField>,
    parsed_macros: HashMap<String, Expr>,
    expanding: Vec<String>,
    lists: HashMap<String, Vec<String>>,
    depth: usize,
}

fn idx(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Builder<'_> {
    fn push(&mut self, node: Node) -> u32 {
        self.nodes.push(node);
        idx(self.nodes.len() - 1)
    }

    fn push_bool(&mut self, and: bool, children: &[u32]) -> u32 {
        let start = idx(self.kids.len());
        self.kids.extend_from_slice(children);
        let len = idx(children.len());
        self.push(if and {
            Node::And(start, len)
        } else {
            Node::Or(start, len)
        })
    }

    fn build(&mut self, e: &Expr, origin: &Origin) -> Result<u32, LoadError> {
        self.depth += 1;
        if self.depth > MAX_TREE_DEPTH {
            self.depth -= 1;
            return Err(origin.err(0, format!("the condition nests deeper than {MAX_TREE_DEPTH} levels once its macros are expanded")));
        }
        let built = self.build_inner(e, origin);
        self.depth -= 1;
        built
    }

    fn build_inner(&mut self, e: &Expr, origin: &Origin) -> Result<u32, LoadError> {
        match e {
            Expr::And(children) | Expr::Or(children) => {
                let ids = children
                    .iter()
                    .map(|c| self.build(c, origin))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(self.push_bool(matches!(e, Expr::And(_)), &ids))
            }
            Expr::Not(child) => {
                let id = self.build(child, origin)?;
                Ok(self.push(Node::Not(id)))
            }
            Expr::Macro { name, pos } => self.expand_macro(name, *pos, origin),
            Expr::Check {
                field,
                op,
                operand,
                pos,
            } => {
                let check = self
                    .check(field, *op, operand)
                    .map_err(|m| origin.err(*pos, m))?;
                self.checks.push(check);
                let id = idx(self.checks.len() - 1);
                Ok(self.push(Node::Check(id)))
            }
        }
    }

    fn expand_macro(&mut self, name: &str, pos: usize, origin: &Origin) -> Result<u32, LoadError> {
        let Some(def) = self.set.macro_def(name) else {
            return Err(origin.err(pos, format!("undefined macro {name:?}")));
        };
        if self.expanding.iter().any(|m| m == name) || self.expanding.len() >= MAX_MACRO_DEPTH {
            return Err(origin.err(
                pos,
                format!(
                    "macro {name:?} refers to itself (through {})",
                    self.expanding.join(" -> ")
                ),
            ));
        }
        let inner = Origin {
            item: format!("macro {name:?}: "),
            pieces: def.condition.clone(),
        };
        let expr = match self.parsed_macros.get(name) {
            Some(e) => e.clone(),
            None => {
                let e = condition::parse(&join(&def.condition))
                    .map_err(|e| inner.err(e.offset, format!("condition: {}", e.message)))?;
                self.parsed_macros.insert(name.to_owned(), e.clone());
                e
            }
        };
        self.expanding.push(name.to_owned());
        let id = self.build(&expr, &inner);
        self.expanding.pop();
        id
    }

    /// The items of list `name`, lists inside it spliced in.
    fn list_items(&mut self, name: &str, depth: usize) -> Result<Option<Vec<String>>, String> {
        if let Some(items) = self.lists.get(name) {
            return Ok(Some(items.clone()));
        }
        let Some(def) = self.set.list(name) else {
            return Ok(None);
        };
        if depth > 32 {
            return Err(format!("list {name:?} refers to itself"));
        }
        let mut out = Vec::with_capacity(def.items.len());
        for item in &def.items {
            match self.list_items(item, depth + 1)? {
                Some(inner) if item != name => out.extend(inner),
                _ => out.push(item.clone()),
            }
        }
        self.lists.insert(name.to_owned(), out.clone());
        Ok(Some(out))
    }

    fn values(&mut self, operand: &Operand) -> Result<Vec<String>, String> {
        match operand {
            Operand::None => Ok(Vec::new()),
            Operand::Value(v) => Ok(vec![v.clone()]),
            Operand::List(items) => {
                let mut out = Vec::new();
                for item in items {
                    match self.list_items(item, 0)? {
                        Some(inner) => out.extend(inner),
                        None => out.push(item.clone()),
                    }
                }
                Ok(out)
            }
            Operand::ListRef(name) => self
                .list_items(name, 0)?
                .ok_or_else(|| format!("undefined list {name:?}")),
        }
    }

    fn slot(&mut self, field: &FieldRef) -> Result<u32, String> {
        let def = fields::field(&field.name)
            .ok_or_else(|| format!("unknown field '{}' for source k8s_audit", field.name))?;
        let bound = BoundField::bind(def, field.arg.as_deref())?;
        Ok(match self.slots.iter().position(|s| *s == bound) {
            Some(i) => idx(i),
            None => {
                self.slots.push(bound);
                idx(self.slots.len() - 1)
            }
        })
    }

    fn check(&mut self, field: &FieldRef, op: Op, operand: &Operand) -> Result<Check, String> {
        let slot = self.slot(field)?;
        let def = self.slots[slot as usize].def;
        let values = self.values(operand)?;
        if op == Op::Regex {
            return Err(format!("operator 'regex' is not supported (field {field})"));
        }
        let rhs = match (def.ty, op) {
            (_, Op::Exists) => Rhs::None,
            (FieldType::U64, Op::In | Op::Intersects) => Rhs::NumSet(
                values
                    .iter()
                    .map(|v| {
                        parse_number(v).ok_or_else(|| format!("{field}: {v:?} is not a number"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            (FieldType::U64, Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge) => {
                let v = one(&values, field, op)?;
                Rhs::Num(parse_number(v).ok_or_else(|| format!("{field}: {v:?} is not a number"))?)
            }
            (FieldType::U64, _) => {
                return Err(format!(
                    "operator '{op}' does not apply to the numeric field {field}"
                ));
            }
            (FieldType::Str, Op::In | Op::Intersects) => {
                Rhs::Set(values.into_iter().map(String::into_boxed_str).collect())
            }
            (FieldType::Str, Op::Pmatch) => {
                Rhs::Prefixes(values.into_iter().map(String::into_boxed_str).collect())
            }
            (FieldType::Str, Op::BContains | Op::BStartsWith) => {
                let v = one(&values, field, op)?;
                Rhs::Bytes(
                    unhex(v)
                        .ok_or_else(|| format!("{op} takes hexadecimal bytes, not {v:?}"))?
                        .into(),
                )
            }
            (FieldType::Str, _) => Rhs::Str(one(&values, field, op)?.into()),
        };
        Ok(Check { slot, op, rhs })
    }

    /// `not (...)` for one exception, or `None` when it has no values.
    fn exception(&mut self, e: &ExceptionDef, item: &str) -> Result<Option<u32>, LoadError> {
        let origin = Origin {
            item: format!("{item}exception {:?}: ", e.name),
            pieces: vec![Piece {
                text: String::new(),
                at: e.at.clone(),
            }],
        };
        if e.values.is_empty() {
            return Ok(None);
        }
        let err = |m: String| origin.err(0, m);
        let field_ref = |text: &str| -> Result<FieldRef, LoadError> {
            let (name, arg) = match text.split_once('[') {
                Some((n, rest)) => (n, Some(rest.trim_end_matches(']').to_owned())),
                None => (text, None),
            };
            Ok(FieldRef {
                name: name.trim().to_owned(),
                arg,
            })
        };
        let to_operand = |v: &Entry, list: bool| -> Operand {
            match v {
                Entry::One(s) if list => Operand::List(vec![s.clone()]),
                Entry::One(s) => Operand::Value(s.clone()),
                Entry::Many(items) => Operand::List(
                    items
                        .iter()
                        .filter_map(|i| match i {
                            Entry::One(s) => Some(s.clone()),
                            Entry::Many(_) => None,
                        })
                        .collect(),
                ),
            }
        };
        let mut alternatives = Vec::new();
        match &e.fields {
            Some(Entry::One(f)) => {
                let op = match &e.comps {
                    Some(Entry::One(c)) => Op::parse(c).unwrap_or(Op::In),
                    _ => Op::In,
                };
                let values: Vec<String> = e
                    .values
                    .iter()
                    .flat_map(|v| match v {
                        Entry::One(s) => vec![s.clone()],
                        Entry::Many(items) => items
                            .iter()
                            .filter_map(|i| match i {
                                Entry::One(s) => Some(s.clone()),
                                Entry::Many(_) => None,
                            })
                            .collect(),
                    })
                    .collect();
                let check = self
                    .check(&field_ref(f)?, op, &Operand::List(values))
                    .map_err(err)?;
                self.checks.push(check);
                let id = idx(self.checks.len() - 1);
                alternatives.push(self.push(Node::Check(id)));
            }
            Some(Entry::Many(fields)) => {
                let ops: Vec<Op> = match &e.comps {
                    Some(Entry::Many(c)) => c
                        .iter()
                        .map(|x| match x {
                            Entry::One(s) => Op::parse(s).unwrap_or(Op::Eq),
                            Entry::Many(_) => Op::Eq,
                        })
                        .collect(),
                    _ => vec![Op::Eq; fields.len()],
                };
                for value in &e.values {
                    let Entry::Many(tuple) = value else {
                        return Err(err("each value of a multi-field exception is a list".into()));
                    };
                    let mut conj = Vec::new();
                    for ((f, op), v) in fields.iter().zip(&ops).zip(tuple) {
                        let Entry::One(f) = f else {
                            return Err(err("fields must be names".into()));
                        };
                        let check = self
                            .check(&field_ref(f)?, *op, &to_operand(v, op.takes_list()))
                            .map_err(err)?;
                        self.checks.push(check);
                        let id = idx(self.checks.len() - 1);
                        conj.push(self.push(Node::Check(id)));
                    }
                    alternatives.push(if conj.len() == 1 {
                        conj[0]
                    } else {
                        self.push_bool(true, &conj)
                    });
                }
            }
            None => return Err(err("an exception needs 'fields'".into())),
        }
        let any = if alternatives.len() == 1 {
            alternatives[0]
        } else {
            self.push_bool(false, &alternatives)
        };
        Ok(Some(self.push(Node::Not(any))))
    }

    /// Parses an output template: `%field` and `%field[arg]` become values, the rest is text.
    fn output(&mut self, template: &str) -> Result<(Vec<Segment>, Vec<u32>), String> {
        let mut segments = Vec::new();
        let mut fields = Vec::new();
        let mut text = String::new();
        let mut rest = template;
        while let Some(at) = rest.find('%') {
            text.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            if let Some(tail) = after.strip_prefix('%') {
                text.push('%');
                rest = tail;
                continue;
            }
            let Some(def) = fields::longest_prefix(after) else {
                if after.starts_with(|c: char| c.is_ascii_alphabetic()) {
                    let name: String = after
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_'))
                        .collect();
                    return Err(format!("unknown field '{name}'"));
                }
                text.push('%');
                rest = after;
                continue;
            };
            let mut tail = &after[def.name.len()..];
            let arg = if let Some(inner) = tail.strip_prefix('[') {
                let end = inner
                    .find(']')
                    .ok_or_else(|| format!("unclosed '[' after {}", def.name))?;
                tail = &inner[end + 1..];
                Some(inner[..end].to_owned())
            } else {
                None
            };
            let slot = self.slot(&FieldRef {
                name: def.name.to_owned(),
                arg,
            })?;
            if !text.is_empty() {
                segments.push(Segment::Text(std::mem::take(&mut text)));
            }
            segments.push(Segment::Field(slot));
            if !fields.contains(&slot) {
                fields.push(slot);
            }
            rest = tail;
        }
        text.push_str(rest);
        if !text.is_empty() {
            segments.push(Segment::Text(text));
        }
        Ok((segments, fields))
    }
}

fn one<'v>(values: &'v [String], field: &FieldRef, op: Op) -> Result<&'v str, String> {
    match values {
        [v] => Ok(v),
        _ => Err(format!("{field} {op} takes one value")),
    }
}

fn parse_number(text: &str) -> Option<u64> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    t.strip_prefix('+').unwrap_or(t).parse().ok()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks(2)
        .map(|pair| {
            let h = (pair[0] as char).to_digit(16)?;
            let l = (pair[1] as char).to_digit(16)?;
            u8::try_from(h * 16 + l).ok()
        })
        .collect()
}
