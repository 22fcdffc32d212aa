//! The whole catalogue over the shared corpus of real manifests, as one input (the way
//! `kubepci scan DIR` sees it): no rule may panic, and the findings per rule are printed for
//! review. `KUBEPCI_CORPUS_SHOW=KP50` prints every finding of the rules whose ID starts so.

use std::collections::{BTreeMap, HashSet};

use kubepci_k8s::source::expand;
use kubepci_k8s::{Inventory, KindFilter, load};
use kubepci_rules::{RULES, Settings, run_rule};

#[test]
fn catalogue_runs_over_the_corpus() {
    let Some(root) = kubepci_testutil::shared_path("corpus") else {
        return;
    };
    let inputs = expand(&[root]).expect("corpus lists");
    let mut objects = Vec::new();
    for input in &inputs {
        let bytes = input.read().expect("corpus file readable");
        objects.extend(load(&input.display_name(), &bytes, &KindFilter::All, None).objects);
    }
    let count = objects.len();
    let inventory = Inventory::new(objects, &BTreeMap::new());
    let settings = Settings::default();
    let show = std::env::var("KUBEPCI_CORPUS_SHOW").unwrap_or_default();
    let mut ids = HashSet::new();
    for rule in RULES {
        let id = rule.meta().id;
        let mut findings = Vec::new();
        run_rule(*rule, &inventory, &settings, &mut findings);
        println!("{id} {:<40} {:>6}", rule.meta().name, findings.len());
        if !show.is_empty() && id.starts_with(&show) {
            for f in &findings {
                let at = f
                    .location
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                println!("    {at} {} {}: {}", f.object, f.pointer, f.message);
            }
        }
        assert!(findings.iter().all(|f| f.rule_id == id));
        ids.insert(id);
    }
    println!("{count} objects");
    assert!(count > 1000, "the corpus loads");
}
