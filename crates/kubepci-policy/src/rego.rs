//! Gatekeeper's Rego contract on regorus: a template's `violation` rule evaluated with
//! `input.review` (the AdmissionRequest) and `input.parameters` (the constraint's
//! `spec.parameters`, `{}` when absent), its `lib` modules beside it, and `data.inventory`
//! for referential templates.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use crate::cluster::Cluster;

/// A template's Rego module(s), compiled once.
pub struct RegoProgram {
    /// The engine with the modules loaded and analysed, cloned for each evaluating thread.
    base: regorus::Engine,
    /// `data.<package>.violation`.
    rule: String,
    /// Whether the modules read `data.inventory`.
    reads_inventory: bool,
    /// Engines ready for reuse, each with the inventory it last loaded.
    pool: Mutex<Vec<(regorus::Engine, Option<u64>)>>,
}

impl std::fmt::Debug for RegoProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegoProgram")
            .field("rule", &self.rule)
            .finish_non_exhaustive()
    }
}

/// One Rego module and where its text starts in its file.
pub struct RegoModule<'a> {
    /// The file the module is written in.
    pub file: &'a str,
    /// The line of the file on which the module's first line is written.
    pub first_line: u32,
    /// The module's text.
    pub text: &'a str,
}

/// One result of the `violation` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RegoViolation {
    /// `msg`.
    pub message: String,
    /// `details` (`{}` when absent), as JSON.
    pub details: serde_json::Value,
}

impl RegoProgram {
    /// Compiles a template module and its libraries. `rego_v1` selects Rego v1 syntax
    /// (templates default to v0, as Gatekeeper's do).
    ///
    /// # Errors
    /// A module that does not parse or compile, as `file:line: message`; a library whose
    /// package is not under `lib`; a template without a `violation` rule.
    pub fn compile(
        template: &RegoModule<'_>,
        libs: &[RegoModule<'_>],
        rego_v1: bool,
    ) -> Result<Self, String> {
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(!rego_v1);
        let package = add_module(&mut engine, template)?;
        if package == "data.lib" || package.starts_with("data.lib.") {
            return Err(format!(
                "the template's package `{}` must not be under `lib` (that is for libraries)",
                &package[5..]
            ));
        }
        for lib in libs {
            let lib_package = add_module(&mut engine, lib)?;
            if !lib_package.starts_with("data.lib.") {
                return Err(format!(
                    "{}:{}: a library's package must start with `lib.` (got `{}`)",
                    lib.file,
                    lib.first_line,
                    &lib_package[5.min(lib_package.len())..]
                ));
            }
        }
        let reads_inventory = std::iter::once(template)
            .chain(libs)
            .any(|m| m.text.contains("data.inventory"));
        let rule = format!("{package}.violation");
        let has_violation = engine
            .has_declared_rule_rooted_at(template.file, "violation")
            .unwrap_or(true);
        if !has_violation {
            return Err(format!(
                "{}:{}: the template declares no `violation` rule",
                template.file, template.first_line
            ));
        }
        // Analyse now, so that unknown functions and bad imports are load-time errors.
        engine.set_input(empty_input());
        engine.eval_rule(rule.clone()).map_err(|e| format!("{e}"))?;
        Ok(Self {
            base: engine,
            rule,
            reads_inventory,
            pool: Mutex::new(Vec::new()),
        })
    }

    /// Whether the template reads `data.inventory`.
    #[must_use]
    pub fn reads_inventory(&self) -> bool {
        self.reads_inventory
    }

    /// Evaluates the `violation` rule for one review.
    ///
    /// # Errors
    /// An evaluation error (Gatekeeper reports these as violations carrying the error).
    pub fn evaluate(
        &self,
        review: regorus::Value,
        parameters: &regorus::Value,
        cluster: &dyn Cluster,
    ) -> Result<Vec<RegoViolation>, String> {
        let (mut engine, loaded) = self
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .unwrap_or_else(|| (self.base.clone(), None));
        let mut loaded = loaded;
        if self.reads_inventory {
            let inventory = cluster.rego_inventory();
            if loaded != Some(inventory.id) {
                engine.clear_data();
                engine
                    .add_data(inventory.data.clone())
                    .map_err(|e| format!("loading data.inventory: {e}"))?;
                loaded = Some(inventory.id);
            }
        }
        let input = regorus::Value::from(BTreeMap::from([
            (regorus::Value::from("review"), review),
            (regorus::Value::from("parameters"), parameters.clone()),
        ]));
        engine.set_input(input);
        let result = engine.eval_rule(self.rule.clone());
        // Drop the input before pooling the engine (it holds the whole object).
        engine.set_input(regorus::Value::Undefined);
        self.pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((engine, loaded));
        let value = result.map_err(|e| format!("{e}"))?;
        violations(&value)
    }
}

fn empty_input() -> regorus::Value {
    regorus::Value::from(BTreeMap::from([
        (regorus::Value::from("review"), regorus::Value::new_object()),
        (
            regorus::Value::from("parameters"),
            regorus::Value::new_object(),
        ),
    ]))
}

/// Adds a module, padded with blank lines so that regorus' line numbers are the file's.
fn add_module(engine: &mut regorus::Engine, module: &RegoModule<'_>) -> Result<String, String> {
    let padding = "\n".repeat(module.first_line.saturating_sub(1) as usize);
    let mut text = format!("{padding}{}", module.text);
    // Each expansion splits one body off a multi-body rule; bounded by the module's size.
    for _ in 0..=text.matches('{').count() {
        match engine.add_policy(module.file.to_owned(), text.clone()) {
            Ok(package) => return Ok(package),
            Err(e) => {
                let message = format!("{e}");
                match expand_set_rule_bodies(&text, &message) {
                    Some(expanded) => text = expanded,
                    None => return Err(message),
                }
            }
        }
    }
    Err("a rule has too many bodies".to_owned())
}

/// regorus' message for a partial set rule with several bodies.
const MULTI_BODY_SET_RULE: &str = "else cannot be used with set rules";

/// Rego v0 lets a rule have several bodies (`violation[r] { a } { b }`), shorthand for the
/// rule written once per body; OPA, and so Gatekeeper, accepts it for partial set rules,
/// regorus 0.14 only for complete rules. Given regorus' error at the second body, this
/// writes the rule's head again in front of that body (on the same line, so line numbers
/// stay the file's). `None` when the error is another one.
fn expand_set_rule_bodies(text: &str, error: &str) -> Option<String> {
    if !error.contains(MULTI_BODY_SET_RULE) {
        return None;
    }
    // regorus prints the position as `--> file:line:col`.
    let position = error.lines().find_map(|l| l.trim().strip_prefix("--> "))?;
    let mut parts = position.rsplitn(3, ':');
    let col: usize = parts.next()?.trim().parse().ok()?;
    let line: usize = parts.next()?.trim().parse().ok()?;
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1)?
    };
    let body = line_start
        + text[line_start..]
            .char_indices()
            .nth(col.checked_sub(1)?)
            .map(|(i, _)| i)?;
    if !text[body..].starts_with('{') {
        return None;
    }
    let starts = statement_starts(&text[..body]);
    let rule = *starts.last()?;
    let head = rule_head(&text[rule..body])?;
    Some(format!(
        "{}{} {}",
        &text[..body],
        head.trim_end(),
        &text[body..]
    ))
}

/// Byte offsets where top-level statements start: the first significant character of a line
/// outside any bracket.
fn statement_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut depth = 0usize;
    let mut at_line_start = true;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' => at_line_start = true,
            ' ' | '\t' | '\r' => {}
            '#' => {
                while chars.peek().is_some_and(|(_, c)| *c != '\n') {
                    chars.next();
                }
            }
            _ => {
                if at_line_start && depth == 0 {
                    starts.push(i);
                }
                at_line_start = false;
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => depth = depth.saturating_sub(1),
                    '"' => skip_string(&mut chars, '"'),
                    '`' => skip_string(&mut chars, '`'),
                    _ => {}
                }
            }
        }
    }
    starts
}

fn skip_string(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, quote: char) {
    while let Some((_, c)) = chars.next() {
        if c == '\\' && quote == '"' {
            chars.next();
        } else if c == quote {
            return;
        }
    }
}

/// The head of a rule: its text up to the `{` of its first body.
fn rule_head(rule: &str) -> Option<&str> {
    let mut depth = 0usize;
    let mut chars = rule.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if depth == 0 => return Some(&rule[..i]),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '"' => skip_string(&mut chars, '"'),
            '`' => skip_string(&mut chars, '`'),
            _ => {}
        }
    }
    None
}

/// The results of `violation` (a set of objects; undefined when nothing fired).
fn violations(value: &regorus::Value) -> Result<Vec<RegoViolation>, String> {
    if *value == regorus::Value::Undefined {
        return Ok(Vec::new());
    }
    let set = value
        .as_set()
        .map_err(|_| "`violation` is not a partial set rule".to_owned())?;
    let mut out = Vec::with_capacity(set.len());
    for item in set.iter() {
        let json: serde_json::Value = serde_json::from_str(
            &item
                .to_json_str()
                .map_err(|e| format!("violation result: {e}"))?,
        )
        .map_err(|e| format!("violation result: {e}"))?;
        let message = match json.get("msg") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => return Err("a violation result has no `msg`".to_owned()),
        };
        let details = json
            .get("details")
            .cloned()
            .unwrap_or_else(|| serde_json::Value::Object(serde_json::Map::new()));
        out.push(RegoViolation { message, details });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_body_set_rules_evaluate_every_body() {
        let text = "package t\n\nviolation[{\"msg\": msg}] {\n  input.review.a == 1\n  msg := \"a\"\n} {\n  input.review.b == 1\n  msg := \"b {\"\n}\n";
        let program = RegoProgram::compile(
            &RegoModule {
                file: "t.yaml",
                first_line: 10,
                text,
            },
            &[],
            false,
        )
        .expect("compiles");
        let cluster = crate::cluster::StaticCluster::new(&[]);
        let review = regorus::Value::from_json_str(r#"{"a": 1, "b": 1}"#).expect("json");
        let found = program
            .evaluate(review, &regorus::Value::new_object(), &cluster)
            .expect("evaluates");
        let messages: Vec<&str> = found.iter().map(|v| v.message.as_str()).collect();
        assert_eq!(messages, ["a", "b {"]);
    }

    #[test]
    fn errors_name_the_file_line() {
        let error = RegoProgram::compile(
            &RegoModule {
                file: "t.yaml",
                first_line: 20,
                text: "package t\nviolation[{\"msg\": m}] {\n  m := undefined_fn(1)\n}\n",
            },
            &[],
            false,
        )
        .expect_err("unknown function");
        assert!(error.contains("t.yaml:22"), "{error}");
    }
}
