//! Gatekeeper test suites (`kind: Suite`, test.gatekeeper.sh/v1alpha1) run as `gator verify`
//! runs them: each test loads a template and a constraint; each case reviews one object
//! (or the request of an AdmissionReview) against an optional inventory and checks its
//! assertions (`violations: yes | no | N`, `message:` a regular expression the violation
//! messages are matched against).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use kubepci_k8s::{KindFilter, Object, load};
use kubepci_model::Node;

use crate::cluster::StaticCluster;
use crate::policy::{LoadOptions, PolicySet};
use crate::request::Request;
use crate::source::PolicySource;

/// Reads a file (the caller's I/O).
pub type ReadFile<'a> = &'a dyn Fn(&Path) -> std::io::Result<Vec<u8>>;

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every assertion held.
    Pass,
    /// An assertion failed, or the case could not run; the text says what was wanted and
    /// what came out.
    Fail(String),
    /// `skip: true`.
    Skip,
}

/// One case's result.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// `cases[].name`.
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
    /// The messages the policy returned.
    pub messages: Vec<String>,
}

/// One test's result (a template and a constraint).
#[derive(Debug, Clone)]
pub struct TestResult {
    /// `tests[].name`.
    pub name: String,
    /// Why the test could not run (template or constraint did not load).
    pub error: Option<String>,
    /// Whether the test was skipped.
    pub skipped: bool,
    /// Its cases.
    pub cases: Vec<CaseResult>,
}

/// One suite file's result.
#[derive(Debug, Clone)]
pub struct SuiteResult {
    /// The suite file.
    pub path: PathBuf,
    /// Why the suite could not run.
    pub error: Option<String>,
    /// Its tests.
    pub tests: Vec<TestResult>,
}

impl SuiteResult {
    /// Whether every test and case passed (or was skipped).
    #[must_use]
    pub fn passed(&self) -> bool {
        self.error.is_none()
            && self.tests.iter().all(|t| {
                t.error.is_none()
                    && t.cases
                        .iter()
                        .all(|c| !matches!(c.outcome, Outcome::Fail(_)))
            })
    }

    /// Cases run, passed and failed.
    #[must_use]
    pub fn counts(&self) -> (usize, usize, usize) {
        let cases = self.tests.iter().flat_map(|t| &t.cases);
        let (mut run, mut passed, mut failed) = (0, 0, 0);
        for case in cases {
            match case.outcome {
                Outcome::Pass => {
                    run += 1;
                    passed += 1;
                }
                Outcome::Fail(_) => {
                    run += 1;
                    failed += 1;
                }
                Outcome::Skip => {}
            }
        }
        let errors = self.tests.iter().filter(|t| t.error.is_some()).count()
            + usize::from(self.error.is_some());
        (run, passed, failed + errors)
    }

    /// The result as `gator verify -v` prints it: every test and case, failures with what
    /// was wanted (`-`) and what came out (`+`).
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        let status = if self.passed() { "ok" } else { "FAIL" };
        let _ = writeln!(out, "{status}\t{}", self.path.display());
        if let Some(error) = &self.error {
            let _ = writeln!(out, "    error: {error}");
        }
        for test in &self.tests {
            if test.skipped {
                let _ = writeln!(out, "  --- SKIP: {}", test.name);
                continue;
            }
            let failed = test.error.is_some()
                || test
                    .cases
                    .iter()
                    .any(|c| matches!(c.outcome, Outcome::Fail(_)));
            let _ = writeln!(
                out,
                "  --- {}: {}",
                if failed { "FAIL" } else { "PASS" },
                test.name
            );
            if let Some(error) = &test.error {
                let _ = writeln!(out, "      error: {error}");
            }
            for case in &test.cases {
                match &case.outcome {
                    Outcome::Pass => {
                        let _ = writeln!(out, "      --- PASS: {}", case.name);
                    }
                    Outcome::Skip => {
                        let _ = writeln!(out, "      --- SKIP: {}", case.name);
                    }
                    Outcome::Fail(diff) => {
                        let _ = writeln!(out, "      --- FAIL: {}", case.name);
                        for line in diff.lines() {
                            let _ = writeln!(out, "          {line}");
                        }
                    }
                }
            }
        }
        out
    }
}

/// Whether a file's bytes are a Suite.
#[must_use]
pub fn is_suite(bytes: &[u8]) -> bool {
    let loaded = load("suite", bytes, &KindFilter::All, None);
    loaded
        .objects
        .iter()
        .any(|o| o.kind() == "Suite" && o.group() == "test.gatekeeper.sh")
}

/// Runs one suite file.
#[must_use]
pub fn run_suite(path: &Path, read: ReadFile<'_>, options: LoadOptions) -> SuiteResult {
    let mut result = SuiteResult {
        path: path.to_owned(),
        error: None,
        tests: Vec::new(),
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let suite = match read_objects(path, read) {
        Ok(objects) => objects.into_iter().find(|o| o.kind() == "Suite"),
        Err(e) => {
            result.error = Some(e);
            return result;
        }
    };
    let Some(suite) = suite else {
        result.error = Some("the file holds no Suite".to_owned());
        return result;
    };
    if suite.root.get("skip").and_then(Node::as_bool) == Some(true) {
        return result;
    }
    for test in suite.root.get("tests").map(Node::items).unwrap_or_default() {
        result.tests.push(run_test(dir, test, read, options));
    }
    result
}

fn text<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.get(key).and_then(Node::as_str)
}

fn run_test(dir: &Path, test: &Node, read: ReadFile<'_>, options: LoadOptions) -> TestResult {
    let mut result = TestResult {
        name: text(test, "name").unwrap_or_default().to_owned(),
        error: None,
        skipped: false,
        cases: Vec::new(),
    };
    if test.get("skip").and_then(Node::as_bool) == Some(true) {
        result.skipped = true;
        return result;
    }
    let (Some(template), Some(constraint)) = (text(test, "template"), text(test, "constraint"))
    else {
        result.error = Some("a test needs `template` and `constraint`".to_owned());
        return result;
    };
    let mut sources = Vec::new();
    for file in [template, constraint] {
        let path = dir.join(file);
        match read(&path) {
            Ok(bytes) => sources.push(PolicySource {
                name: path.display().to_string(),
                bytes,
            }),
            Err(e) => {
                result.error = Some(format!("reading {}: {e}", path.display()));
                return result;
            }
        }
    }
    let set = match PolicySet::load(&sources, options) {
        Ok(set) => set,
        Err(errors) => {
            result.error = Some(
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
            return result;
        }
    };
    let [policy] = set.policies.as_slice() else {
        result.error = Some(format!(
            "the template and constraint define {} policies, not one",
            set.policies.len()
        ));
        return result;
    };
    for case in test.get("cases").map(Node::items).unwrap_or_default() {
        let name = text(case, "name").unwrap_or_default().to_owned();
        if case.get("skip").and_then(Node::as_bool) == Some(true) {
            result.cases.push(CaseResult {
                name,
                outcome: Outcome::Skip,
                messages: Vec::new(),
            });
            continue;
        }
        let (outcome, messages) = match review_case(dir, case, read, policy) {
            Ok(messages) => (check_assertions(case, &messages), messages),
            Err(error) => (Outcome::Fail(error), Vec::new()),
        };
        result.cases.push(CaseResult {
            name,
            outcome,
            messages,
        });
    }
    result
}

fn read_objects(path: &Path, read: ReadFile<'_>) -> Result<Vec<Object>, String> {
    let bytes = read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let loaded = load(&path.display().to_string(), &bytes, &KindFilter::All, None);
    if let Some(error) = loaded.errors.first() {
        return Err(format!("{}:{}: {}", error.file, error.position, error.kind));
    }
    Ok(loaded.objects)
}

/// The violation messages of one case.
fn review_case(
    dir: &Path,
    case: &Node,
    read: ReadFile<'_>,
    policy: &crate::Policy,
) -> Result<Vec<String>, String> {
    let object_file = text(case, "object").ok_or("a case needs an `object`")?;
    if case
        .get("assertions")
        .map(Node::items)
        .unwrap_or_default()
        .is_empty()
    {
        return Err("a case needs at least one assertion".to_owned());
    }
    let path = dir.join(object_file);
    let objects = read_objects(&path, read)?;
    let [object] = objects.as_slice() else {
        return Err(format!(
            "{} defines {} objects, not one",
            path.display(),
            objects.len()
        ));
    };
    let mut inventory = Vec::new();
    for file in case.get("inventory").map(Node::items).unwrap_or_default() {
        let file = file.as_str().ok_or("inventory entries are file names")?;
        inventory.extend(
            read_objects(&dir.join(file), read)?
                .into_iter()
                .map(|o| o.root),
        );
    }
    let cluster = StaticCluster::new(&inventory);
    let request = if object.kind() == "AdmissionReview" && object.group() == "admission.k8s.io" {
        let request = object
            .root
            .get("request")
            .ok_or("the AdmissionReview has no `request`")?;
        Request::of_admission_request(request)?
    } else {
        Request::of_object(object)
    };
    Ok(policy
        .review(&request, &cluster)
        .into_iter()
        .map(|v| v.message)
        .collect())
}

/// Checks a case's assertions against the messages; the first failure, as a diff.
fn check_assertions(case: &Node, messages: &[String]) -> Outcome {
    for assertion in case.get("assertions").map(Node::items).unwrap_or_default() {
        let pattern = assertion
            .get("message")
            .and_then(Node::scalar_text)
            .map(|m| m.into_owned());
        let regex = match pattern.as_deref().map(regex::Regex::new).transpose() {
            Ok(r) => r,
            Err(e) => return Outcome::Fail(format!("invalid message regex: {e}")),
        };
        let matching = messages
            .iter()
            .filter(|m| regex.as_ref().is_none_or(|r| r.is_match(m)))
            .count();
        let wanted = assertion.get("violations");
        let want = match wanted.map(|w| &w.value) {
            None => Want::AtLeastOne,
            Some(kubepci_model::Value::Int(n)) if *n >= 0 => {
                Want::Exactly(usize::try_from(*n).unwrap_or(usize::MAX))
            }
            Some(kubepci_model::Value::Bool(true)) => Want::AtLeastOne,
            Some(kubepci_model::Value::Bool(false)) => Want::None,
            Some(kubepci_model::Value::Str(s)) if &**s == "yes" => Want::AtLeastOne,
            Some(kubepci_model::Value::Str(s)) if &**s == "no" => Want::None,
            Some(_) => {
                return Outcome::Fail(
                    "assertion.violations must be a non-negative integer, \"yes\" or \"no\""
                        .to_owned(),
                );
            }
        };
        let ok = match want {
            Want::AtLeastOne => matching > 0,
            Want::None => matching == 0,
            Want::Exactly(n) => matching == n,
        };
        if !ok {
            let which = pattern.map_or_else(String::new, |p| format!(" matching /{p}/"));
            let wanted = match want {
                Want::AtLeastOne => format!("at least 1 violation{which}"),
                Want::None => format!("no violation{which}"),
                Want::Exactly(n) => format!("exactly {n} violation(s){which}"),
            };
            let mut diff = format!(
                "- want: {wanted}\n+ got:  {matching} matching of {} violation(s)",
                messages.len()
            );
            for message in messages {
                let _ = write!(diff, "\n+   {message}");
            }
            return Outcome::Fail(diff);
        }
    }
    Outcome::Pass
}

#[derive(Clone, Copy)]
enum Want {
    AtLeastOne,
    None,
    Exactly(usize),
}
