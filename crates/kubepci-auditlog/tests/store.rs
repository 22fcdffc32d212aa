//! The store end to end: append, dedupe, checkpoints, reopen, proofs, query and retention.

mod common;

use common::{ORIGIN, batch, open, populated, signer};
use kubepci_auditlog::reader::StoreReader;
use kubepci_auditlog::{QueryFilter, StoreConfig, prune, query, verify_store};
use kubepci_checkpoint::{ConsistencyProof, InclusionProof};
use kubepci_tlog::leaf_hash;

#[test]
fn appends_dedupes_and_keeps_bytes_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut factory = kubepci_auditlog::testsupport::EventFactory::synthetic("a");
    let mut store = open(dir.path());
    let body = factory.event_list(5);
    let first = batch("apiserver-1", body.clone());
    let out = store
        .append_group(std::slice::from_ref(&first))
        .expect("append");
    assert_eq!(out[0].accepted, 5);
    // A retried batch is deduplicated; the same events from another source are not.
    let again = store
        .append_group(std::slice::from_ref(&first))
        .expect("append");
    assert_eq!((again[0].accepted, again[0].duplicates), (0, 5));
    let other = store
        .append_group(&[batch("apiserver-2", body.clone())])
        .expect("append");
    assert_eq!(other[0].accepted, 5);
    // Duplicates inside one group count once.
    let twice = store
        .append_group(&[
            batch("apiserver-3", body.clone()),
            batch("apiserver-3", body.clone()),
        ])
        .expect("append");
    assert_eq!((twice[0].accepted, twice[1].duplicates), (5, 5));
    assert_eq!(store.size(), 15);
    // A batch mixing stored and new events keeps only the new ones, bytes intact.
    let mut mixed_events: Vec<String> = Vec::new();
    let more = factory.event_list(2);
    let listed: serde_json::Value = serde_json::from_str(&body).expect("json");
    let fresh: serde_json::Value = serde_json::from_str(&more).expect("json");
    for item in listed["items"].as_array().expect("items").iter().take(3) {
        mixed_events.push(item.to_string());
    }
    for item in fresh["items"].as_array().expect("items") {
        mixed_events.push(item.to_string());
    }
    let mixed = batch("apiserver-1", format!("[{}]", mixed_events.join(",")));
    let out = store
        .append_group(std::slice::from_ref(&mixed))
        .expect("append");
    assert_eq!((out[0].accepted, out[0].duplicates), (2, 3));
    assert_eq!(store.size(), 17);
    store.checkpoint(&signer()).expect("checkpoint");
    drop(store);

    // Reopen: dedupe survives a restart, bodies are byte-identical.
    let mut store = open(dir.path());
    let again = store
        .append_group(std::slice::from_ref(&first))
        .expect("append");
    assert_eq!(again[0].duplicates, 5);
    drop(store);
    let reader = StoreReader::open(dir.path()).expect("reader");
    let leaf = reader.leaf(2).expect("leaf 2");
    let stored = reader.body(&leaf).expect("body");
    assert_eq!(stored, &first.body[first.events[2].range.clone()]);
    let leaf = reader.leaf(16).expect("leaf 16");
    assert_eq!(
        reader.body(&leaf).expect("body"),
        mixed_events[4].as_bytes()
    );
    assert_eq!(leaf.source.display(), "apiserver-1");
}

#[test]
fn proofs_verify_standalone_with_only_the_public_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    populated(dir.path(), 5, 7);
    let reader = StoreReader::open(dir.path()).expect("reader");
    let key = signer().verifier();
    let latest = reader.latest_checkpoint(&key).expect("latest");
    assert_eq!(latest.checkpoint.size, 35);
    assert_eq!(latest.checkpoint.origin, ORIGIN);
    for index in [0, 13, 34] {
        let proof = reader.prove_inclusion(index, &latest).expect("proof");
        // What an auditor does with the text alone.
        let parsed = InclusionProof::parse(proof.to_text().as_bytes()).expect("parses");
        let leaf = parsed.extra.clone().expect("leaf record in extra");
        parsed
            .verify(&key, &leaf_hash(&leaf))
            .expect("inclusion verifies");
        let mut forged = leaf.clone();
        forged[20] ^= 1;
        assert!(parsed.verify(&key, &leaf_hash(&forged)).is_err());
    }
    let old = reader.checkpoint_of_size(14, &key).expect("old checkpoint");
    let proof = reader.prove_consistency(14, &latest).expect("proof");
    let parsed = ConsistencyProof::parse(proof.to_text().as_bytes()).expect("parses");
    parsed.verify(&key, &old.checkpoint).expect("consistent");
    let report = verify_store(dir.path(), &key, Some(old.note.as_bytes())).expect("verify runs");
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.external_checkpoint.as_deref(), Some("consistent"));
    assert_eq!(report.checkpoints_verified, 6);
}

#[test]
fn query_filters_and_uses_the_time_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = open(dir.path());
    let make = |user: &str, verb: &str, ns: &str, t: &str, id: usize| {
        format!(
            r#"{{"auditID":"q{id}","stage":"ResponseComplete","verb":"{verb}","user":{{"username":"{user}"}},"objectRef":{{"resource":"secrets","namespace":"{ns}"}},"stageTimestamp":"{t}"}}"#
        )
    };
    let early = format!(
        "[{},{}]",
        make("alice", "get", "cde", "2026-01-01T00:00:00Z", 1),
        make("bob", "list", "dev", "2026-01-01T00:00:01Z", 2)
    );
    let late = format!(
        "[{},{}]",
        make("alice", "delete", "cde", "2026-03-01T00:00:00Z", 3),
        make("carol", "get", "cde", "2026-03-01T00:00:01Z", 4)
    );
    store.append_group(&[batch("s", early)]).expect("append");
    store.append_group(&[batch("s", late)]).expect("append");
    drop(store);
    let collect = |filter: QueryFilter| {
        let mut ids = Vec::new();
        let stats = query(dir.path(), &filter, |leaf, _| {
            ids.push(leaf.audit_id.display());
            true
        })
        .expect("query");
        (ids, stats)
    };
    let (ids, _) = collect(QueryFilter {
        user: Some("alice".into()),
        ..QueryFilter::default()
    });
    assert_eq!(ids, ["q1", "q3"]);
    let (ids, stats) = collect(QueryFilter {
        since_ns: kubepci_auditlog::event::parse_rfc3339_ns("2026-02-01T00:00:00Z"),
        namespace: Some("cde".into()),
        ..QueryFilter::default()
    });
    assert_eq!(ids, ["q3", "q4"]);
    assert_eq!((stats.frames_read, stats.frames_skipped), (1, 1));
    let (ids, _) = collect(QueryFilter {
        verb: Some("list".into()),
        resource: Some("secrets".into()),
        ..QueryFilter::default()
    });
    assert_eq!(ids, ["q2"]);
}

#[test]
fn retention_prunes_bodies_and_verify_reports_them_as_pruned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = StoreConfig::new(dir.path());
    cfg.segment_bytes = 100; // a segment per group
    let (mut store, _) = kubepci_auditlog::Store::open(cfg).expect("open");
    let mut factory = kubepci_auditlog::testsupport::EventFactory::synthetic("r");
    for _ in 0..4 {
        store
            .append_group(&[batch("s", factory.event_list(4))])
            .expect("append");
        store.checkpoint(&signer()).expect("checkpoint");
    }
    drop(store);
    // Synthetic events are from 2026-01-01: a cutoff in 2027 prunes every sealed segment.
    let cutoff = kubepci_auditlog::event::parse_rfc3339_ns("2027-01-01T00:00:00Z").expect("time");
    let pruned = prune(dir.path(), cutoff, "2027-01-01T00:00:00Z").expect("prune");
    assert_eq!(pruned.len(), 3, "{pruned:?}");
    assert_eq!((pruned[0].first_seq, pruned[2].end_seq), (0, 12));
    let key = signer().verifier();
    let report = verify_store(dir.path(), &key, None).expect("verify");
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.pruned_entries, 12);
    // Proofs still work over the pruned range.
    let reader = StoreReader::open(dir.path()).expect("reader");
    let latest = reader.latest_checkpoint(&key).expect("latest");
    let proof = reader
        .prove_inclusion(1, &latest)
        .expect("proof of a pruned entry");
    proof
        .verify(&key, &leaf_hash(proof.extra.as_deref().expect("leaf")))
        .expect("verifies");
    assert!(reader.body(&reader.leaf(1).expect("leaf")).is_err());
    // Deleting a segment without a retention record is reported as missing.
    std::fs::remove_file(kubepci_auditlog::segment::segment_path(dir.path(), 3)).expect("rm");
    let report = verify_store(dir.path(), &key, None).expect("verify");
    let missing = report
        .problem(kubepci_auditlog::ProblemKind::MissingBody)
        .expect("missing");
    assert_eq!(missing.position, Some(12));
}
