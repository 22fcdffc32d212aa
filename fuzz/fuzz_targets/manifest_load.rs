//! Arbitrary bytes as a manifest file (YAML and JSON paths), then every rule over whatever
//! loaded: no input may panic the loader or a rule.
#![no_main]

use std::collections::BTreeMap;

use kubepci_k8s::{Inventory, KindFilter, load};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for name in ["fuzz.yaml", "fuzz.json"] {
        let loaded = load(name, data, &KindFilter::All, Some("default"));
        let inventory = Inventory::new(loaded.objects, &BTreeMap::new());
        let mut findings = Vec::new();
        for rule in kubepci_rules::RULES {
            kubepci_rules::run_rule(*rule, &inventory, &kubepci_rules::Settings::default(), &mut findings);
        }
    }
});
