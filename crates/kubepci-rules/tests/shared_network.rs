//! Rules that read the network give the same findings whether each builds its own or the
//! scan shares one (as the engine does).

use std::collections::BTreeMap;
use std::path::Path;

use kubepci_k8s::{Inventory, KindFilter, load};
use kubepci_rules::{RULES, Settings, Shared, run_rule, run_rule_shared};

#[test]
fn shared_and_own_networks_agree_on_every_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut checked = 0;
    for rule in RULES.iter().filter(|r| r.uses_network()) {
        for outcome in ["fail", "pass"] {
            let dir = root.join(rule.meta().id).join(outcome);
            for entry in std::fs::read_dir(&dir).expect("fixture dir") {
                let path = entry.expect("entry").path();
                let text = std::fs::read_to_string(&path).expect("fixture");
                let loaded = load("f.yaml", text.as_bytes(), &KindFilter::All, None);
                let inventory = Inventory::new(loaded.objects, &BTreeMap::new());
                let settings = Settings::default();
                let mut own = Vec::new();
                run_rule(*rule, &inventory, &settings, &mut own);
                let shared = Shared::default();
                let mut with_shared = Vec::new();
                run_rule_shared(*rule, &inventory, &settings, &shared, &mut with_shared);
                assert_eq!(own, with_shared, "{}", path.display());
                checked += 1;
            }
        }
    }
    assert!(checked > 20, "{checked}");
}
