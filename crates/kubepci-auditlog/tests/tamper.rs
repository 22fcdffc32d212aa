//! Each kind of tampering, done to a real store, is named in the verification report with its
//! first bad position.

mod common;

use std::path::Path;

use common::{populated, signer};
use kubepci_auditlog::leaf::{LEAF_SIZE, LeafRecord};
use kubepci_auditlog::reader::StoreReader;
use kubepci_auditlog::segment::{Frame, encode_frame, segment_path};
use kubepci_auditlog::store::{CheckpointRecord, encode_checkpoint_record, read_checkpoint_log};
use kubepci_auditlog::{ProblemKind, VerifyReport, verify_store};
use kubepci_checkpoint::NoteSigner;

/// 30 entries in 6 groups of 5, a checkpoint after each group (sizes 5, 10, …, 30).
fn fresh() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    populated(dir.path(), 6, 5);
    let report = verify(dir.path(), None);
    assert!(report.is_ok(), "a fresh store verifies: {report:?}");
    dir
}

fn verify(dir: &Path, external: Option<&[u8]>) -> VerifyReport {
    verify_store(dir, &signer().verifier(), external).expect("verification runs")
}

fn first(report: &VerifyReport, kind: ProblemKind) -> Option<u64> {
    report
        .problem(kind)
        .unwrap_or_else(|| panic!("expected {kind:?} in {report:#?}"))
        .position
}

fn leaves(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("leaves")).expect("leaves")
}

fn write_leaves(dir: &Path, bytes: &[u8]) {
    std::fs::write(dir.join("leaves"), bytes).expect("write leaves");
}

fn leaf_at(bytes: &[u8], i: usize) -> [u8; LEAF_SIZE] {
    bytes[i * LEAF_SIZE..(i + 1) * LEAF_SIZE]
        .try_into()
        .expect("256 bytes")
}

#[test]
fn edited_body() {
    let dir = fresh();
    let reader = StoreReader::open(dir.path()).expect("reader");
    let leaf = reader.leaf(12).expect("leaf");
    let seg_path = segment_path(dir.path(), leaf.segment);
    let seg = std::fs::read(&seg_path).expect("segment");
    let at = leaf.frame_offset as usize;
    let frame = Frame::from_bytes(&seg[at..]).expect("frame");
    let mut block = frame.decompress().expect("block");
    // Rewrite the user name in entry 12's body, keeping the length; recompute the frame CRC.
    let start = leaf.body_offset as usize;
    let body = &mut block[start..start + leaf.body_len as usize];
    let pos = body
        .windows(5)
        .position(|w| w == b"alice")
        .expect("user in body");
    body[pos..pos + 5].copy_from_slice(b"mallo");
    let h = frame.header;
    let new_frame = encode_frame(
        &frame.leaves,
        h.first_seq,
        h.min_time_ns,
        h.max_time_ns,
        &block,
        1,
    )
    .expect("re-encode");
    let mut edited = seg[..at].to_vec();
    edited.extend_from_slice(&new_frame);
    edited.extend_from_slice(&seg[at + h.frame_len()..]);
    std::fs::write(&seg_path, edited).expect("write");
    let report = verify(dir.path(), None);
    assert_eq!(first(&report, ProblemKind::EditedBody), Some(12));
    assert_eq!(report.problems.len(), 1, "{report:#?}");
}

#[test]
fn flipped_byte_in_a_segment() {
    let dir = fresh();
    let seg_path = segment_path(dir.path(), 0);
    let mut seg = std::fs::read(&seg_path).expect("segment");
    let len = seg.len();
    seg[len - 10] ^= 0x40;
    std::fs::write(&seg_path, seg).expect("write");
    let report = verify(dir.path(), None);
    assert!(
        report.problem(ProblemKind::DamagedFrame).is_some(),
        "{report:#?}"
    );
    assert_eq!(first(&report, ProblemKind::MissingBody), Some(25));
}

#[test]
fn edited_leaf() {
    let dir = fresh();
    let mut bytes = leaves(dir.path());
    let mut record = LeafRecord::decode(&leaf_at(&bytes, 7)).expect("leaf");
    record.received_at_ns -= 3_600_000_000_000; // back-date by an hour, with a valid CRC
    bytes[7 * LEAF_SIZE..8 * LEAF_SIZE].copy_from_slice(&record.encode());
    write_leaves(dir.path(), &bytes);
    let report = verify(dir.path(), None);
    assert_eq!(first(&report, ProblemKind::EditedLeaf), Some(7));
    assert_eq!(first(&report, ProblemKind::HashMismatch), Some(7));
    assert_eq!(
        first(&report, ProblemKind::InconsistentCheckpoint),
        Some(10)
    );
}

#[test]
fn deleted_record() {
    let dir = fresh();
    let mut bytes = leaves(dir.path());
    bytes.drain(9 * LEAF_SIZE..10 * LEAF_SIZE);
    write_leaves(dir.path(), &bytes);
    let report = verify(dir.path(), None);
    assert_eq!(first(&report, ProblemKind::DeletedRecord), Some(9));
    assert!(report.problem(ProblemKind::InsertedRecord).is_none());
}

#[test]
fn inserted_record() {
    let dir = fresh();
    let mut bytes = leaves(dir.path());
    let mut forged = LeafRecord::decode(&leaf_at(&bytes, 3)).expect("leaf");
    forged.seq = 11;
    forged.audit_id = kubepci_auditlog::leaf::IdField::new("forged-event");
    let at = 11 * LEAF_SIZE;
    bytes.splice(at..at, forged.encode());
    write_leaves(dir.path(), &bytes);
    let report = verify(dir.path(), None);
    assert_eq!(first(&report, ProblemKind::InsertedRecord), Some(11));
    assert!(report.problem(ProblemKind::DeletedRecord).is_none());
}

#[test]
fn reordered_records() {
    let dir = fresh();
    let mut bytes = leaves(dir.path());
    let (a, b) = (leaf_at(&bytes, 16), leaf_at(&bytes, 17));
    bytes[16 * LEAF_SIZE..17 * LEAF_SIZE].copy_from_slice(&b);
    bytes[17 * LEAF_SIZE..18 * LEAF_SIZE].copy_from_slice(&a);
    write_leaves(dir.path(), &bytes);
    let report = verify(dir.path(), None);
    assert_eq!(first(&report, ProblemKind::ReorderedRecords), Some(16));
    assert!(report.problem(ProblemKind::DeletedRecord).is_none());
}

#[test]
fn truncated_tail() {
    let dir = fresh();
    let bytes = leaves(dir.path());
    write_leaves(dir.path(), &bytes[..22 * LEAF_SIZE]);
    let report = verify(dir.path(), None);
    assert_eq!(first(&report, ProblemKind::TruncatedTail), Some(22));
}

fn rewrite_checkpoints(
    dir: &Path,
    edit: impl Fn(usize, &CheckpointRecord) -> Option<CheckpointRecord>,
) {
    let (records, _) = read_checkpoint_log(dir).expect("checkpoints");
    let mut out = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if let Some(r) = edit(i, r) {
            out.extend(encode_checkpoint_record(&r));
        }
    }
    std::fs::write(dir.join("checkpoints"), out).expect("write");
}

#[test]
fn forged_checkpoints() {
    let dir = fresh();
    // An edited size in a signed checkpoint.
    rewrite_checkpoints(dir.path(), |i, r| {
        let mut r = r.clone();
        if i == 2 {
            r.note = r.note.replacen("\n15\n", "\n16\n", 1);
        }
        Some(r)
    });
    let report = verify(dir.path(), None);
    assert!(
        report
            .problem(ProblemKind::ForgedCheckpoint)
            .is_some_and(|p| p.detail.contains("#2")),
        "{report:#?}"
    );
    // A checkpoint signed by another key that claims the same origin.
    let dir = fresh();
    let attacker = NoteSigner::from_seed(common::ORIGIN, [66; 32]);
    let fake = kubepci_checkpoint::sign_checkpoint(
        &kubepci_checkpoint::Checkpoint {
            origin: common::ORIGIN.into(),
            size: 30,
            root: kubepci_tlog::leaf_hash(b"anything"),
            extensions: vec![],
        },
        &attacker,
    )
    .expect("signs");
    std::fs::write(dir.path().join("checkpoint"), fake.note).expect("write");
    let report = verify(dir.path(), None);
    assert!(
        report
            .problem(ProblemKind::ForgedCheckpoint)
            .is_some_and(|p| p.detail.contains("checkpoint file"))
    );
}

#[test]
fn rolled_back_checkpoints() {
    let dir = fresh();
    let key = signer().verifier();
    let reader = StoreReader::open(dir.path()).expect("reader");
    let _kept_elsewhere = reader.latest_checkpoint(&key).expect("latest");
    let older = reader.checkpoint_of_size(20, &key).expect("older");
    drop(reader);
    // The checkpoint file replaced by an older one.
    std::fs::write(dir.path().join("checkpoint"), &older.note).expect("write");
    let report = verify(dir.path(), None);
    assert_eq!(first(&report, ProblemKind::RolledBackCheckpoint), Some(20));

    // A consistent rollback of the whole store to 20 entries: only the saved checkpoint tells.
    let dir = fresh();
    let reader = StoreReader::open(dir.path()).expect("reader");
    let saved = reader.latest_checkpoint(&key).expect("latest");
    let older = reader.checkpoint_of_size(20, &key).expect("older");
    drop(reader);
    let bytes = leaves(dir.path());
    write_leaves(dir.path(), &bytes[..20 * LEAF_SIZE]);
    let hashes = std::fs::read(dir.path().join("hashes")).expect("hashes");
    let keep = kubepci_tlog::stored_hash_count(20) as usize * 32;
    std::fs::write(dir.path().join("hashes"), &hashes[..keep]).expect("write");
    let reader = StoreReader::open(dir.path()).expect("reader");
    let seg_keep = {
        let leaf = reader.leaf(19).expect("leaf");
        let seg = std::fs::read(segment_path(dir.path(), leaf.segment)).expect("seg");
        let frame = Frame::from_bytes(&seg[leaf.frame_offset as usize..]).expect("frame");
        leaf.frame_offset as usize + frame.header.frame_len()
    };
    let seg_path = segment_path(dir.path(), 0);
    let seg = std::fs::read(&seg_path).expect("seg");
    std::fs::write(&seg_path, &seg[..seg_keep]).expect("write");
    rewrite_checkpoints(dir.path(), |i, r| (i < 4).then(|| r.clone()));
    std::fs::write(dir.path().join("checkpoint"), &older.note).expect("write");
    let alone = verify(dir.path(), None);
    assert!(
        alone.is_ok(),
        "a consistent rollback looks fine on its own: {alone:#?}"
    );
    let report = verify(dir.path(), Some(saved.note.as_bytes()));
    assert_eq!(first(&report, ProblemKind::RolledBackCheckpoint), Some(20));
}

#[test]
fn rewritten_store_is_caught_by_a_checkpoint_kept_elsewhere() {
    let dir = fresh();
    let key = signer().verifier();
    let saved = StoreReader::open(dir.path())
        .expect("reader")
        .checkpoint_of_size(15, &key)
        .expect("cp");
    // Someone with the signing key rebuilds a different history of the same length.
    let other = tempfile::tempdir().expect("tempdir");
    let mut factory = kubepci_auditlog::testsupport::EventFactory::synthetic("rewritten");
    let mut store = common::open(other.path());
    for _ in 0..6 {
        store
            .append_group(&[common::batch("apiserver-1", factory.event_list(5))])
            .expect("append");
        store.checkpoint(&signer()).expect("checkpoint");
    }
    drop(store);
    assert!(verify(other.path(), None).is_ok());
    let report = verify(other.path(), Some(saved.note.as_bytes()));
    assert_eq!(
        first(&report, ProblemKind::InconsistentCheckpoint),
        Some(15)
    );
    assert_eq!(report.external_checkpoint.as_deref(), Some("inconsistent"));
}
