//! Shared helpers for the store's integration tests.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::sync::Arc;

use kubepci_auditlog::testsupport::EventFactory;
use kubepci_auditlog::{IncomingBatch, Store, StoreConfig, decode_audit_events};
use kubepci_checkpoint::NoteSigner;

pub const ORIGIN: &str = "audit.test/kubepci";

pub fn signer() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, [5; 32])
}

pub fn batch(source: &str, body: String) -> IncomingBatch {
    let body = body.into_bytes();
    let events = decode_audit_events(&body).expect("test bodies decode");
    // Precompressed like the server does; the writer's own compression path is exercised by
    // batches with duplicates and by the log follower.
    let mut batch = IncomingBatch::new(source.into(), Arc::new(body), events);
    batch.precompress(1).expect("compresses");
    batch
}

pub fn open(dir: &Path) -> Store {
    Store::open(StoreConfig::new(dir)).expect("store opens").0
}

/// A store with `groups` commits of `per_group` events, a checkpoint after each commit.
pub fn populated(dir: &Path, groups: usize, per_group: usize) -> EventFactory {
    let mut factory = EventFactory::synthetic("t");
    let mut store = open(dir);
    let signer = signer();
    for _ in 0..groups {
        let b = batch("apiserver-1", factory.event_list(per_group));
        store.append_group(&[b]).expect("append");
        store.checkpoint(&signer).expect("checkpoint");
    }
    factory
}
