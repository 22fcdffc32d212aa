//! The report on the example platform and on small inputs: statuses, attention, schema,
//! formats.

mod common;

use common::{AS_OF, example_report, examples, report_of};
use kubepci_compliance::model::{RocFinding, Status};
use kubepci_compliance::{Report, render};

fn status(report: &Report, id: &str) -> Status {
    report
        .requirements
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("{id} is in the report"))
        .status
}

#[test]
fn every_requirement_of_the_table_is_assessed_in_order() {
    let report = example_report();
    let ids: Vec<&str> = report.requirements.iter().map(|r| r.id.as_str()).collect();
    let table: Vec<&str> = kubepci_rules::pci::requirements()
        .iter()
        .filter(|r| r.is_requirement())
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, table);
    assert_eq!(report.overview.len(), 15);
    assert_eq!(report.summary.requirements, ids.len());
    assert_eq!(
        report.summary.by_status.values().sum::<usize>(),
        report.summary.requirements
    );
}

#[test]
fn example_platform_statuses() {
    let report = example_report();
    // Physical security is outside the platform.
    for r in report
        .requirements
        .iter()
        .filter(|r| r.id.starts_with("9."))
    {
        assert_eq!(r.status, Status::NotApplicable, "{}", r.id);
        assert_eq!(r.roc_finding, RocFinding::NotApplicable);
    }
    // Deliberate mistakes in the example: namespaces without default-deny ingress.
    assert_eq!(status(&report, "1.3.1"), Status::NotInPlace);
    let r131 = report
        .requirements
        .iter()
        .find(|r| r.id == "1.3.1")
        .expect("1.3.1");
    assert!(r131.open_findings > 0);
    assert!(r131.rules.iter().any(|r| r.id == "KP2001"));
    assert!(r131.objects_evaluated.is_some_and(|n| n > 0));
    for &i in &r131.findings {
        assert!(report.findings[i].pci.iter().any(|p| p == "1.3.1"));
    }
    // The six-monthly NSC review is overdue, the evaluation of components not at risk
    // unattested, 3.3.3 attested not applicable.
    assert_eq!(status(&report, "1.2.7"), Status::AttestationOverdue);
    assert_eq!(status(&report, "5.2.3"), Status::NotAttested);
    assert_eq!(status(&report, "3.3.3"), Status::NotApplicable);
    // A manual requirement with a current attestation.
    assert_eq!(status(&report, "12.1.1"), Status::Attested);
    let a = report
        .requirements
        .iter()
        .find(|r| r.id == "12.1.1")
        .and_then(|r| r.attestation.as_ref())
        .expect("attested");
    assert_eq!(a.covers, "12");
    assert_eq!(a.owner, "Tom Becker (GRC Manager)");
    // A partial requirement: rules clean and attested.
    assert_eq!(status(&report, "10.2.1"), Status::InPlace);
    // A service provider that is neither multi-tenant nor designated: A1 and A3 do not
    // apply, even where a rule has findings.
    for r in report
        .requirements
        .iter()
        .filter(|r| r.id.starts_with("A1") || r.id.starts_with("A3"))
    {
        assert_eq!(r.status, Status::NotApplicable, "{}", r.id);
    }
    // No StorageClass in the example: its encryption was not tested.
    assert_eq!(status(&report, "3.5.1.3"), Status::NotTested);
    // Overdue attestation at the top.
    assert!(
        report
            .attention
            .iter()
            .any(|a| a.kind == "attestation-overdue" && a.requirements == ["1.2.7"])
    );
    assert_eq!(report.scope.entity.kind, "service-provider");
    assert_eq!(
        report
            .scope
            .segmentation
            .as_ref()
            .map(|s| s.status.as_str()),
        Some("segmented")
    );
    assert_eq!(report.scope.inputs.len(), 7);
    assert!(report.scope.inputs.iter().all(|i| i.sha256.len() == 64));
    assert_eq!(report.scope.catalogue.rules, kubepci_rules::RULES.len());
}

const HOST_NETWORK: &str = "apiVersion: v1
kind: Namespace
metadata: {name: payments, labels: {kubepci.io/scope: cde}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: probe, namespace: payments}
spec:
  selector: {matchLabels: {app: probe}}
  template:
    metadata: {labels: {app: probe}}
    spec:
      hostNetwork: true
      containers: [{name: probe, image: registry.example.com/probe@sha256:0000000000000000000000000000000000000000000000000000000000000000}]
";

fn register(created: &str, expires: &str, compensating: bool) -> kubepci_engine::WaiverRegister {
    let control = if compensating {
        "    compensatingControl: Dedicated node pool; node firewall.\n"
    } else {
        ""
    };
    kubepci_engine::parse_waivers(
        "w.yaml",
        &format!(
            "waivers:\n  - id: W-1\n    rules: [KP1004]\n    match: {{namespace: payments}}\n    justification: j\n    approver: Dana Whitfield (CISO)\n{control}    created: {created}\n    expires: {expires}\n"
        ),
    )
    .expect("valid register")
}

fn host_network_report(waivers: Option<&kubepci_engine::WaiverRegister>) -> Report {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("m.yaml");
    std::fs::write(&path, HOST_NETWORK).expect("write");
    report_of(&[path], &["KP1004"], waivers, None).0
}

#[test]
fn a_waived_finding_is_never_plainly_in_place() {
    let open = host_network_report(None);
    // 1.3.1 is automated; only KP1004 ran.
    assert_eq!(status(&open, "1.3.1"), Status::NotInPlace);
    let waived = host_network_report(Some(&register("2026-06-01", "2027-01-31", true)));
    let r = waived
        .requirements
        .iter()
        .find(|r| r.id == "1.3.1")
        .expect("1.3.1");
    assert_eq!(r.status, Status::InPlaceWithWaivers);
    assert!(r.compensating_control);
    assert_eq!(r.waivers, ["W-1"]);
    assert_eq!(waived.waivers[0].state, "in-force");
    assert_eq!(
        waived.waivers[0].approver.as_deref(),
        Some("Dana Whitfield (CISO)")
    );
    // Rules that did not run leave their requirements untested.
    assert_eq!(status(&waived, "4.2.1"), Status::NotTested);
}

#[test]
fn expired_and_expiring_waivers_are_called_out() {
    let expired = host_network_report(Some(&register("2026-01-01", "2026-11-30", true)));
    assert_eq!(status(&expired, "1.3.1"), Status::NotInPlace);
    let item = expired
        .attention
        .iter()
        .find(|a| a.kind == "expired-waiver")
        .expect("expired waiver at the top");
    assert!(item.text.contains("W-1"), "{}", item.text);
    assert!(item.requirements.iter().any(|r| r == "1.3.1"));
    assert_eq!(expired.waivers[0].state, "expired");

    let expiring = host_network_report(Some(&register("2026-06-01", "2026-12-20", false)));
    assert!(
        expiring
            .attention
            .iter()
            .any(|a| a.kind == "waiver-expiring")
    );
    // Without a compensating control the waiver is a risk acceptance, which the ROC has no
    // state for: said at the top.
    assert!(
        expiring
            .attention
            .iter()
            .any(|a| a.kind == "risk-acceptance")
    );
}

#[test]
fn a_saved_scan_result_gives_the_same_assessment() {
    let waivers = common::waivers();
    let attestations = common::attestations();
    let (direct, scan) = report_of(
        &[examples().join("payments-platform")],
        &[],
        Some(&waivers),
        Some(&attestations),
    );
    let saved = serde_json::to_vec(&scan).expect("serialise");
    let parsed =
        kubepci_compliance::evidence::parse_scan_result("scan.json", &saved).expect("parses");
    let digest = kubepci_compliance::evidence::digest("scan.json", &saved);
    let segmentation = direct.scope.segmentation.clone();
    let from_saved = kubepci_compliance::assess(&kubepci_compliance::Evidence {
        scan: &parsed,
        source: kubepci_compliance::ScanSource::SavedResult,
        inputs: std::slice::from_ref(&digest),
        waivers: Some(&waivers),
        attestations: Some(&attestations),
        segmentation: segmentation.as_ref(),
        audit_log: None,
        generated_at: time::macros::datetime!(2026-12-01 09:30:00 UTC),
        tool_version: "0.1.0",
    });
    assert_eq!(from_saved.requirements, direct.requirements);
    assert_eq!(from_saved.scope.source, "scan-result");
    assert!(from_saved.scope.scan.is_some());
    assert_eq!(from_saved.as_of, kubepci_compliance::format_date(AS_OF));
}

#[test]
fn committed_schema_is_fresh_and_the_example_validates() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json");
    let expected = kubepci_compliance::schema();
    if std::env::var("KUBEPCI_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &expected).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "docs/report.schema.json is stale; regenerate with KUBEPCI_BLESS=1 cargo test -p kubepci-compliance --test report"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let mut report = example_report();
    let signer = kubepci_checkpoint::NoteSigner::from_seed("reports.example.com", [7; 32]);
    kubepci_compliance::sign::sign(&mut report, &signer).expect("signs");
    let doc: serde_json::Value =
        serde_json::from_str(&render::json(&report)).expect("report is JSON");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // And it reads back.
    let back: Report = serde_json::from_value(doc).expect("reads back");
    assert_eq!(back, report);
}

#[test]
fn html_is_self_contained_and_names_every_principal_requirement() {
    let html = render::html(&example_report());
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"), "no JavaScript");
    assert!(!html.contains("<link"), "no external stylesheet");
    assert!(!html.contains("src="), "no external image or frame");
    assert!(!html.contains("@import"));
    assert!(!html.contains("url("), "no external resource in CSS");
    for (at, _) in html.match_indices("://") {
        let start = html[..at].rfind(['"', ' ', '>']).map_or(0, |i| i + 1);
        assert_eq!(
            &html[start..at],
            "http",
            "only the SVG namespace is a URL: {}",
            &html[start..(at + 40).min(html.len())]
        );
        assert!(html[start..].starts_with("http://www.w3.org/2000/svg"));
    }
    assert!(html.contains("<svg"));
    assert!(html.contains("@media print"));
    for n in 1..=12 {
        assert!(
            html.contains(&format!("<h2>Requirement {n}: ")),
            "Requirement {n}"
        );
    }
    for a in ["A1", "A2", "A3"] {
        assert!(html.contains(&format!("<h2>Appendix {a}: ")), "{a}");
    }
}

#[test]
fn markdown_fits_a_pull_request_comment() {
    let report = example_report();
    let md = render::markdown(&report);
    assert!(md.len() < 65_536);
    assert!(
        md.contains("| **1** Install and maintain network security controls | ❌ not in place |")
    );
    assert!(md.contains("### Not in place"));
    assert!(md.contains("### Needs attention"));
    // Every requirement not in place is listed with its open findings.
    for r in report
        .requirements
        .iter()
        .filter(|r| r.status == Status::NotInPlace)
    {
        assert!(
            md.contains(&format!("**{} {}**", r.id, r.title)),
            "{}",
            r.id
        );
    }
}
