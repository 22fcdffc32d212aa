//! Falco's own k8s_audit test suite (`falco_k8s_audit_tests.yaml`), case by case: the
//! upstream rule files load unchanged, and for `detect: True` the number of alerts per rule at
//! `detect_level` or above equals `detect_counts`; for `detect: False` no rule fires.
//!
//! The suite runs with Falco's default `rule_matching: first`, and again with kubepci's
//! default (every matching rule alerts): the expected counts hold in both.

use std::collections::BTreeMap;
use std::path::Path;

use kubepci_detect::input::split_events;
use kubepci_detect::{Detector, Engine, EngineOptions, EventMeta, Matching, Priority, RuleSet};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Suite {
    trace_files: BTreeMap<String, Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    detect: bool,
    #[serde(default)]
    detect_level: Option<String>,
    rules_file: Vec<String>,
    #[serde(default)]
    detect_counts: Vec<BTreeMap<String, usize>>,
    trace_file: String,
    #[serde(default)]
    stderr_contains: Option<String>,
}

fn engine(dir: &Path, files: &[String], matching: Matching) -> Result<Engine, String> {
    let mut set = RuleSet::new();
    for f in files {
        let text = std::fs::read_to_string(dir.join(f)).map_err(|e| format!("{f}: {e}"))?;
        set.load(f, &text).map_err(|e| e.to_string())?;
    }
    Engine::compile(
        &set,
        EngineOptions {
            matching,
            hostname: "test".into(),
            ..EngineOptions::default()
        },
    )
    .map_err(|e| e.to_string())
}

fn run_case(dir: &Path, name: &str, case: &Case, matching: Matching) -> Result<(), String> {
    let engine = engine(dir, &case.rules_file, matching)?;
    let trace = std::fs::read(dir.join(&case.trace_file))
        .map_err(|e| format!("{}: {e}", case.trace_file))?;
    let (events, errors) = split_events(&trace);
    let mut detector = Detector::new(&engine);
    let mut alerts = Vec::new();
    let meta = EventMeta {
        source: "conformance",
        received_ns: 0,
    };
    let mut event_errors = Vec::new();
    for e in &events {
        if let Err(err) = detector.detect(&trace[e.range.clone()], &meta, &mut alerts) {
            event_errors.push(format!("line {}: {err}", e.line));
        }
    }
    let messages: Vec<String> = errors
        .iter()
        .map(|e| format!("line {}: {}", e.line, e.message))
        .chain(event_errors)
        .collect();
    let fired: Vec<String> = alerts
        .iter()
        .map(|a| format!("{} [{}]", a.rule, a.priority))
        .collect();
    if let Some(wanted) = &case.stderr_contains {
        // Falco: `Could not read k8s audit event line #1, "{"kind": 0}": Data not recognized
        // as a k8s audit event`. kubepci names the line and never quotes the input.
        if !wanted.contains("not recognized as a k8s audit event")
            || !messages.iter().any(|m| {
                m.contains("line 1") && m.contains("not recognised as a Kubernetes audit event")
            })
        {
            return Err(format!(
                "{name}: expected an input error like {wanted:?}, got {messages:?}"
            ));
        }
    } else if !messages.is_empty() {
        return Err(format!("{name}: unexpected input errors {messages:?}"));
    }
    if !case.detect {
        if alerts.is_empty() {
            return Ok(());
        }
        return Err(format!("{name}: expected no alert, got {fired:?}"));
    }
    let level = case
        .detect_level
        .as_deref()
        .and_then(Priority::parse)
        .unwrap_or(Priority::Debug);
    let mut got: BTreeMap<&str, usize> = BTreeMap::new();
    for a in alerts.iter().filter(|a| a.priority.at_least(level)) {
        *got.entry(a.rule.as_str()).or_default() += 1;
    }
    let mut diff = Vec::new();
    for counts in &case.detect_counts {
        for (rule, want) in counts {
            let have = got.get(rule.as_str()).copied().unwrap_or(0);
            if have != *want {
                diff.push(format!("  {rule:?}: expected {want}, got {have}"));
            }
        }
    }
    if diff.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{name} (at {level} or above):\n{}\n  all alerts: {fired:?}",
            diff.join("\n")
        ))
    }
}

#[test]
fn falco_k8s_audit_suite_case_by_case() {
    let Some(dir) = kubepci_testutil::shared_path("conformance/falco-k8s-audit") else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("falco_k8s_audit_tests.yaml")).expect("the suite");
    // The file marks its mapping with Avocado's `!mux` tag; it means nothing to the cases.
    let suite: Suite = serde_saphyr::from_str(&text.replace("!mux", "")).expect("the suite parses");
    assert!(suite.trace_files.len() >= 40, "the suite has its cases");
    let mut failures = Vec::new();
    let mut passed = 0;
    for matching in [Matching::First, Matching::All] {
        for (name, case) in &suite.trace_files {
            match run_case(&dir, name, case, matching) {
                Ok(()) => passed += 1,
                Err(e) => failures.push(format!("[{matching:?}] {e}")),
            }
        }
    }
    println!(
        "falco k8s_audit suite: {passed} of {} case runs pass",
        suite.trace_files.len() * 2
    );
    assert!(
        failures.is_empty(),
        "{} case run(s) differ from Falco's expectations:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn upstream_rule_files_load_unchanged() {
    let Some(dir) = kubepci_testutil::shared_path("conformance/falco-k8s-audit") else {
        return;
    };
    for files in [
        vec!["rules/falco_rules.yaml", "rules/k8s_audit_rules.yaml"],
        vec!["rules/k8s_audit_rules.current-plugin.yaml"],
        vec!["test_rules/engine_v4_k8s_audit_rules.yaml"],
        vec!["test_rules/single_rule_with_json_pointer.yaml"],
    ] {
        let files: Vec<String> = files.into_iter().map(str::to_owned).collect();
        let engine =
            engine(&dir, &files, Matching::All).unwrap_or_else(|e| panic!("{files:?}: {e}"));
        assert!(!engine.rules().is_empty(), "{files:?} has k8s_audit rules");
    }
    let current = engine(
        &dir,
        &["rules/k8s_audit_rules.current-plugin.yaml".to_owned()],
        Matching::All,
    )
    .expect("loads");
    assert_eq!(
        current.rules().len(),
        48,
        "every rule of the current plugin rule set compiles"
    );
    let syscall =
        engine(&dir, &["rules/falco_rules.yaml".to_owned()], Matching::All).expect("loads");
    assert!(syscall.rules().is_empty());
    assert!(
        syscall.skipped_rules() > 50,
        "syscall rules load and are skipped"
    );
}
