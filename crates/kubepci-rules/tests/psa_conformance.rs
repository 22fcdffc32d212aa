//! Conformance with the upstream Pod Security Admission fixtures
//! (kubernetes/pod-security-admission, test/testdata/{baseline,restricted}/v1.37), read in
//! place from the shared conformance folder.
//!
//! The baseline rule set (rules tagged `pss-baseline`) must flag every pod under
//! `baseline/v1.37/fail` and nothing under `baseline/v1.37/pass`; baseline plus restricted
//! (`pss-restricted`) must flag every pod under `restricted/v1.37/fail` and nothing under
//! `restricted/v1.37/pass`. Deliberate divergences would be listed in
//! docs/conformance.md and in `DIVERGENCES` below; there are none.

use std::collections::BTreeMap;
use std::path::Path;

use kubepci_k8s::{Inventory, KindFilter, load};
use kubepci_rules::{RULES, Rule, Settings, Tag, run_rule};

/// Fixture files (relative to the PSA folder) where kubepci deliberately disagrees.
const DIVERGENCES: &[&str] = &[];

fn rules_for(tags: &[Tag]) -> Vec<&'static dyn Rule> {
    RULES
        .iter()
        .copied()
        .filter(|r| tags.iter().any(|t| r.meta().has_tag(*t)))
        .collect()
}

fn check_level(
    root: &Path,
    level: &str,
    rules: &[&'static dyn Rule],
    report: &mut Vec<String>,
) -> usize {
    let mut checked = 0;
    for verdict in ["fail", "pass"] {
        let dir = root.join(level).join("v1.37").join(verdict);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .collect();
        files.sort();
        for path in files {
            let relative = path
                .strip_prefix(root)
                .expect("under root")
                .display()
                .to_string();
            let text = std::fs::read_to_string(&path).expect("fixture readable");
            let loaded = load(&relative, text.as_bytes(), &KindFilter::All, None);
            assert!(loaded.errors.is_empty(), "{relative}: {:?}", loaded.errors);
            assert_eq!(loaded.objects.len(), 1, "{relative}");
            let inventory = Inventory::new(loaded.objects, &BTreeMap::new());
            let mut findings = Vec::new();
            for rule in rules {
                run_rule(*rule, &inventory, &Settings::default(), &mut findings);
            }
            checked += 1;
            let flagged = !findings.is_empty();
            let agrees = flagged == (verdict == "fail");
            if !agrees && !DIVERGENCES.contains(&relative.as_str()) {
                let detail: Vec<String> = findings
                    .iter()
                    .map(|f| format!("{} {}", f.rule_id, f.message))
                    .collect();
                report.push(format!(
                    "{relative}: expected {verdict}, kubepci found {detail:?}"
                ));
            }
        }
    }
    checked
}

#[test]
fn pod_security_admission_fixtures_agree_100_percent() {
    let Some(root) = kubepci_testutil::shared_path("conformance/pod-security-admission") else {
        return;
    };
    let mut report = Vec::new();
    let baseline = rules_for(&[Tag::PssBaseline]);
    let restricted = rules_for(&[Tag::PssBaseline, Tag::PssRestricted]);
    let n = check_level(&root, "baseline", &baseline, &mut report)
        + check_level(&root, "restricted", &restricted, &mut report);
    assert!(n >= 140, "only {n} fixtures found");
    assert!(
        report.is_empty(),
        "{} of {n} fixtures disagree:\n{}",
        report.len(),
        report.join("\n")
    );
    eprintln!("pod security admission conformance: {n} fixtures, 100% agreement");
}
