//! Admission with a context agrees with a scan of the whole input: each object of the bundled
//! examples is admitted against the rest as its context, and must get exactly the findings a
//! scan of everything reports on it (from the rules that run at admission).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kubepci_engine::admission::{Admitter, ContextStore, Requester};
use kubepci_engine::{Config, Input, RuleSelection, ScanOptions, load_config, scan_inputs};
use kubepci_k8s::{KindFilter, load};
use kubepci_rules::Admission;
use time::macros::date;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn options(config: Config) -> ScanOptions {
    let rules = RuleSelection::default()
        .resolve(&config.disabled)
        .expect("rules");
    ScanOptions {
        config,
        rules,
        waivers: None,
        default_namespace: None,
        as_of: date!(2026 - 06 - 01),
    }
}

fn inputs(dir: &Path) -> Vec<Input> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("example folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml") && !p.ends_with("kubepci.yaml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| Input {
            name: p.display().to_string(),
            bytes: std::fs::read(&p).expect("readable"),
        })
        .collect()
}

type Key = (&'static str, String, String);

fn check_example(dir: &Path, config: Config) {
    let options = options(config);
    let inputs = inputs(dir);
    let report = scan_inputs(&inputs, &options);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let admitted =
        |id: &str| kubepci_rules::find(id).is_some_and(|r| r.meta().admission.at_admission());
    let admitter = Admitter::new(options.clone());
    let objects: Vec<kubepci_k8s::Object> = inputs
        .iter()
        .flat_map(|i| load(&i.name, &i.bytes, &KindFilter::All, None).objects)
        .collect();
    let mut checked = 0;
    let mut with_context = 0;
    let mut differences = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        if !admitter.reads_kind(object.kind()) {
            continue;
        }
        let context = admitter_context(&admitter, &objects, i);
        // Objects with an owner in the input are what a controller creates for it.
        let requester = if has_controller(object) {
            Requester::WorkloadController
        } else {
            Requester::Other
        };
        let evaluation = admitter.evaluate(object.clone(), &context, options.as_of, requester);
        let got: BTreeSet<Key> = evaluation
            .findings
            .iter()
            .map(|f| (f.rule_id, f.pointer.to_string(), f.message.clone()))
            .collect();
        let want: BTreeSet<Key> = report
            .findings
            .iter()
            .filter(|f| f.object == object.id && admitted(f.rule_id))
            .map(|f| (f.rule_id, f.pointer.to_string(), f.message.clone()))
            .collect();
        checked += 1;
        if want.iter().any(|(id, _, _)| {
            kubepci_rules::find(id).is_some_and(|r| {
                matches!(
                    r.meta().admission,
                    Admission::Namespace | Admission::Cluster
                )
            })
        }) {
            with_context += 1;
        }
        if got != want {
            differences.push(format!(
                "{}: scan only {:?}; admission only {:?}",
                object.id,
                want.difference(&got).collect::<Vec<_>>(),
                got.difference(&want).collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{}: {} of {checked} objects differ:\n{}",
        dir.display(),
        differences.len(),
        differences.join("\n")
    );
    assert!(checked >= 10, "only {checked} objects checked");
    assert!(
        with_context >= 3,
        "only {with_context} objects had findings of context rules"
    );
}

fn has_controller(object: &kubepci_k8s::Object) -> bool {
    object
        .metadata()
        .and_then(|m| m.get("ownerReferences"))
        .is_some_and(|refs| !refs.items().is_empty())
}

/// The context: every other object of the input (the object itself is being admitted).
fn admitter_context(
    admitter: &Admitter,
    objects: &[kubepci_k8s::Object],
    skip: usize,
) -> ContextStore {
    let kinds = admitter.context_kinds();
    ContextStore::from_objects(
        objects
            .iter()
            .enumerate()
            .filter(|(j, o)| *j != skip && kinds.contains(&o.kind()))
            .map(|(_, o)| o.clone()),
    )
}

#[test]
fn payments_platform_objects_admitted_against_the_rest() {
    check_example(
        &workspace().join("examples/payments-platform"),
        Config::default(),
    );
}

#[test]
fn cluster_snapshot_objects_admitted_against_the_rest() {
    let dir = workspace().join("examples/cluster-snapshot");
    let text = std::fs::read_to_string(dir.join("kubepci.yaml")).expect("config");
    let config = load_config("kubepci.yaml", &text).expect("valid config");
    check_example(&dir, config);
}
