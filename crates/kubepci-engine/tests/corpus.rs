//! The whole catalogue over the real-world manifests of the shared corpus: no rule panics, every
//! finding points into a real file line, and the known-broken corpus files are reported as input
//! errors rather than stopping the scan.

use kubepci_engine::{Config, RuleSelection, ScanOptions, scan};

#[test]
fn full_catalogue_over_the_corpus() {
    let Some(corpus) = kubepci_testutil::shared_path("corpus") else {
        return;
    };
    let paths = kubepci_k8s::source::expand(&[corpus]).expect("corpus readable");
    assert!(paths.len() > 3000, "{} files", paths.len());
    let options = ScanOptions {
        config: Config::default(),
        rules: RuleSelection::default().resolve(&[]).expect("all rules"),
        waivers: None,
        default_namespace: None,
        as_of: time::macros::date!(2026 - 11 - 27),
    };
    let report = scan(&paths, &options);
    assert!(report.stats.documents > 7000, "{:?}", report.stats);
    assert!(report.errors.len() < 20, "{:#?}", report.errors);
    assert!(!report.findings.is_empty());
    for f in &report.findings {
        let location = f.location.as_ref().expect("corpus findings have locations");
        assert!(location.line >= 1 && location.column >= 1, "{f:?}");
    }
    eprintln!(
        "corpus: {} files, {} documents, {} objects, {} findings, {} input errors",
        report.stats.files,
        report.stats.documents,
        report.stats.objects,
        report.findings.len(),
        report.errors.len()
    );
}
