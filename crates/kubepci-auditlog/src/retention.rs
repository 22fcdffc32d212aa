//! Retention: removes the bodies of old segments while every leaf record, stored hash and
//! checkpoint stays, so proofs and verification keep working over the pruned range.

use std::io::Write;
use std::path::Path;

use crate::error::StoreError;
use crate::reader::{PrunedSegment, read_pruned};
use crate::segment::{index_path, list_segments, segment_path};
use crate::store::{note_size_and_origin, read_checkpoint_log, scan_index};

/// Prunes every sealed segment whose newest event is older than `cutoff_ns` (Unix ns) and whose
/// entries are all covered by a checkpoint. The active (last) segment is never pruned. Each
/// pruned segment is first recorded in `pruned` (fsynced), then deleted.
pub fn prune(
    dir: &Path,
    cutoff_ns: i64,
    now_rfc3339: &str,
) -> Result<Vec<PrunedSegment>, StoreError> {
    let (records, _) = read_checkpoint_log(dir)?;
    let signed = records
        .iter()
        .rev()
        .find_map(|r| note_size_and_origin(&r.note))
        .map_or(0, |(size, _)| size);
    let already = read_pruned(dir)?;
    let segments = list_segments(dir).map_err(|e| StoreError::io("list", dir, e))?;
    let Some((_, sealed)) = segments.split_last() else {
        return Ok(Vec::new());
    };
    let mut pruned = Vec::new();
    for &segment in sealed {
        if already.iter().any(|p| p.segment == segment) {
            continue;
        }
        let entries = scan_index(&segment_path(dir, segment))?;
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            continue;
        };
        let newest = entries
            .iter()
            .map(|e| e.max_time_ns)
            .max()
            .unwrap_or(i64::MAX);
        let end_seq = last.first_seq + u64::from(last.leaf_count);
        if newest >= cutoff_ns || end_seq > signed {
            // Segments are in time order in practice; stop at the first one still needed.
            break;
        }
        let record = PrunedSegment {
            segment,
            first_seq: first.first_seq,
            end_seq,
            pruned_at: now_rfc3339.to_owned(),
        };
        let path = dir.join("pruned");
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| StoreError::io("open", &path, e))?;
        writeln!(
            file,
            "segment {} seq {} {} pruned-at {}",
            record.segment, record.first_seq, record.end_seq, record.pruned_at
        )
        .and_then(|()| file.sync_all())
        .map_err(|e| StoreError::io("write", &path, e))?;
        for p in [segment_path(dir, segment), index_path(dir, segment)] {
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io("remove", &p, e)),
            }
        }
        tracing::info!(
            segment,
            first_seq = record.first_seq,
            end_seq,
            "pruned segment bodies"
        );
        pruned.push(record);
    }
    Ok(pruned)
}
