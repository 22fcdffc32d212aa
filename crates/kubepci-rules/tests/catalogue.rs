//! Catalogue-wide checks: every rule's metadata, PCI references, documentation, doc examples
//! and fixtures, and the freshness of the generated docs.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use kubepci_k8s::{Inventory, KindFilter, load};
use kubepci_model::Finding;
use kubepci_rules::{RULES, Rule, Settings, pci, run_rule};

fn run_with(rule: &dyn Rule, name: &str, text: &str, settings: &Settings) -> Vec<Finding> {
    let loaded = load(name, text.as_bytes(), &KindFilter::All, None);
    assert!(loaded.errors.is_empty(), "{name}: {:?}", loaded.errors);
    let inventory =
        Inventory::with_labels(loaded.objects, &BTreeMap::new(), settings.labels.clone());
    let mut findings = Vec::new();
    run_rule(rule, &inventory, settings, &mut findings);
    findings
}

/// The scan date every fixture and example is checked on: rules never read the clock.
const AS_OF: time::Date = time::macros::date!(2026 - 06 - 01);

/// Settings from a `kubepci.yaml` fragment (the rule-settings keys only), on [`AS_OF`].
fn parse_settings(origin: &str, text: &str) -> Settings {
    let settings: Settings =
        serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{origin}: invalid settings: {e}"));
    settings.with_as_of(AS_OF)
}

fn default_settings() -> Settings {
    Settings::default().with_as_of(AS_OF)
}

/// The settings a rule's fixtures run with: `tests/fixtures/<ID>/kubepci.yaml` when present.
fn fixture_settings(dir: &Path) -> Settings {
    let path = dir.join("kubepci.yaml");
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_settings(&path.display().to_string(), &text),
        Err(_) => default_settings(),
    }
}

#[test]
fn ids_and_names_are_unique_well_formed_and_sorted() {
    let mut ids = HashSet::new();
    let mut names = HashSet::new();
    let mut previous = "";
    for rule in RULES {
        let m = rule.meta();
        assert!(
            m.id.len() == 6
                && m.id.starts_with("KP")
                && m.id[2..].bytes().all(|b| b.is_ascii_digit()),
            "bad id {}",
            m.id
        );
        assert!(
            !m.name.is_empty()
                && m.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !m.name.starts_with('-')
                && !m.name.ends_with('-'),
            "{}: name `{}` is not kebab-case",
            m.id,
            m.name
        );
        assert!(ids.insert(m.id), "duplicate id {}", m.id);
        assert!(names.insert(m.name), "duplicate name {}", m.name);
        assert!(m.id > previous, "RULES is not sorted by id at {}", m.id);
        previous = m.id;
        assert!(
            !m.summary.is_empty() && !m.summary.ends_with('.'),
            "{}: summary",
            m.id
        );
    }
}

#[test]
fn every_pci_reference_is_a_valid_v4_0_1_requirement() {
    for rule in RULES {
        let m = rule.meta();
        assert!(!m.pci.is_empty(), "{} has no PCI reference", m.id);
        let mut seen = HashSet::new();
        for id in m.pci {
            assert!(
                pci::requirement(id).is_some(),
                "{}: `{id}` is not a PCI DSS v4.0.1 requirement",
                m.id
            );
            assert!(seen.insert(id), "{}: `{id}` listed twice", m.id);
            // References name requirements, not principal requirements or sections.
            assert!(id.split('.').count() >= 3, "{}: `{id}` is too coarse", m.id);
        }
    }
}

#[test]
fn every_rule_documents_rationale_remediation_and_examples() {
    for rule in RULES {
        let m = rule.meta();
        let docs = m.parsed_docs();
        assert!(!docs.what.is_empty(), "{}: missing `## What it does`", m.id);
        assert!(
            !docs.why.is_empty(),
            "{}: missing `## Why is this bad?`",
            m.id
        );
        assert!(!docs.fix.is_empty(), "{}: missing `## How to fix`", m.id);
        assert!(
            docs.fail_example.is_some(),
            "{}: missing yaml block under `## Example`",
            m.id
        );
        assert!(
            docs.pass_example.is_some(),
            "{}: missing yaml block under `## Use instead`",
            m.id
        );
    }
}

#[test]
fn doc_examples_behave_as_stated() {
    for rule in RULES {
        let m = rule.meta();
        let docs = m.parsed_docs();
        let settings = docs
            .config_example
            .as_deref()
            .map_or_else(default_settings, |t| {
                parse_settings(&format!("{} `## Configuration`", m.id), t)
            });
        let fail = docs.fail_example.unwrap_or_default();
        let found = run_with(*rule, "example.yaml", &fail, &settings);
        assert!(
            !found.is_empty(),
            "{}: the `## Example` manifest produces no finding",
            m.id
        );
        assert!(found.iter().all(|f| f.rule_id == m.id));
        let pass = docs.pass_example.unwrap_or_default();
        let found = run_with(*rule, "example.yaml", &pass, &settings);
        assert!(
            found.is_empty(),
            "{}: the `## Use instead` manifest produces {found:#?}",
            m.id
        );
    }
}

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Lines carrying `# expect: ID` markers.
fn expected_lines(text: &str, id: &str) -> Vec<u32> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            line.split("# expect:")
                .nth(1)
                .is_some_and(|ids| ids.split(',').any(|x| x.trim() == id))
        })
        .map(|(i, _)| u32::try_from(i + 1).expect("small file"))
        .collect()
}

#[test]
fn fixtures_flag_exactly_the_marked_lines() {
    let mut failures = Vec::new();
    for rule in RULES {
        let id = rule.meta().id;
        let dir = fixtures_root().join(id);
        let settings = fixture_settings(&dir);
        let fail = fixture_files(&dir.join("fail"));
        let pass = fixture_files(&dir.join("pass"));
        assert!(
            !fail.is_empty(),
            "{id}: no fixtures in {}",
            dir.join("fail").display()
        );
        assert!(
            !pass.is_empty(),
            "{id}: no fixtures in {}",
            dir.join("pass").display()
        );
        for path in fail.iter().chain(&pass) {
            let text = std::fs::read_to_string(path).expect("fixture readable");
            let name = path.display().to_string();
            let mut expected = expected_lines(&text, id);
            expected.sort_unstable();
            let is_fail = path.parent().is_some_and(|p| p.ends_with("fail"));
            assert_eq!(
                is_fail,
                !expected.is_empty(),
                "{name}: fail fixtures mark lines, pass fixtures do not"
            );
            let mut got: Vec<u32> = run_with(*rule, &name, &text, &settings)
                .iter()
                .filter_map(|f| f.location.as_ref().map(|l| l.line))
                .collect();
            got.sort_unstable();
            if got != expected {
                failures.push(format!(
                    "{name}: expected findings on lines {expected:?}, got {got:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_orphan_fixture_directories() {
    let ids: HashSet<&str> = RULES.iter().map(|r| r.meta().id).collect();
    for entry in std::fs::read_dir(fixtures_root()).expect("fixtures dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            ids.contains(name.as_str()),
            "fixtures/{name} belongs to no rule"
        );
    }
}

#[test]
fn fixture_messages_snapshot() {
    // One snapshot per rule of every finding its fail fixtures produce: messages and pointers
    // are reviewed like code.
    for rule in RULES {
        let id = rule.meta().id;
        let settings = fixture_settings(&fixtures_root().join(id));
        let mut out = String::new();
        for path in fixture_files(&fixtures_root().join(id).join("fail")) {
            let text = std::fs::read_to_string(&path).expect("fixture readable");
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            for f in run_with(*rule, &file, &text, &settings) {
                let line = f.location.as_ref().map_or(0, |l| l.line);
                out.push_str(&format!(
                    "{file}:{line} {} {}: {}\n",
                    f.object, f.pointer, f.message
                ));
            }
        }
        insta::assert_snapshot!(id, out);
    }
}

#[test]
fn generated_rule_docs_are_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
    let bless = std::env::var("KUBEPCI_BLESS").is_ok_and(|v| v == "1");
    let expected = kubepci_rules::docgen::rule_docs();
    if bless {
        std::fs::create_dir_all(&dir).expect("create docs/rules");
        for entry in std::fs::read_dir(&dir).expect("read docs/rules") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "md") {
                std::fs::remove_file(path).expect("remove stale doc");
            }
        }
        for (name, contents) in &expected {
            std::fs::write(dir.join(name), contents).expect("write doc");
        }
    }
    let mut stale = Vec::new();
    for (name, contents) in &expected {
        if std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(contents.as_str()) {
            stale.push(name.clone());
        }
    }
    let names: HashSet<&String> = expected.iter().map(|(n, _)| n).collect();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !names.contains(&name) {
            stale.push(format!("{name} (orphan)"));
        }
    }
    assert!(
        stale.is_empty(),
        "docs/rules is stale: {stale:?}; regenerate with KUBEPCI_BLESS=1 cargo test -p kubepci-rules --test catalogue"
    );
}
