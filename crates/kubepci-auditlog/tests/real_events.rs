//! The real audit events of the Falco k8s_audit trace files (../shared, see `KUBEPCI_SHARED`)
//! go through the store byte for byte, verify, and are found again by query. Skipped when the
//! shared data is absent, unless `KUBEPCI_REQUIRE_SHARED=1`.

mod common;

use std::collections::BTreeMap;

use common::{batch, open, signer};
use kubepci_auditlog::reader::StoreReader;
use kubepci_auditlog::testsupport::{load_trace_events, shared_dir, trace_dir_of};
use kubepci_auditlog::{QueryFilter, query, verify_store};

#[test]
fn trace_events_are_stored_exactly_and_found_by_query() {
    let Some(shared) = shared_dir() else { return };
    let events = load_trace_events(&trace_dir_of(&shared)).expect("trace files read");
    assert!(
        events.len() >= 50,
        "expected the 51 real events, got {}",
        events.len()
    );
    let body = format!(
        r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{}]}}"#,
        events.join(",")
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = open(dir.path());
    let b = batch("apiserver-1", body);
    // Some trace events share an auditID and stage: they are the same event, stored once.
    let mut unique = std::collections::HashSet::new();
    let expected_unique = events
        .iter()
        .filter(|e| {
            let v: serde_json::Value = serde_json::from_str(e).expect("json");
            unique.insert((v["auditID"].to_string(), v["stage"].to_string()))
        })
        .count();
    let out = store
        .append_group(std::slice::from_ref(&b))
        .expect("append");
    assert_eq!(out[0].accepted as usize, expected_unique);
    store.checkpoint(&signer()).expect("checkpoint");
    drop(store);

    let report = verify_store(dir.path(), &signer().verifier(), None).expect("verify");
    assert!(report.is_ok(), "{report:#?}");
    let reader = StoreReader::open(dir.path()).expect("reader");
    for seq in 0..reader.size() {
        let leaf = reader.leaf(seq).expect("leaf");
        let stored = reader.body(&leaf).expect("body");
        assert!(
            events.iter().any(|e| e.as_bytes() == stored),
            "entry {seq} is byte-identical to a trace event"
        );
    }

    // Query by user and namespace agrees with a plain JSON reading of the stored events.
    let mut by_user: BTreeMap<String, usize> = BTreeMap::new();
    for seq in 0..reader.size() {
        let leaf = reader.leaf(seq).expect("leaf");
        let v: serde_json::Value =
            serde_json::from_slice(&reader.body(&leaf).expect("body")).expect("json");
        if let Some(user) = v["user"]["username"].as_str() {
            *by_user.entry(user.to_owned()).or_default() += 1;
        }
    }
    assert!(by_user.len() > 1);
    for (user, count) in by_user {
        let mut found = 0;
        query(
            dir.path(),
            &QueryFilter {
                user: Some(user.clone()),
                ..QueryFilter::default()
            },
            |_, _| {
                found += 1;
                true
            },
        )
        .expect("query");
        assert_eq!(found, count, "user {user}");
    }
}
