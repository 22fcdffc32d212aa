//! Reading Falco rule files: lists, macros, rules, exceptions, `append` and `override`,
//! `enabled`, `required_engine_version`, in Falco's order and with its merging rules.
//!
//! Files are read one after the other into a [`RuleSet`]; later items redefine, append to or
//! override earlier ones. Conditions are kept as text pieces (an `append` adds a piece) and
//! parsed by the compiler, which needs the whole set to resolve macros and lists.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::condition::Op;
use crate::priority::Priority;
use crate::yaml::{YNode, YValue, parse_stream};

/// The Falco engine version whose rule-file format this loader reads.
pub const ENGINE_VERSION: (u64, u64, u64) = (0, 37, 0);

/// Where something was defined: a file and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file name as given to [`RuleSet::load`].
    pub file: Arc<str>,
    /// The 1-based line.
    pub line: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A rule file that cannot be loaded or compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {item}{message}")]
pub struct LoadError {
    /// Where.
    pub location: Location,
    /// `rule "Name": ` or `macro "name": `, or empty.
    pub item: String,
    /// What is wrong.
    pub message: String,
}

/// Something worth telling that does not stop loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadWarning {
    /// Where.
    pub location: Location,
    /// What.
    pub message: String,
}

impl fmt::Display for LoadWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// A piece of a condition and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Piece {
    pub(crate) text: String,
    pub(crate) at: Location,
}

#[derive(Debug, Clone)]
pub(crate) struct ListDef {
    pub(crate) items: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct MacroDef {
    pub(crate) condition: Vec<Piece>,
}

/// An exception's `fields`, `comps` or one of its `values`: a value or a list of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    One(String),
    Many(Vec<Entry>),
}

#[derive(Debug, Clone)]
pub(crate) struct ExceptionDef {
    pub(crate) name: String,
    pub(crate) fields: Option<Entry>,
    pub(crate) comps: Option<Entry>,
    pub(crate) values: Vec<Entry>,
    pub(crate) at: Location,
}

/// A rule as collected from the files.
#[derive(Debug, Clone)]
pub struct RuleDef {
    /// The rule's name.
    pub name: String,
    pub(crate) condition: Vec<Piece>,
    /// The output template.
    pub output: String,
    /// The description.
    pub desc: String,
    /// The priority.
    pub priority: Priority,
    /// The event source (`syscall` when not given).
    pub source: String,
    /// Tags, in order, without repetition.
    pub tags: Vec<String>,
    /// Whether the rule runs.
    pub enabled: bool,
    pub(crate) exceptions: Vec<ExceptionDef>,
    /// Where it was first defined.
    pub at: Location,
}

/// Lists, macros and rules collected from rule files, in definition order.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub(crate) lists: Vec<(String, ListDef)>,
    pub(crate) macros: Vec<(String, MacroDef)>,
    pub(crate) rules: Vec<RuleDef>,
    list_index: HashMap<String, usize>,
    macro_index: HashMap<String, usize>,
    rule_index: HashMap<String, usize>,
    pub(crate) warnings: Vec<LoadWarning>,
}

/// How an `override` changes one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Append,
    Replace,
}

struct Reader<'a> {
    file: &'a Arc<str>,
}

impl Reader<'_> {
    fn at(&self, line: u32) -> Location {
        Location {
            file: self.file.clone(),
            line,
        }
    }

    fn err(&self, line: u32, item: &str, message: impl Into<String>) -> LoadError {
        LoadError {
            location: self.at(line),
            item: item.to_owned(),
            message: message.into(),
        }
    }
}

fn scalar_text(node: &YNode) -> Option<String> {
    node.scalar().map(str::to_owned)
}

fn entry(node: &YNode) -> Option<Entry> {
    match &node.value {
        YValue::Scalar { text, .. } => Some(Entry::One(text.clone())),
        YValue::Seq(items) => items
            .iter()
            .map(entry)
            .collect::<Option<Vec<_>>>()
            .map(Entry::Many),
        YValue::Map(_) => None,
    }
}

/// Parses a semantic version or Falco's older single-number engine version (`15` is `0.15.0`).
fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let text = text.trim();
    if let Ok(minor) = text.parse::<u64>() {
        return Some((0, minor, 0));
    }
    let core = text.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

impl RuleSet {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Warnings collected while loading (unknown items, deprecated `append`).
    #[must_use]
    pub fn warnings(&self) -> &[LoadWarning] {
        &self.warnings
    }

    /// The rules, in definition order.
    #[must_use]
    pub fn rules(&self) -> &[RuleDef] {
        &self.rules
    }

    pub(crate) fn list(&self, name: &str) -> Option<&ListDef> {
        self.list_index.get(name).map(|&i| &self.lists[i].1)
    }

    pub(crate) fn macro_def(&self, name: &str) -> Option<&MacroDef> {
        self.macro_index.get(name).map(|&i| &self.macros[i].1)
    }

    /// Reads one rule file. `file` names it in errors.
    ///
    /// # Errors
    /// A [`LoadError`] with the file, the line and the item: YAML errors, items of the wrong
    /// shape, missing required keys, an `append` to something undefined, an engine version this
    /// loader does not read.
    pub fn load(&mut self, file: &str, text: &str) -> Result<(), LoadError> {
        let file: Arc<str> = file.into();
        let r = Reader { file: &file };
        let docs = parse_stream(text).map_err(|e| r.err(e.line, "", e.message))?;
        for doc in docs {
            let items = match &doc.value {
                YValue::Seq(items) => items,
                _ if doc.is_null() => continue,
                _ => {
                    return Err(r.err(
                        doc.line,
                        "",
                        "a rules file must be a YAML sequence of items",
                    ));
                }
            };
            for item in items {
                if item.is_null() {
                    // yaml-cpp reads a lone `-` as an empty item, and Falco skips it.
                    self.warnings.push(LoadWarning {
                        location: r.at(item.line),
                        message: "empty item, ignored".into(),
                    });
                    continue;
                }
                if !matches!(item.value, YValue::Map(_)) {
                    return Err(r.err(
                        item.line,
                        "",
                        "each item of a rules file must be a mapping",
                    ));
                }
                self.item(&r, item)?;
            }
        }
        Ok(())
    }

    fn item(&mut self, r: &Reader<'_>, item: &YNode) -> Result<(), LoadError> {
        if let Some(v) = item.get("required_engine_version") {
            let text = v.scalar().unwrap_or_default();
            let required = parse_version(text).ok_or_else(|| {
                r.err(
                    v.line,
                    "",
                    format!("required_engine_version {text:?} is not a version"),
                )
            })?;
            if required > ENGINE_VERSION {
                let (a, b, c) = ENGINE_VERSION;
                return Err(r.err(
                    v.line,
                    "",
                    format!("the rules require engine version {text}; kubepci reads Falco's rule format up to {a}.{b}.{c}"),
                ));
            }
            return Ok(());
        }
        if item.get("required_plugin_versions").is_some() {
            // The k8saudit and json plugins' fields are built in.
            return Ok(());
        }
        if let Some(name) = item.get("list") {
            return self.list_item(r, item, name);
        }
        if let Some(name) = item.get("macro") {
            return self.macro_item(r, item, name);
        }
        if let Some(name) = item.get("rule") {
            return self.rule_item(r, item, name);
        }
        let keys: Vec<&str> = item.entries().iter().map(|(k, _, _)| k.as_str()).collect();
        self.warnings.push(LoadWarning {
            location: r.at(item.line),
            message: format!("unknown top-level item with keys {keys:?}, ignored"),
        });
        Ok(())
    }

    /// Reads `append` and `override`; returns the override modes by key.
    fn modes(
        &mut self,
        r: &Reader<'_>,
        item: &YNode,
        what: &str,
        allowed_append: &[&str],
        allowed_replace: &[&str],
    ) -> Result<(bool, Vec<(String, Mode)>), LoadError> {
        let append = match item.get("append") {
            Some(v) => v
                .as_bool()
                .ok_or_else(|| r.err(v.line, what, "append must be true or false"))?,
            None => false,
        };
        let Some(ov) = item.get("override") else {
            if append {
                self.warnings.push(LoadWarning {
                    location: r.at(item.line),
                    message: format!("{what}'append' is deprecated; use 'override'"),
                });
            }
            return Ok((append, Vec::new()));
        };
        if append {
            return Err(r.err(
                ov.line,
                what,
                "'append' and 'override' cannot be used together",
            ));
        }
        if !matches!(ov.value, YValue::Map(_)) {
            return Err(r.err(ov.line, what, "override must map keys to append or replace"));
        }
        let mut modes = Vec::new();
        for (key, line, value) in ov.entries() {
            let mode = match value.scalar() {
                Some("append") => Mode::Append,
                Some("replace") => Mode::Replace,
                _ => {
                    return Err(r.err(
                        *line,
                        what,
                        format!("override of {key:?} must be append or replace"),
                    ));
                }
            };
            let allowed = match mode {
                Mode::Append => allowed_append,
                Mode::Replace => allowed_replace,
            };
            if !allowed.contains(&key.as_str()) {
                return Err(r.err(
                    *line,
                    what,
                    format!(
                        "key {key:?} cannot be overridden with {}",
                        if mode == Mode::Append {
                            "append"
                        } else {
                            "replace"
                        }
                    ),
                ));
            }
            if item.get(key).is_none() {
                return Err(r.err(
                    *line,
                    what,
                    format!("override names {key:?} but the item does not give it"),
                ));
            }
            modes.push((key.clone(), mode));
        }
        Ok((false, modes))
    }

    fn list_item(&mut self, r: &Reader<'_>, item: &YNode, name: &YNode) -> Result<(), LoadError> {
        let name_text = scalar_text(name)
            .ok_or_else(|| r.err(name.line, "", "a list name must be a string"))?;
        let what = format!("list {name_text:?}: ");
        let (append, modes) = self.modes(r, item, &what, &["items"], &["items"])?;
        let items_node = item
            .get("items")
            .ok_or_else(|| r.err(item.line, &what, "a list needs 'items'"))?;
        let items: Vec<String> = match &items_node.value {
            YValue::Seq(values) => values
                .iter()
                .map(|v| {
                    scalar_text(v).ok_or_else(|| r.err(v.line, &what, "list items must be scalars"))
                })
                .collect::<Result<_, _>>()?,
            _ if items_node.is_null() => Vec::new(),
            _ => return Err(r.err(items_node.line, &what, "items must be a sequence")),
        };
        let mode = if append {
            Some(Mode::Append)
        } else {
            modes.first().map(|(_, m)| *m)
        };
        match (mode, self.list_index.get(&name_text)) {
            (Some(Mode::Append), Some(&i)) => self.lists[i].1.items.extend(items),
            (Some(Mode::Replace), Some(&i)) => self.lists[i].1.items = items,
            (Some(_), None) => {
                return Err(r.err(
                    item.line,
                    &what,
                    "appends to or overrides a list that is not defined before",
                ));
            }
            (None, existing) => {
                let def = ListDef { items };
                match existing {
                    Some(&i) => self.lists[i].1 = def,
                    None => {
                        self.list_index.insert(name_text.clone(), self.lists.len());
                        self.lists.push((name_text, def));
                    }
                }
            }
        }
        Ok(())
    }

    fn macro_item(&mut self, r: &Reader<'_>, item: &YNode, name: &YNode) -> Result<(), LoadError> {
        let name_text = scalar_text(name)
            .ok_or_else(|| r.err(name.line, "", "a macro name must be a string"))?;
        let what = format!("macro {name_text:?}: ");
        let (append, modes) = self.modes(r, item, &what, &["condition"], &["condition"])?;
        let cond = item
            .get("condition")
            .ok_or_else(|| r.err(item.line, &what, "a macro needs a 'condition'"))?;
        let piece = Piece {
            text: scalar_text(cond)
                .ok_or_else(|| r.err(cond.line, &what, "condition must be a string"))?,
            at: r.at(cond.line),
        };
        let mode = if append {
            Some(Mode::Append)
        } else {
            modes.first().map(|(_, m)| *m)
        };
        match (mode, self.macro_index.get(&name_text)) {
            (Some(Mode::Append), Some(&i)) => self.macros[i].1.condition.push(piece),
            (Some(Mode::Replace), Some(&i)) => self.macros[i].1.condition = vec![piece],
            (Some(_), None) => {
                return Err(r.err(
                    item.line,
                    &what,
                    "appends to or overrides a macro that is not defined before",
                ));
            }
            (None, existing) => {
                let def = MacroDef {
                    condition: vec![piece],
                };
                match existing {
                    Some(&i) => self.macros[i].1 = def,
                    None => {
                        self.macro_index
                            .insert(name_text.clone(), self.macros.len());
                        self.macros.push((name_text, def));
                    }
                }
            }
        }
        Ok(())
    }

    fn exceptions(
        &self,
        r: &Reader<'_>,
        node: &YNode,
        what: &str,
    ) -> Result<Vec<ExceptionDef>, LoadError> {
        let YValue::Seq(items) = &node.value else {
            return Err(r.err(node.line, what, "exceptions must be a sequence"));
        };
        let mut out: Vec<ExceptionDef> = Vec::new();
        for e in items {
            let name = e
                .get("name")
                .and_then(scalar_text)
                .ok_or_else(|| r.err(e.line, what, "an exception needs a 'name'"))?;
            let bad = |key: &str, line: u32| {
                r.err(
                    line,
                    what,
                    format!("exception {name:?}: {key} must be a value or a list"),
                )
            };
            let fields = e
                .get("fields")
                .map(|f| entry(f).ok_or_else(|| bad("fields", f.line)))
                .transpose()?;
            let comps = e
                .get("comps")
                .map(|c| entry(c).ok_or_else(|| bad("comps", c.line)))
                .transpose()?;
            let values = match e.get("values") {
                None => Vec::new(),
                Some(v) => match entry(v) {
                    Some(Entry::Many(values)) => values,
                    _ => {
                        return Err(r.err(
                            v.line,
                            what,
                            format!("exception {name:?}: values must be a list"),
                        ));
                    }
                },
            };
            if out.iter().any(|x| x.name == name) {
                return Err(r.err(e.line, what, format!("exception {name:?} is defined twice")));
            }
            let def = ExceptionDef {
                name,
                fields,
                comps,
                values,
                at: r.at(e.line),
            };
            check_exception_shape(&def).map_err(|m| r.err(e.line, what, m))?;
            out.push(def);
        }
        Ok(out)
    }

    fn rule_item(&mut self, r: &Reader<'_>, item: &YNode, name: &YNode) -> Result<(), LoadError> {
        let name_text = scalar_text(name)
            .ok_or_else(|| r.err(name.line, "", "a rule name must be a string"))?;
        let what = format!("rule {name_text:?}: ");
        const APPENDABLE: [&str; 5] = ["condition", "output", "desc", "tags", "exceptions"];
        const REPLACEABLE: [&str; 11] = [
            "condition",
            "output",
            "desc",
            "priority",
            "tags",
            "exceptions",
            "enabled",
            "warn_evttypes",
            "skip-if-unknown-filter",
            "capture",
            "capture_duration",
        ];
        let (append, modes) = self.modes(r, item, &what, &APPENDABLE, &REPLACEABLE)?;
        let text_of = |key: &str| -> Result<Option<(String, u32)>, LoadError> {
            match item.get(key) {
                None => Ok(None),
                Some(v) => scalar_text(v)
                    .map(|t| Some((t, v.line)))
                    .ok_or_else(|| r.err(v.line, &what, format!("{key} must be a string"))),
            }
        };
        let tags_of = || -> Result<Option<Vec<String>>, LoadError> {
            match item.get("tags") {
                None => Ok(None),
                Some(v) => match entry(v) {
                    Some(Entry::Many(tags)) => Ok(Some(
                        tags.into_iter()
                            .filter_map(|t| match t {
                                Entry::One(s) => Some(s),
                                Entry::Many(_) => None,
                            })
                            .collect(),
                    )),
                    _ if v.is_null() => Ok(Some(Vec::new())),
                    _ => Err(r.err(v.line, &what, "tags must be a list")),
                },
            }
        };
        let priority_of = || -> Result<Option<Priority>, LoadError> {
            match item.get("priority") {
                None => Ok(None),
                Some(v) => {
                    let text = v.scalar().unwrap_or_default();
                    Priority::parse(text)
                        .map(Some)
                        .ok_or_else(|| r.err(v.line, &what, format!("unknown priority {text:?}")))
                }
            }
        };
        let enabled_of = || -> Result<Option<bool>, LoadError> {
            match item.get("enabled") {
                None => Ok(None),
                Some(v) => v
                    .as_bool()
                    .map(Some)
                    .ok_or_else(|| r.err(v.line, &what, "enabled must be true or false")),
            }
        };
        let exceptions_of = |set: &Self| -> Result<Option<Vec<ExceptionDef>>, LoadError> {
            item.get("exceptions")
                .map(|e| set.exceptions(r, e, &what))
                .transpose()
        };
        let existing = self.rule_index.get(&name_text).copied();

        if append || !modes.is_empty() {
            let Some(i) = existing else {
                return Err(r.err(
                    item.line,
                    &what,
                    "appends to or overrides a rule that is not defined before",
                ));
            };
            let mode_of = |key: &str| -> Option<Mode> {
                if append {
                    APPENDABLE.contains(&key).then_some(Mode::Append)
                } else {
                    modes.iter().find(|(k, _)| k == key).map(|(_, m)| *m)
                }
            };
            if !append {
                for (key, line, _) in item.entries() {
                    if !matches!(key.as_str(), "rule" | "override") && mode_of(key).is_none() {
                        return Err(r.err(
                            *line,
                            &what,
                            format!("key {key:?} needs an entry in 'override'"),
                        ));
                    }
                }
            } else if let Some((key, line, _)) = item.entries().iter().find(|(k, _, _)| {
                !matches!(k.as_str(), "rule" | "append" | "enabled" | "source")
                    && !APPENDABLE.contains(&k.as_str())
            }) {
                return Err(r.err(*line, &what, format!("key {key:?} cannot be appended")));
            }
            let condition = text_of("condition")?;
            let output = text_of("output")?;
            let desc = text_of("desc")?;
            let tags = tags_of()?;
            let priority = priority_of()?;
            let enabled = enabled_of()?;
            let exceptions = exceptions_of(self)?;
            let rule = &mut self.rules[i];
            if let Some((text, line)) = condition {
                let piece = Piece {
                    text,
                    at: r.at(line),
                };
                match mode_of("condition") {
                    Some(Mode::Append) => rule.condition.push(piece),
                    _ => rule.condition = vec![piece],
                }
            }
            if let Some((text, _)) = output {
                match mode_of("output") {
                    Some(Mode::Append) => {
                        rule.output.push(' ');
                        rule.output.push_str(&text);
                    }
                    _ => rule.output = text,
                }
            }
            if let Some((text, _)) = desc {
                match mode_of("desc") {
                    Some(Mode::Append) => {
                        rule.desc.push(' ');
                        rule.desc.push_str(&text);
                    }
                    _ => rule.desc = text,
                }
            }
            if let Some(tags) = tags {
                if mode_of("tags") == Some(Mode::Replace) {
                    rule.tags.clear();
                }
                for t in tags {
                    if !rule.tags.contains(&t) {
                        rule.tags.push(t);
                    }
                }
            }
            if let Some(p) = priority.filter(|_| mode_of("priority") == Some(Mode::Replace)) {
                rule.priority = p;
            }
            if let Some(e) = enabled.filter(|_| append || mode_of("enabled") == Some(Mode::Replace))
            {
                rule.enabled = e;
            }
            if let Some(exceptions) = exceptions {
                if mode_of("exceptions") == Some(Mode::Replace) {
                    rule.exceptions = exceptions;
                } else {
                    for e in exceptions {
                        match rule.exceptions.iter_mut().find(|x| x.name == e.name) {
                            Some(x) => {
                                if e.fields.is_some() || e.comps.is_some() {
                                    return Err(r.err(
                                        e.at.line,
                                        &what,
                                        format!(
                                            "exception {:?} already exists: append only its values",
                                            e.name
                                        ),
                                    ));
                                }
                                x.values.extend(e.values);
                            }
                            None => {
                                if e.fields.is_none() {
                                    return Err(r.err(
                                        e.at.line,
                                        &what,
                                        format!("new exception {:?} needs 'fields'", e.name),
                                    ));
                                }
                                rule.exceptions.push(e);
                            }
                        }
                    }
                }
            }
            return Ok(());
        }

        // `- rule: X` with only `enabled`: switch an existing rule on or off.
        let only_enabled = item
            .entries()
            .iter()
            .all(|(k, _, _)| matches!(k.as_str(), "rule" | "enabled"))
            && item.get("enabled").is_some();
        if only_enabled {
            let Some(i) = existing else {
                return Err(r.err(
                    item.line,
                    &what,
                    "enables or disables a rule that is not defined before",
                ));
            };
            if let Some(e) = enabled_of()? {
                self.rules[i].enabled = e;
            }
            return Ok(());
        }

        let need = |key: &str| r.err(item.line, &what, format!("a rule needs '{key}'"));
        let (condition, cond_line) = text_of("condition")?.ok_or_else(|| need("condition"))?;
        let (output, _) = text_of("output")?.ok_or_else(|| need("output"))?;
        let desc = text_of("desc")?
            .map(|(d, _)| d)
            .ok_or_else(|| need("desc"))?;
        let priority = priority_of()?.ok_or_else(|| need("priority"))?;
        let source = text_of("source")?.map_or_else(|| "syscall".to_owned(), |(s, _)| s);
        let mut tags = Vec::new();
        for t in tags_of()?.unwrap_or_default() {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let def = RuleDef {
            name: name_text.clone(),
            condition: vec![Piece {
                text: condition,
                at: r.at(cond_line),
            }],
            output,
            desc,
            priority,
            source,
            tags,
            enabled: enabled_of()?.unwrap_or(true),
            exceptions: exceptions_of(self)?.unwrap_or_default(),
            at: r.at(item.line),
        };
        for e in &def.exceptions {
            if e.fields.is_none() {
                return Err(r.err(
                    e.at.line,
                    &what,
                    format!("exception {:?} needs 'fields'", e.name),
                ));
            }
        }
        match existing {
            Some(i) => self.rules[i] = def,
            None => {
                self.rule_index.insert(name_text, self.rules.len());
                self.rules.push(def);
            }
        }
        Ok(())
    }
}

/// Checks that an exception's `fields` and `comps` agree: one field takes `in`, `pmatch` or
/// `intersects`; a list of fields takes as many comparison operators.
fn check_exception_shape(e: &ExceptionDef) -> Result<(), String> {
    let ops = |c: &Entry| -> Result<Vec<Op>, String> {
        let texts: Vec<&str> = match c {
            Entry::One(s) => vec![s.as_str()],
            Entry::Many(items) => items
                .iter()
                .map(|i| match i {
                    Entry::One(s) => Ok(s.as_str()),
                    Entry::Many(_) => {
                        Err(format!("exception {:?}: comps must be operators", e.name))
                    }
                })
                .collect::<Result<_, _>>()?,
        };
        texts
            .iter()
            .map(|t| {
                Op::parse(t)
                    .ok_or_else(|| format!("exception {:?}: unknown operator {t:?}", e.name))
            })
            .collect()
    };
    match (&e.fields, &e.comps) {
        (Some(Entry::One(_)), Some(c)) => {
            let ops = ops(c)?;
            if ops.len() != 1 || !ops[0].takes_list() {
                return Err(format!(
                    "exception {:?}: a single field takes one of the operators in, pmatch, intersects",
                    e.name
                ));
            }
        }
        (Some(Entry::Many(fields)), Some(c)) => {
            let ops = ops(c)?;
            if ops.len() != fields.len() {
                return Err(format!(
                    "exception {:?}: {} fields but {} comps",
                    e.name,
                    fields.len(),
                    ops.len()
                ));
            }
        }
        _ => {}
    }
    if let Some(Entry::Many(fields)) = &e.fields {
        for v in &e.values {
            if let Entry::Many(items) = v
                && items.len() != fields.len()
            {
                return Err(format!(
                    "exception {:?}: a value has {} items for {} fields",
                    e.name,
                    items.len(),
                    fields.len()
                ));
            }
        }
    }
    Ok(())
}

/// Loads arbitrary bytes as a rules file; the body of the `detect_rules_file` fuzz target. It
/// must never panic.
pub fn fuzz_load(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let mut set = RuleSet::new();
        if set.load("fuzz.yaml", text).is_ok() {
            let _ = crate::compile::Engine::compile(&set, crate::compile::EngineOptions::default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(files: &[&str]) -> Result<RuleSet, LoadError> {
        let mut set = RuleSet::new();
        for (i, text) in files.iter().enumerate() {
            set.load(&format!("f{i}.yaml"), text)?;
        }
        Ok(set)
    }

    const BASE: &str = r#"
- required_engine_version: 15
- list: users
  items: [alice, "bob"]
- macro: m
  condition: ka.verb=get
- rule: R
  desc: d
  condition: m
  output: "u=%ka.user.name"
  priority: warning
  source: k8s_audit
  tags: [k8s]
  exceptions:
    - name: e1
      fields: [ka.user.name, ka.target.namespace]
      comps: [=, in]
      values:
        - [alice, [default, kube-system]]
"#;

    #[test]
    fn append_override_enable() {
        let set = load(&[
            BASE,
            r#"
- list: users
  items: [carol]
  append: true
- macro: m
  condition: or ka.verb=list
  override:
    condition: append
- rule: R
  condition: and ka.user.name in (users)
  tags: [pci]
  exceptions:
    - name: e1
      values: [[bob, [x]]]
  override:
    condition: append
    tags: append
    exceptions: append
- rule: R
  enabled: false
"#,
        ])
        .expect("loads");
        assert_eq!(
            set.list("users").map(|l| l.items.clone()),
            Some(vec!["alice".into(), "bob".into(), "carol".into()])
        );
        assert_eq!(set.macro_def("m").map(|m| m.condition.len()), Some(2));
        let rule = &set.rules()[0];
        assert_eq!(rule.condition.len(), 2);
        assert_eq!(rule.tags, ["k8s", "pci"]);
        assert!(!rule.enabled);
        assert_eq!(rule.exceptions[0].values.len(), 2);
        assert_eq!(rule.condition[1].at.file.as_ref(), "f1.yaml");
        assert!(
            set.warnings()
                .iter()
                .any(|w| w.message.contains("deprecated"))
        );
    }

    #[test]
    fn errors_carry_file_line_and_item() {
        let err = load(&["- rule: X\n  desc: d\n  condition: a\n  priority: warning\n"])
            .expect_err("no output");
        assert_eq!(
            err.to_string(),
            "f0.yaml:1: rule \"X\": a rule needs 'output'"
        );
        let err =
            load(&["- list: l\n  items: [a]\n  append: true\n"]).expect_err("append to nothing");
        assert!(err.to_string().contains("not defined before"), "{err}");
        let err =
            load(&[BASE, "- rule: R\n  priority: error\n"]).expect_err("a key without override");
        assert!(
            err.message.contains("needs 'override'") || err.message.contains("a rule needs"),
            "{err}"
        );
        let err = load(&["- required_engine_version: 0.99.0\n"]).expect_err("too new");
        assert!(err.message.contains("engine version"), "{err}");
        let err = load(&["- rule: X\n  desc: d\n  condition: a\n  output: o\n  priority: loud\n"])
            .expect_err("bad priority");
        assert_eq!(err.location.line, 5);
        let err = load(&["rule: X\n"]).expect_err("not a sequence");
        assert!(err.message.contains("sequence"));
        let err = load(&[
            "- rule: X\n  desc: d\n  condition: a\n  output: o\n  priority: info\n  exceptions:\n    - name: e\n      fields: ka.user.name\n      comps: =\n",
        ])
        .expect_err("single field with =");
        assert_eq!(err.location.line, 7);
    }

    proptest::proptest! {
        #[test]
        fn loading_never_panics(text in "[-a-z:. \\n\\[\\]()=\"'%0-9]{0,200}") {
            fuzz_load(text.as_bytes());
        }
    }

    #[test]
    fn loading_shaped_items_never_panics() {
        for text in [
            "- rule: r\n  desc: d\n  condition: ka.verb in (a, b) and not m\n  output: \"%ka.user.name %\"\n  priority: info\n  source: k8s_audit\n",
            "- macro: m\n  condition: m\n- rule: r\n  desc: d\n  condition: m\n  output: o\n  priority: info\n  source: k8s_audit\n",
            "- list: a\n  items: [b]\n- list: b\n  items: [a]\n- rule: r\n  desc: d\n  condition: ka.verb in (a)\n  output: o\n  priority: info\n  source: k8s_audit\n",
            "- rule: r\n  desc: d\n  condition: jevt.rawtime in (x)\n  output: '%ka.uri.param['\n  priority: info\n  source: k8s_audit\n",
        ] {
            fuzz_load(text.as_bytes());
        }
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("15"), Some((0, 15, 0)));
        assert_eq!(parse_version("0.26.0"), Some((0, 26, 0)));
        assert_eq!(parse_version("0.40"), Some((0, 40, 0)));
        assert_eq!(parse_version("x"), None);
    }
}
