//! The JSON output's schema is generated from its types and committed in
//! docs/scan-output.schema.json; this test fails when the committed file is stale
//! (regenerate with `KUBEPCI_BLESS=1 cargo test -p kubepci-report --test schema`).

use std::path::Path;

#[test]
fn committed_output_schema_is_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/scan-output.schema.json");
    let expected = kubepci_report::json::schema();
    if std::env::var("KUBEPCI_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &expected).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "docs/scan-output.schema.json is stale; regenerate with KUBEPCI_BLESS=1 cargo test -p kubepci-report --test schema"
    );
}
