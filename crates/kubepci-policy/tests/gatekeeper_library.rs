//! The shared gatekeeper-library templates with their upstream `gator verify` suites: every
//! suite must pass with the Rego code, and again with the K8sNativeValidation (CEL) code of
//! the templates that carry it — as the library's own CI verifies both engines.

use std::path::{Path, PathBuf};

use kubepci_policy::suite::{SuiteResult, run_suite};
use kubepci_policy::{Engine, LoadOptions};

fn suites(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "suite.yaml") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn run_all(engine: Engine) -> Vec<SuiteResult> {
    let Some(root) = kubepci_testutil::shared_path("conformance/gatekeeper-library/library") else {
        return Vec::new();
    };
    let paths = suites(&root);
    assert_eq!(paths.len(), 25, "the shared library holds 25 suites");
    let read = |p: &Path| std::fs::read(p);
    paths
        .iter()
        .map(|p| run_suite(p, &read, LoadOptions { prefer: engine }))
        .collect()
}

fn check(engine: Engine) {
    let results = run_all(engine);
    let mut failures = String::new();
    let (mut run, mut passed) = (0, 0);
    for result in &results {
        let (r, p, _) = result.counts();
        run += r;
        passed += p;
        if !result.passed() {
            failures.push_str(&result.render());
        }
    }
    eprintln!(
        "{}: {passed}/{run} cases passed in {} suites",
        engine.as_str(),
        results.len()
    );
    assert!(
        failures.is_empty(),
        "failing suites ({}):\n{failures}",
        engine.as_str()
    );
}

#[test]
fn every_suite_passes_with_rego() {
    check(Engine::Rego);
}

#[test]
fn every_suite_passes_with_cel_where_templates_have_it() {
    check(Engine::Cel);
}
