//! The example platform's report, made in process with a fixed clock.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use kubepci_compliance::evidence;
use kubepci_compliance::{Evidence, Report, ScanSource};
use kubepci_engine::{Config, RuleSelection, ScanOptions, WaiverRegister};
use time::macros::{date, datetime};

/// The examples, relative to the crate (tests run there), so inputs have stable names.
pub fn examples() -> PathBuf {
    PathBuf::from("../../examples")
}

pub fn waivers() -> WaiverRegister {
    let path = examples().join("waivers.yaml");
    let text = std::fs::read_to_string(&path).expect("examples/waivers.yaml");
    kubepci_engine::parse_waivers("examples/waivers.yaml", &text).expect("valid register")
}

pub fn attestations() -> kubepci_compliance::AttestationRegister {
    let text = std::fs::read_to_string(examples().join("attestations.yaml"))
        .expect("examples/attestations.yaml");
    kubepci_compliance::parse_attestations("examples/attestations.yaml", &text)
        .expect("valid register")
}

pub const AS_OF: time::Date = date!(2026 - 12 - 01);

/// Scans `paths` with `rules` (all when empty) and assesses it.
pub fn report_of(
    paths: &[PathBuf],
    rules: &[&str],
    waivers: Option<&WaiverRegister>,
    attestations: Option<&kubepci_compliance::AttestationRegister>,
) -> (Report, kubepci_report::json::ScanDocument) {
    let inputs = kubepci_k8s::source::expand(paths).expect("inputs exist");
    let (inputs, digests) = evidence::read_inputs(&inputs).expect("readable");
    let config = Config::default();
    let selection = RuleSelection {
        only: rules.iter().map(|r| (*r).to_owned()).collect(),
        skip: Vec::new(),
    };
    let options = ScanOptions {
        config: config.clone(),
        rules: selection.resolve(&[]).expect("rules exist"),
        waivers: waivers.cloned(),
        default_namespace: None,
        as_of: AS_OF,
    };
    let scan = evidence::scan(&inputs, &options, "0.1.0");
    let segmentation = evidence::segmentation(&inputs, &config, None);
    let report = kubepci_compliance::assess(&Evidence {
        scan: &scan,
        source: ScanSource::Manifests,
        inputs: &digests,
        waivers,
        attestations,
        segmentation: Some(&segmentation),
        audit_log: None,
        generated_at: datetime!(2026-12-01 09:30:00 UTC),
        tool_version: "0.1.0",
    });
    (report, scan)
}

/// The example platform with its waivers and attestations.
pub fn example_report() -> Report {
    let waivers = waivers();
    let attestations = attestations();
    report_of(
        &[examples().join("payments-platform")],
        &[],
        Some(&waivers),
        Some(&attestations),
    )
    .0
}
