//! The decoders never panic: arbitrary bytes go through the bodies of the `audit_eventlist` and
//! `audit_segment` fuzz targets.

use kubepci_auditlog::event::fuzz_decode;
use kubepci_auditlog::segment::{encode_frame, fuzz_segment, segment_header};
use proptest::prelude::*;

proptest! {
    #[test]
    fn eventlist_decoding(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        fuzz_decode(&data);
    }

    #[test]
    fn eventlist_like_json(items in proptest::collection::vec("[a-zA-Z0-9\":{},\\[\\] ]{0,40}", 0..6)) {
        let body = format!("{{\"kind\":\"EventList\",\"items\":[{}]}}", items.join(","));
        fuzz_decode(body.as_bytes());
        fuzz_decode(format!("[{}]", items.join(",")).as_bytes());
    }

    #[test]
    fn segment_reading(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        fuzz_segment(&data);
    }

    #[test]
    fn mutated_segments(at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let mut seg = segment_header(0).to_vec();
        let leaf = kubepci_auditlog::leaf::LeafRecord {
            kind: kubepci_auditlog::EventKind::K8sAudit,
            stage: kubepci_auditlog::Stage::ResponseComplete,
            seq: 0, received_at_ns: 1, event_time_ns: 1, event_sha256: [0; 32],
            segment: 0, frame_offset: 16, body_offset: 0, body_len: 5,
            audit_id: kubepci_auditlog::leaf::IdField::new("a"),
            source: kubepci_auditlog::leaf::IdField::new("s"),
        };
        seg.extend(encode_frame(&[leaf.encode()], 0, 1, 1, b"hello", 1).expect("frame"));
        let mut mutated = seg.clone();
        let i = at.index(mutated.len());
        mutated[i] = byte;
        fuzz_segment(&mutated);
        fuzz_segment(&seg[..cut.index(seg.len())]);
    }
}
