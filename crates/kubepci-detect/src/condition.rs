//! The condition language of Falco rules: a recursive-descent parser into an AST.
//!
//! The grammar is libsinsp's filter grammar:
//!
//! ```text
//! Expr      ::= And ('or' And)*
//! And       ::= Not ('and' Not)*
//! Not       ::= ('not' blank)* Check | 'not(' Expr ')'
//! Check     ::= '(' Expr ')' | Field Condition | Identifier            (a macro)
//! Field     ::= FieldName ('[' (QuotedStr | ArgBareStr) ']')?
//! Condition ::= 'exists'
//!             | ('<=' | '<' | '>=' | '>') Number
//!             | ('==' | '=' | '!=' | 'glob' | 'iglob' | 'contains' | 'icontains' | 'bcontains'
//!                | 'startswith' | 'bstartswith' | 'endswith' | 'regex') Value
//!             | ('intersects' | 'in' | 'pmatch') ('(' (Value (',' Value)*)? ')' | Identifier)
//! Value     ::= QuotedStr | BareStr                       BareStr ::= [^()"'\s=,]+
//! FieldName ::= [a-zA-Z][a-zA-Z0-9_]* ('.' [a-zA-Z][a-zA-Z0-9_]*)+
//! ```
//!
//! `not` binds tighter than `and`, which binds tighter than `or`. Keywords are followed by a
//! blank or `(`. Field transformers (`tolower(…)`, `val(…)`) are reported as unsupported.

use std::fmt;

/// Deepest nesting of parentheses, `not` and boolean operators in one condition.
pub const MAX_DEPTH: usize = 256;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `=` or `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `contains`
    Contains,
    /// `icontains` (ASCII case-insensitive)
    IContains,
    /// `bcontains` (hex bytes)
    BContains,
    /// `startswith`
    StartsWith,
    /// `bstartswith` (hex bytes)
    BStartsWith,
    /// `endswith`
    EndsWith,
    /// `glob`
    Glob,
    /// `iglob`
    IGlob,
    /// `regex`
    Regex,
    /// `in`: every value of the field is one of the list
    In,
    /// `intersects`: some value of the field is one of the list
    Intersects,
    /// `pmatch`: path prefix match
    Pmatch,
    /// `exists`
    Exists,
}

impl Op {
    /// The operator as written in conditions.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
            Op::IContains => "icontains",
            Op::BContains => "bcontains",
            Op::StartsWith => "startswith",
            Op::BStartsWith => "bstartswith",
            Op::EndsWith => "endswith",
            Op::Glob => "glob",
            Op::IGlob => "iglob",
            Op::Regex => "regex",
            Op::In => "in",
            Op::Intersects => "intersects",
            Op::Pmatch => "pmatch",
            Op::Exists => "exists",
        }
    }

    /// The operator named `text` (as exceptions' `comps` give it).
    #[must_use]
    pub fn parse(text: &str) -> Option<Op> {
        Some(match text {
            "=" | "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "contains" => Op::Contains,
            "icontains" => Op::IContains,
            "bcontains" => Op::BContains,
            "startswith" => Op::StartsWith,
            "bstartswith" => Op::BStartsWith,
            "endswith" => Op::EndsWith,
            "glob" => Op::Glob,
            "iglob" => Op::IGlob,
            "regex" => Op::Regex,
            "in" => Op::In,
            "intersects" => Op::Intersects,
            "pmatch" => Op::Pmatch,
            "exists" => Op::Exists,
            _ => return None,
        })
    }

    /// Whether the right-hand side is a list.
    #[must_use]
    pub const fn takes_list(self) -> bool {
        matches!(self, Op::In | Op::Intersects | Op::Pmatch)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field reference: `ka.uri.param[command]`, `jevt.value[/stage]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldRef {
    /// The field name.
    pub name: String,
    /// The argument between brackets.
    pub arg: Option<String>,
}

impl fmt::Display for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.arg {
            Some(arg) => write!(f, "{}[{arg}]", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// The right-hand side of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// `exists` has none.
    None,
    /// One value.
    Value(String),
    /// A parenthesised list; items naming a list are expanded by the compiler.
    List(Vec<String>),
    /// `in list_name` without parentheses.
    ListRef(String),
}

/// A parsed condition. `pos` is a byte offset into the condition text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// All of the children.
    And(Vec<Expr>),
    /// Any of the children.
    Or(Vec<Expr>),
    /// The negation of the child.
    Not(Box<Expr>),
    /// `field op operand`.
    Check {
        /// The field.
        field: FieldRef,
        /// The operator.
        op: Op,
        /// The operand.
        operand: Operand,
        /// Offset of the field in the condition.
        pos: usize,
    },
    /// A macro reference.
    Macro {
        /// The macro's name.
        name: String,
        /// Offset in the condition.
        pos: usize,
    },
}

/// A syntax error at a byte offset of the condition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at offset {offset})")]
pub struct ParseError {
    /// Byte offset in the condition.
    pub offset: usize,
    /// What was expected.
    pub message: String,
}

/// Parses a condition.
///
/// # Errors
/// A [`ParseError`] naming the offset and what was expected there.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
        depth: 0,
    };
    p.blank();
    if p.i >= p.s.len() {
        return Err(p.err("the condition is empty"));
    }
    let expr = p.or()?;
    p.blank();
    if p.i != p.s.len() {
        return Err(p.err("unexpected text; expected 'and', 'or' or the end of the condition"));
    }
    Ok(expr)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    depth: usize,
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x08 | 0x0b | 0x0c)
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic()
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

const TRANSFORMERS: [&str; 7] = [
    "tolower(",
    "toupper(",
    "b64(",
    "basename(",
    "len(",
    "join(",
    "val(",
];

impl<'a> Parser<'a> {
    fn err(&self, message: &str) -> ParseError {
        let near: String = self.text[self.i.min(self.text.len())..]
            .chars()
            .take(24)
            .collect();
        let message = if near.is_empty() {
            format!("{message}, at the end of the condition")
        } else {
            format!("{message}, near {near:?}")
        };
        ParseError {
            offset: self.i,
            message,
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(&format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn blank(&mut self) -> bool {
        let start = self.i;
        while self.i < self.s.len() && is_blank(self.s[self.i]) {
            self.i += 1;
        }
        self.i > start
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn starts(&self, lit: &str) -> bool {
        self.s[self.i..].starts_with(lit.as_bytes())
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.starts(lit) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    /// A keyword (`and`, `or`) followed by a blank or `(`. Returns whether it was a `(`.
    fn keyword(&mut self, word: &str) -> Result<Option<bool>, ParseError> {
        if !self.starts(word) {
            return Ok(None);
        }
        let after = self.s.get(self.i + word.len()).copied();
        match after {
            Some(b) if is_blank(b) => {
                self.i += word.len();
                Ok(Some(false))
            }
            Some(b'(') => {
                self.i += word.len() + 1;
                Ok(Some(true))
            }
            Some(b) if is_ident(b) || b == b'.' => Ok(None),
            _ => Err(self.err(&format!("expected a blank or '(' after '{word}'"))),
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let mut children = vec![self.and()?];
        loop {
            self.blank();
            match self.keyword("or")? {
                None => break,
                Some(true) => children.push(self.embedded()?),
                Some(false) => children.push(self.and()?),
            }
        }
        self.depth -= 1;
        Ok(if children.len() == 1 {
            children.pop().unwrap_or(Expr::And(Vec::new()))
        } else {
            Expr::Or(children)
        })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        self.blank();
        let mut children = vec![self.not()?];
        loop {
            self.blank();
            match self.keyword("and")? {
                None => break,
                Some(true) => children.push(self.embedded()?),
                Some(false) => children.push(self.not()?),
            }
        }
        self.depth -= 1;
        Ok(if children.len() == 1 {
            children.pop().unwrap_or(Expr::And(Vec::new()))
        } else {
            Expr::And(children)
        })
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        self.blank();
        let mut negate = false;
        loop {
            if self.starts("not") {
                match self.s.get(self.i + 3).copied() {
                    Some(b) if is_blank(b) => {
                        self.i += 3;
                        self.blank();
                        negate = !negate;
                        continue;
                    }
                    Some(b'(') => {
                        self.i += 4;
                        negate = !negate;
                        let child = self.embedded()?;
                        self.depth -= 1;
                        return Ok(wrap_not(child, negate));
                    }
                    _ => {}
                }
            }
            break;
        }
        let child = self.check()?;
        self.depth -= 1;
        Ok(wrap_not(child, negate))
    }

    /// After a `(`: an expression and its `)`.
    fn embedded(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        self.blank();
        let child = self.or()?;
        self.blank();
        if !self.eat(")") {
            return Err(self.err("expected ')'"));
        }
        self.depth -= 1;
        Ok(child)
    }

    fn check(&mut self) -> Result<Expr, ParseError> {
        self.blank();
        let pos = self.i;
        if self.eat("(") {
            return self.embedded();
        }
        if let Some(t) = TRANSFORMERS.iter().find(|t| self.starts(t)) {
            return Err(self.err(&format!(
                "field transformer '{}' is not supported",
                t.trim_end_matches('(')
            )));
        }
        let Some(b) = self.peek() else {
            return Err(self.err("expected a field check, a macro or '('"));
        };
        if !is_ident_start(b) {
            return Err(self.err("expected a field check, a macro or '('"));
        }
        let start = self.i;
        while self.peek().is_some_and(is_ident) {
            self.i += 1;
        }
        let mut segments = 1;
        while self.peek() == Some(b'.')
            && self.s.get(self.i + 1).copied().is_some_and(is_ident_start)
        {
            self.i += 1;
            while self.peek().is_some_and(is_ident) {
                self.i += 1;
            }
            segments += 1;
        }
        let name = self.text[start..self.i].to_owned();
        if segments == 1 {
            return Ok(Expr::Macro { name, pos });
        }
        let arg = if self.eat("[") {
            let arg = if matches!(self.peek(), Some(b'"' | b'\'')) {
                self.quoted()?
            } else {
                let s = self.i;
                while self
                    .peek()
                    .is_some_and(|b| !is_blank(b) && !matches!(b, b'[' | b']' | b'"' | b'\''))
                {
                    self.i += 1;
                }
                if self.i == s {
                    return Err(self.err("expected a field argument"));
                }
                self.text[s..self.i].to_owned()
            };
            if !self.eat("]") {
                return Err(self.err("expected ']'"));
            }
            Some(arg)
        } else {
            None
        };
        let field = FieldRef { name, arg };
        self.blank();
        let (op, operand) = self.condition()?;
        Ok(Expr::Check {
            field,
            op,
            operand,
            pos,
        })
    }

    fn condition(&mut self) -> Result<(Op, Operand), ParseError> {
        if self.eat("exists") {
            return Ok((Op::Exists, Operand::None));
        }
        for (lit, op) in [("<=", Op::Le), ("<", Op::Lt), (">=", Op::Ge), (">", Op::Gt)] {
            if self.eat(lit) {
                self.blank();
                return Ok((op, Operand::Value(self.number()?)));
            }
        }
        for (lit, op) in [("==", Op::Eq), ("=", Op::Eq), ("!=", Op::Ne)] {
            if self.eat(lit) {
                self.blank();
                return Ok((op, Operand::Value(self.value()?)));
            }
        }
        const WORDS: [(&str, Op); 9] = [
            ("glob", Op::Glob),
            ("iglob", Op::IGlob),
            ("contains", Op::Contains),
            ("icontains", Op::IContains),
            ("bcontains", Op::BContains),
            ("startswith", Op::StartsWith),
            ("bstartswith", Op::BStartsWith),
            ("endswith", Op::EndsWith),
            ("regex", Op::Regex),
        ];
        for (word, op) in WORDS {
            if self.starts(word)
                && self
                    .s
                    .get(self.i + word.len())
                    .copied()
                    .is_some_and(is_blank)
            {
                self.i += word.len();
                self.blank();
                return Ok((op, Operand::Value(self.value()?)));
            }
        }
        for (word, op) in [
            ("intersects", Op::Intersects),
            ("in", Op::In),
            ("pmatch", Op::Pmatch),
        ] {
            if self.eat(word) {
                self.blank();
                return Ok((op, self.list()?));
            }
        }
        Err(self.err(
            "expected an operator (=, !=, <, <=, >, >=, contains, icontains, startswith, endswith, glob, in, intersects, pmatch, exists)",
        ))
    }

    fn number(&mut self) -> Result<String, ParseError> {
        let start = self.i;
        if self.starts("0x") || self.starts("0X") {
            self.i += 2;
            let digits = self.i;
            while self.peek().is_some_and(|b| b.is_ascii_hexdigit()) {
                self.i += 1;
            }
            if self.i == digits {
                return Err(self.err("expected hexadecimal digits"));
            }
            return Ok(self.text[start..self.i].to_owned());
        }
        if matches!(self.peek(), Some(b'+' | b'-')) {
            self.i += 1;
        }
        let digits = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        if self.i == digits {
            self.i = start;
            return Err(self.err("expected a number"));
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.i += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E'))
            && matches!(self.s.get(self.i + 1), Some(b'+' | b'-'))
            && self.s.get(self.i + 2).is_some_and(u8::is_ascii_digit)
        {
            self.i += 2;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.i += 1;
            }
        }
        Ok(self.text[start..self.i].to_owned())
    }

    fn value(&mut self) -> Result<String, ParseError> {
        if matches!(self.peek(), Some(b'"' | b'\'')) {
            return self.quoted();
        }
        if TRANSFORMERS.iter().any(|t| self.starts(t)) {
            return Err(self.err("field transformers and val() are not supported"));
        }
        let start = self.i;
        while self
            .peek()
            .is_some_and(|b| !is_blank(b) && !matches!(b, b'(' | b')' | b'"' | b'\'' | b'=' | b','))
        {
            self.i += 1;
        }
        if self.i == start {
            return Err(self.err("expected a value"));
        }
        Ok(self.text[start..self.i].to_owned())
    }

    fn list(&mut self) -> Result<Operand, ParseError> {
        if self.eat("(") {
            self.blank();
            let mut items = Vec::new();
            if self.eat(")") {
                return Ok(Operand::List(items));
            }
            loop {
                self.blank();
                items.push(self.value()?);
                self.blank();
                if self.eat(",") {
                    continue;
                }
                if self.eat(")") {
                    return Ok(Operand::List(items));
                }
                return Err(self.err("expected ',' or ')' in a list"));
            }
        }
        let start = self.i;
        if self.peek().is_some_and(is_ident_start) {
            while self.peek().is_some_and(is_ident) {
                self.i += 1;
            }
            return Ok(Operand::ListRef(self.text[start..self.i].to_owned()));
        }
        Err(self.err("expected a list '(…)' or a list name"))
    }

    /// A quoted string, unescaped.
    fn quoted(&mut self) -> Result<String, ParseError> {
        let start = self.i;
        let Some(delimiter) = self.peek() else {
            return Err(self.err("expected a quoted string"));
        };
        self.i += 1;
        let mut out = String::new();
        let mut run = self.i;
        while let Some(b) = self.peek() {
            if b == delimiter {
                out.push_str(&self.text[run..self.i]);
                self.i += 1;
                return Ok(out);
            }
            if b == b'\\' {
                out.push_str(&self.text[run..self.i]);
                let Some(next) = self.text[self.i + 1..].chars().next() else {
                    break;
                };
                match next {
                    '\\' | '"' | '\'' | '/' => out.push(next),
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
                self.i += 1 + next.len_utf8();
                run = self.i;
                continue;
            }
            self.i += 1;
        }
        self.i = start;
        Err(self.err("unterminated quoted string"))
    }
}

fn wrap_not(child: Expr, negate: bool) -> Expr {
    if negate {
        Expr::Not(Box::new(child))
    } else {
        child
    }
}

/// Parses arbitrary text as a condition; the body of the `detect_condition` fuzz target. It
/// must never panic.
pub fn fuzz_parse(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(expr) = parse(text)
    {
        // A parsed condition never holds an empty boolean node.
        fn check(e: &Expr) {
            match e {
                Expr::And(c) | Expr::Or(c) => {
                    assert!(c.len() >= 2, "boolean nodes have two or more children");
                    c.iter().for_each(check);
                }
                Expr::Not(c) => check(c),
                Expr::Check { .. } | Expr::Macro { .. } => {}
            }
        }
        check(&expr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, op: Op, operand: Operand) -> Expr {
        Expr::Check {
            field: FieldRef {
                name: name.into(),
                arg: None,
            },
            op,
            operand,
            pos: 0,
        }
    }

    fn strip(e: Expr) -> Expr {
        match e {
            Expr::And(c) => Expr::And(c.into_iter().map(strip).collect()),
            Expr::Or(c) => Expr::Or(c.into_iter().map(strip).collect()),
            Expr::Not(c) => Expr::Not(Box::new(strip(*c))),
            Expr::Check {
                field, op, operand, ..
            } => Expr::Check {
                field,
                op,
                operand,
                pos: 0,
            },
            Expr::Macro { name, .. } => Expr::Macro { name, pos: 0 },
        }
    }

    fn p(text: &str) -> Expr {
        strip(parse(text).unwrap_or_else(|e| panic!("{text}: {e}")))
    }

    #[test]
    fn precedence_not_and_or() {
        assert_eq!(
            p("a or not b and c"),
            Expr::Or(vec![
                Expr::Macro {
                    name: "a".into(),
                    pos: 0
                },
                Expr::And(vec![
                    Expr::Not(Box::new(Expr::Macro {
                        name: "b".into(),
                        pos: 0
                    })),
                    Expr::Macro {
                        name: "c".into(),
                        pos: 0
                    },
                ]),
            ])
        );
        assert_eq!(
            p("not not a"),
            Expr::Macro {
                name: "a".into(),
                pos: 0
            }
        );
        assert_eq!(
            p("not(a)and(b)"),
            Expr::And(vec![
                Expr::Not(Box::new(Expr::Macro {
                    name: "a".into(),
                    pos: 0
                })),
                Expr::Macro {
                    name: "b".into(),
                    pos: 0
                },
            ])
        );
    }

    #[test]
    fn checks_values_and_lists() {
        assert_eq!(
            p("ka.verb=get"),
            check("ka.verb", Op::Eq, Operand::Value("get".into()))
        );
        assert_eq!(
            p("ka.uri startswith /healthz?"),
            check("ka.uri", Op::StartsWith, Operand::Value("/healthz?".into()))
        );
        assert_eq!(
            p("ka.verb in (create,update, \"pa tch\")"),
            check(
                "ka.verb",
                Op::In,
                Operand::List(vec!["create".into(), "update".into(), "pa tch".into()])
            )
        );
        assert_eq!(
            p("ka.user.name in allowed_users"),
            check(
                "ka.user.name",
                Op::In,
                Operand::ListRef("allowed_users".into())
            )
        );
        assert_eq!(p("x.y in ()"), check("x.y", Op::In, Operand::List(vec![])));
        assert_eq!(
            p("ka.target.subresource exists"),
            check("ka.target.subresource", Op::Exists, Operand::None)
        );
        assert_eq!(
            p("ka.response.code >= 400"),
            check("ka.response.code", Op::Ge, Operand::Value("400".into()))
        );
        assert_eq!(
            p(r#"x.y = 'it\'s'"#),
            check("x.y", Op::Eq, Operand::Value("it's".into()))
        );
        let Expr::Check { field, .. } =
            p("jevt.value[/annotations/authorization.k8s.io~1decision] exists")
        else {
            panic!("a check")
        };
        assert_eq!(
            field.arg.as_deref(),
            Some("/annotations/authorization.k8s.io~1decision")
        );
    }

    #[test]
    fn errors_name_the_offset() {
        let e = parse("ka.verb = get and").expect_err("dangling and");
        assert!(e.message.contains("expected a blank"), "{e}");
        let e = parse("ka.verb get").expect_err("no operator");
        assert_eq!(e.offset, 8);
        let e = parse("(ka.verb = get").expect_err("unclosed");
        assert!(e.message.contains("')'"), "{e}");
        let e = parse("tolower(ka.verb) = get").expect_err("transformer");
        assert!(e.message.contains("not supported"), "{e}");
        assert!(parse("").is_err());
        assert!(parse("x.y = 'open").is_err());
        let deep = "(".repeat(1000) + "a" + &")".repeat(1000);
        assert!(parse(&deep).is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "[a-z. ()=!<>,\"'\\[\\]\\\\0-9]{0,64}") {
            fuzz_parse(text.as_bytes());
        }
    }
}
