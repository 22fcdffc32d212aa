//! Reports recorded in a local audit store read back as a verified timeline; the store still
//! verifies with the log's key.

mod common;

use kubepci_checkpoint::NoteSigner;
use kubepci_compliance::history::{read_history, record_local, summarise};
use kubepci_compliance::model::Status;
use kubepci_compliance::sign::sign;

#[test]
fn recorded_reports_form_a_verified_timeline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report_key = NoteSigner::from_seed("reports.payments.example.com", [21; 32]);
    let log_key = NoteSigner::from_seed("audit.payments.example.com/prod", [22; 32]);

    let mut first = common::example_report();
    sign(&mut first, &report_key).expect("signs");
    let summary = summarise(&first, &report_key).expect("summary");
    let recorded =
        record_local(dir.path(), &summary, "kubepci-report:test", Some(&log_key)).expect("records");
    assert_eq!(recorded.seq, Some(0));
    assert_eq!(
        recorded.checkpoint.as_ref().map(|c| c.checkpoint.size),
        Some(1)
    );
    // Recording the same report again stores nothing new.
    let again =
        record_local(dir.path(), &summary, "kubepci-report:test", Some(&log_key)).expect("records");
    assert_eq!(again.seq, None);

    // A later report in which 1.2.7 was reviewed again.
    let mut second = common::example_report();
    second.generated_at = "2026-12-08T09:30:00Z".into();
    if let Some(r) = second.requirements.iter_mut().find(|r| r.id == "1.2.7") {
        r.status = Status::Attested;
    }
    sign(&mut second, &report_key).expect("signs");
    let summary2 = summarise(&second, &report_key).expect("summary");
    record_local(dir.path(), &summary2, "kubepci-report:test", Some(&log_key)).expect("records");

    let history = read_history(dir.path(), Some(&report_key.verifier())).expect("history");
    assert_eq!(history.len(), 2);
    assert!(
        history.iter().all(|e| e.signature == "verified"),
        "{history:#?}"
    );
    assert_eq!(
        history[0].summary.report_digest,
        first.signature.as_ref().expect("signed").digest
    );
    assert!(history[0].changes.is_empty());
    assert_eq!(
        history[1].changes,
        [(
            "1.2.7".to_owned(),
            "attestation-overdue".to_owned(),
            "attested".to_owned()
        )]
    );
    let table = kubepci_compliance::history::history_table(&history);
    assert!(
        table.contains("1.2.7: attestation-overdue -> attested"),
        "{table}"
    );

    // Another report key does not verify them.
    let other = NoteSigner::from_seed("reports.payments.example.com", [23; 32]);
    let history = read_history(dir.path(), Some(&other.verifier())).expect("history");
    assert!(
        history
            .iter()
            .all(|e| e.signature.starts_with("bad-signature"))
    );

    // The log itself verifies with the log key and covers both entries.
    let verified =
        kubepci_auditlog::verify_store(dir.path(), &log_key.verifier(), None).expect("verifies");
    assert!(verified.is_ok(), "{verified:#?}");
    assert_eq!(verified.entries, 2);
    assert_eq!(verified.latest_checkpoint_size, Some(2));

    // And the report anchored to that log names its checkpoint.
    let log = kubepci_compliance::evidence::audit_log(dir.path(), &log_key.verifier())
        .expect("audit evidence");
    assert!(log.verified);
    assert_eq!(log.size, 2);
    assert_eq!(log.origin, "audit.payments.example.com/prod");
}

#[test]
fn unsigned_reports_are_not_recorded() {
    let report_key = NoteSigner::from_seed("reports.payments.example.com", [21; 32]);
    let report = common::example_report();
    assert!(summarise(&report, &report_key).is_err());
}
