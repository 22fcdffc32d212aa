//! Crash recovery, full disks and group commit.

mod common;

use common::{batch, open, signer};
use kubepci_auditlog::store::DiskFault;
use kubepci_auditlog::testsupport::EventFactory;
use kubepci_auditlog::{Store, StoreConfig, StoreError, WriterConfig, spawn_writer, verify_store};

fn verified(dir: &std::path::Path) {
    let report = verify_store(dir, &signer().verifier(), None).expect("verify runs");
    assert!(report.is_ok(), "{report:#?}");
}

#[test]
fn torn_tail_writes_are_cut_back_to_the_last_complete_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut factory = EventFactory::synthetic("torn");
    let mut store = open(dir.path());
    store
        .append_group(&[batch("s", factory.event_list(4))])
        .expect("append");
    store.checkpoint(&signer()).expect("checkpoint");
    store
        .append_group(&[batch("s", factory.event_list(4))])
        .expect("append");
    drop(store);
    // A crash in the middle of the next group: half a frame, a partial leaf record and a partial
    // hash reach the disk.
    let seg = kubepci_auditlog::segment::segment_path(dir.path(), 0);
    let mut bytes = std::fs::read(&seg).expect("segment");
    let good_len = bytes.len();
    let frame = kubepci_auditlog::segment::encode_frame(&[[9u8; 256]], 8, 0, 0, b"partial body", 1)
        .expect("frame");
    bytes.extend_from_slice(&frame[..frame.len() / 2]);
    std::fs::write(&seg, bytes).expect("write");
    let mut leaves = std::fs::read(dir.path().join("leaves")).expect("leaves");
    leaves.extend_from_slice(&[1u8; 100]);
    std::fs::write(dir.path().join("leaves"), leaves).expect("write");
    let mut hashes = std::fs::read(dir.path().join("hashes")).expect("hashes");
    hashes.extend_from_slice(&[7u8; 40]);
    std::fs::write(dir.path().join("hashes"), hashes).expect("write");

    let (mut store, recovery) = Store::open(StoreConfig::new(dir.path())).expect("recovers");
    assert_eq!(recovery.torn_bytes_cut, (frame.len() / 2) as u64);
    assert_eq!(store.size(), 8);
    assert_eq!(
        std::fs::metadata(&seg).expect("stat").len(),
        good_len as u64
    );
    store
        .append_group(&[batch("s", factory.event_list(4))])
        .expect("append after recovery");
    store.checkpoint(&signer()).expect("checkpoint");
    drop(store);
    verified(dir.path());
}

#[test]
fn leaves_lost_after_the_last_checkpoint_are_rebuilt_from_the_segments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut factory = EventFactory::synthetic("lost");
    let mut store = open(dir.path());
    store
        .append_group(&[batch("s", factory.event_list(3))])
        .expect("append");
    store.checkpoint(&signer()).expect("checkpoint");
    for _ in 0..3 {
        store
            .append_group(&[batch("s", factory.event_list(5))])
            .expect("append");
    }
    drop(store);
    // Power loss: the unsynced tails of the derived files never reached the disk.
    let leaves = std::fs::read(dir.path().join("leaves")).expect("leaves");
    std::fs::write(dir.path().join("leaves"), &leaves[..3 * 256]).expect("write");
    std::fs::write(dir.path().join("hashes"), []).expect("write");
    let (mut store, recovery) = Store::open(StoreConfig::new(dir.path())).expect("recovers");
    assert_eq!(recovery.leaves_restored, 15);
    assert_eq!(store.size(), 18);
    store.checkpoint(&signer()).expect("checkpoint");
    drop(store);
    verified(dir.path());
}

#[test]
fn a_full_disk_fails_the_batch_and_keeps_the_store_consistent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fault = DiskFault::after(i64::MAX / 2);
    let mut cfg = StoreConfig::new(dir.path());
    cfg.fault = Some(fault.clone());
    let (mut store, _) = Store::open(cfg).expect("open");
    let mut factory = EventFactory::synthetic("full");
    let seg = kubepci_auditlog::segment::segment_path(dir.path(), 0);
    let before = std::fs::metadata(&seg).expect("stat").len();
    store
        .append_group(&[batch("s", factory.event_list(5))])
        .expect("append");
    let frame = (std::fs::metadata(&seg).expect("stat").len() - before) as i64;
    // Budgets that run out inside the frame, inside the time-index entry and inside the leaf
    // records of the next group.
    let budgets = [0, frame / 2, frame + 24, frame + 48 + 640];
    // The disk fills up in the middle of the next group's writes.
    for (round, budget) in budgets.into_iter().enumerate() {
        let before = 5 + 5 * round as u64;
        fault.set_budget(budget);
        let failed = batch("s", factory.event_list(5));
        let err = store
            .append_group(std::slice::from_ref(&failed))
            .expect_err("disk is full");
        assert!(matches!(err, StoreError::Full), "{err:?}");
        assert!(err.is_retryable());
        assert_eq!(store.size(), before);
        // The apiserver retries once there is room: nothing of the failed attempt is left over.
        fault.set_budget(i64::MAX / 2);
        let retried = store.append_group(&[failed]).expect("retry succeeds");
        assert_eq!(retried[0].accepted, 5);
    }
    store.checkpoint(&signer()).expect("checkpoint");
    assert_eq!(store.size(), 25);
    drop(store);
    verified(dir.path());
    let (store, recovery) = Store::open(StoreConfig::new(dir.path())).expect("reopens");
    assert_eq!(recovery, Default::default());
    assert_eq!(store.size(), 25);
}

#[test]
fn concurrent_batches_share_group_commits_and_shutdown_signs_a_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let (appender, writer) = spawn_writer(store, signer(), WriterConfig::default()).expect("spawn");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let appender = appender.clone();
            std::thread::spawn(move || {
                let mut factory = EventFactory::synthetic(&format!("c{t}"));
                for _ in 0..10 {
                    let b = batch("apiserver", factory.event_list(20));
                    let out = appender.append_blocking(b.clone()).expect("durable");
                    assert_eq!(out.accepted, 20);
                    // A retry of an acknowledged batch is a duplicate.
                    assert_eq!(appender.append_blocking(b).expect("durable").duplicates, 20);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client thread");
    }
    drop(appender);
    let store = writer.shutdown().expect("writer stops");
    assert_eq!(store.size(), 800);
    assert_eq!(store.checkpoint_size(), Some(800));
    drop(store);
    verified(dir.path());
}
