//! Brought-along policies (examples/policies: a Gatekeeper Rego template and a
//! ValidatingAdmissionPolicy with a parameter ConfigMap) are rules of the engine: a scan
//! reports them with their rule ID, severity, PCI DSS requirements and field location,
//! waivers cover them, and admission denies and admits with them.

use std::path::{Path, PathBuf};

use kubepci_engine::admission::{Admitter, ContextStore, Operation, Review};
use kubepci_engine::{
    Config, PolicyEngine, RuleSelection, ScanOptions, load_policies, parse_waivers, scan,
};
use kubepci_k8s::{KindFilter, load};
use kubepci_model::Severity;
use time::macros::date;

const DIGEST: &str = "gk:CdeImageDigest/cde-workloads";
const LABELS: &str = "vap:cde-inventory-labels/cde-namespaces";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn options(waivers: Option<kubepci_engine::WaiverRegister>) -> ScanOptions {
    let loaded = load_policies(&[root().join("examples/policies")], PolicyEngine::Cel)
        .expect("the example policies load");
    assert_eq!(loaded.rules.len(), 2);
    let selection = RuleSelection {
        only: vec![DIGEST.to_owned(), LABELS.to_owned()],
        skip: Vec::new(),
    };
    ScanOptions {
        config: Config::default(),
        rules: selection
            .resolve_with(&[], &loaded.rules)
            .expect("selected"),
        waivers,
        default_namespace: None,
        as_of: date!(2026 - 06 - 01),
    }
}

fn scan_example(waivers: Option<kubepci_engine::WaiverRegister>) -> kubepci_engine::ScanReport {
    let paths =
        kubepci_k8s::source::expand(&[root().join("examples/payments-platform")]).expect("example");
    scan(&paths, &options(waivers))
}

#[test]
fn scan_reports_policy_violations_as_findings() {
    let report = scan_example(None);
    assert_eq!(report.rules.len(), 2, "only the two policies ran");
    let digest: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule_id == DIGEST)
        .collect();
    assert_eq!(digest.len(), 1, "{digest:?}");
    assert_eq!(digest[0].object.name, "tokenizer");
    assert_eq!(digest[0].severity, Severity::High);
    assert!(
        digest[0].message.contains("tokenizer:3.4.1"),
        "{}",
        digest[0].message
    );
    let meta = report.rule(DIGEST).expect("metadata");
    assert_eq!(meta.pci, ["6.5.1", "6.3.2"]);

    let labels: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule_id == LABELS)
        .collect();
    let names: Vec<&str> = labels.iter().map(|f| f.object.name.as_str()).collect();
    assert_eq!(names, ["payment-service", "tokenizer", "card-vault"]);
    assert!(
        labels
            .iter()
            .all(|f| f.pointer.as_str() == "/metadata/labels")
    );
    assert!(
        labels
            .iter()
            .all(|f| f.message == "missing inventory labels: owner, data-classification")
    );
    assert_eq!(report.rule(LABELS).expect("metadata").pci, ["12.5.1"]);
}

#[test]
fn waivers_cover_policies_as_they_cover_built_in_rules() {
    let register = parse_waivers(
        "waivers.yaml",
        &format!(
            "waivers:\n  - id: W-1\n    rules: [\"{DIGEST}\"]\n    match: {{namespace: payments, name: tokenizer}}\n    justification: tag pinned by the release pipeline\n    approver: a\n    created: 2026-05-01\n    expires: 2026-07-01\n"
        ),
    )
    .expect("valid register");
    let report = scan_example(Some(register));
    let digest = report
        .findings
        .iter()
        .find(|f| f.rule_id == DIGEST)
        .expect("finding");
    assert_eq!(digest.waiver.as_ref().map(|w| w.id.as_str()), Some("W-1"));
    assert!(
        report
            .findings
            .iter()
            .filter(|f| f.rule_id == LABELS)
            .all(|f| f.waiver.is_none())
    );
}

const CONTEXT: &str = "apiVersion: v1
kind: Namespace
metadata: {name: pay, labels: {kubepci.io/scope: cde}}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {kubepci.io/scope: out-of-scope}}
";

#[test]
fn admission_denies_and_admits_with_policies() {
    let admitter = Admitter::new(options(None));
    let context = ContextStore::from_objects(
        load("context.yaml", CONTEXT.as_bytes(), &KindFilter::All, None).objects,
    );
    let decide = |namespace: &str, image: &str| {
        let pod = format!(
            r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"api","namespace":"{namespace}"}},"spec":{{"containers":[{{"name":"app","image":"{image}"}}]}}}}"#
        );
        let review = Review {
            kind: "Pod",
            api_version: "v1",
            sub_resource: "",
            namespace,
            operation: Operation::Create,
            object: Some(pod.as_bytes()),
            old_object: None,
            username: "alice",
            images: None,
        };
        admitter
            .review(
                &review,
                &admitter.options().config.admission.clone(),
                Some("kubepci-system"),
                &context,
                date!(2026 - 06 - 01),
            )
            .expect("readable")
    };
    let denied = decide("pay", "registry.example.com/app:1.0");
    assert!(!denied.allowed, "{denied:?}");
    assert!(
        denied
            .message
            .as_deref()
            .unwrap_or_default()
            .contains(DIGEST),
        "{:?}",
        denied.message
    );
    let admitted = decide(
        "pay",
        "registry.example.com/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    );
    assert!(admitted.allowed, "{admitted:?}");
    let out_of_scope = decide("shop", "registry.example.com/app:1.0");
    assert!(
        out_of_scope.allowed,
        "the constraint selects CDE namespaces only"
    );
}
