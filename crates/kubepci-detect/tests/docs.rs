//! docs/detection.md is generated where it lists the fields and kubepci's PCI rules: this test
//! fails when it is stale. `KUBEPCI_BLESS=1 cargo test -p kubepci-detect --test docs` rewrites
//! the generated sections.

use std::fmt::Write as _;
use std::path::Path;

use kubepci_detect::fields::{ArgKind, FieldType, all_fields};
use kubepci_detect::{Engine, EngineOptions, builtin};

fn fields_table() -> String {
    let mut t = String::from("| field | values | argument | what |\n|---|---|---|---|\n");
    for f in all_fields() {
        let values = match (f.list, f.ty) {
            (true, _) => "list of strings",
            (false, FieldType::U64) => "number",
            (false, FieldType::Str) => "string",
        };
        let arg = match f.arg {
            ArgKind::None => "",
            ArgKind::Index => "index (optional)",
            ArgKind::Key => "key (required)",
            ArgKind::Pointer => "JSON pointer (required)",
            ArgKind::Seconds => "seconds (required)",
        };
        let _ = writeln!(
            t,
            "| `{}` | {values} | {arg} | {} |",
            f.name,
            f.desc.replace('|', "\\|")
        );
    }
    t
}

fn rules_table() -> String {
    let set = builtin::with_pci_rules().expect("built in");
    let engine = Engine::compile(&set, EngineOptions::default()).expect("compiles");
    let mut t = String::from("| rule | priority | PCI DSS | what |\n|---|---|---|---|\n");
    for r in engine.rules() {
        let ids: Vec<&str> = r
            .tags
            .iter()
            .filter_map(|t| t.strip_prefix("PCI_DSS_"))
            .collect();
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} |",
            r.name,
            r.priority,
            ids.join(", "),
            r.desc.trim().replace('\n', " ")
        );
    }
    t
}

fn replace_section(doc: &str, name: &str, body: &str) -> String {
    let open = format!("<!-- generated:{name} -->\n");
    let close = format!("<!-- /generated:{name} -->");
    let (Some(a), Some(b)) = (doc.find(&open), doc.find(&close)) else {
        panic!("docs/detection.md lacks the markers of section {name}");
    };
    format!("{}{open}{body}{}", &doc[..a], &doc[b..])
}

#[test]
fn generated_sections_are_current() {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/detection.md"
    ));
    let doc = std::fs::read_to_string(path).expect("docs/detection.md");
    let fresh = replace_section(
        &replace_section(&doc, "fields", &fields_table()),
        "pci-rules",
        &rules_table(),
    );
    if std::env::var("KUBEPCI_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(path, &fresh).expect("write docs/detection.md");
        return;
    }
    assert!(
        fresh == doc,
        "docs/detection.md is stale: run KUBEPCI_BLESS=1 cargo test -p kubepci-detect --test docs"
    );
}
