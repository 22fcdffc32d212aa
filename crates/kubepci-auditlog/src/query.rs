//! Streaming query over the store: the per-segment time index picks the frames whose event
//! times overlap the range, so memory stays at one frame whatever the store's size.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use serde::Deserialize;

use crate::error::StoreError;
use crate::leaf::{EventKind, LeafRecord};
use crate::segment::{Frame, IDX_ENTRY, IndexEntry, index_path, list_segments, segment_path};
use crate::store::scan_index;

/// What to select. Empty fields match everything; times are Unix nanoseconds, `until`
/// exclusive, compared with the event time (`stageTimestamp`, alert `time`).
#[derive(Debug, Clone, Default)]
pub struct QueryFilter {
    /// Events at or after this time.
    pub since_ns: Option<i64>,
    /// Events before this time.
    pub until_ns: Option<i64>,
    /// `user.username` (alerts: `ka.user.name` / `user.name` output field).
    pub user: Option<String>,
    /// `verb` (alerts: `ka.verb`).
    pub verb: Option<String>,
    /// `objectRef.resource` (alerts: `ka.target.resource`).
    pub resource: Option<String>,
    /// `objectRef.namespace` (alerts: `ka.target.namespace` / `k8s.ns.name`).
    pub namespace: Option<String>,
}

#[derive(Deserialize, Default)]
struct User<'a> {
    #[serde(borrow, default)]
    username: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
struct ObjectRef<'a> {
    #[serde(borrow, default)]
    resource: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    namespace: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
struct AuditFields<'a> {
    #[serde(borrow, default)]
    verb: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    user: Option<User<'a>>,
    #[serde(rename = "objectRef", borrow, default)]
    object_ref: Option<ObjectRef<'a>>,
}

#[derive(Deserialize, Default)]
struct AlertFields {
    #[serde(default)]
    output_fields: HashMap<String, serde_json::Value>,
}

/// The fields a query filters on, taken from an event's body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFields {
    /// User name.
    pub user: Option<String>,
    /// Verb.
    pub verb: Option<String>,
    /// Resource.
    pub resource: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
}

impl EventFields {
    /// Extracts the fields of an event body.
    pub fn of(kind: EventKind, body: &[u8]) -> Self {
        match kind {
            EventKind::K8sAudit => {
                let f: AuditFields<'_> = serde_json::from_slice(body).unwrap_or_default();
                let object = f.object_ref.unwrap_or_default();
                EventFields {
                    user: f.user.and_then(|u| u.username).map(Cow::into_owned),
                    verb: f.verb.map(Cow::into_owned),
                    resource: object.resource.map(Cow::into_owned),
                    namespace: object.namespace.map(Cow::into_owned),
                }
            }
            EventKind::FalcoAlert => {
                let f: AlertFields = serde_json::from_slice(body).unwrap_or_default();
                let field = |names: &[&str]| {
                    names.iter().find_map(|n| {
                        f.output_fields
                            .get(*n)
                            .and_then(|v| v.as_str())
                            .map(str::to_owned)
                    })
                };
                EventFields {
                    user: field(&["ka.user.name", "user.name"]),
                    verb: field(&["ka.verb"]),
                    resource: field(&["ka.target.resource"]),
                    namespace: field(&["ka.target.namespace", "k8s.ns.name"]),
                }
            }
            EventKind::ReportSummary => EventFields::default(),
        }
    }
}

impl QueryFilter {
    fn overlaps(&self, min: i64, max: i64) -> bool {
        self.since_ns.is_none_or(|s| max >= s) && self.until_ns.is_none_or(|u| min < u)
    }

    fn time_matches(&self, t: i64) -> bool {
        self.since_ns.is_none_or(|s| t >= s) && self.until_ns.is_none_or(|u| t < u)
    }

    fn needs_fields(&self) -> bool {
        self.user.is_some()
            || self.verb.is_some()
            || self.resource.is_some()
            || self.namespace.is_some()
    }

    fn fields_match(&self, f: &EventFields) -> bool {
        let eq = |want: &Option<String>, got: &Option<String>| {
            want.as_ref()
                .is_none_or(|w| got.as_deref() == Some(w.as_str()))
        };
        eq(&self.user, &f.user)
            && eq(&self.verb, &f.verb)
            && eq(&self.resource, &f.resource)
            && eq(&self.namespace, &f.namespace)
    }
}

/// Counts of a query run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueryStats {
    /// Frames decompressed.
    pub frames_read: u64,
    /// Frames skipped thanks to the time index.
    pub frames_skipped: u64,
    /// Events that matched.
    pub matched: u64,
}

fn read_index(dir: &Path, segment: u64) -> Result<Vec<IndexEntry>, StoreError> {
    let path = index_path(dir, segment);
    let from_file = std::fs::read(&path)
        .ok()
        .map(|bytes| {
            bytes
                .chunks_exact(IDX_ENTRY)
                .filter_map(IndexEntry::decode)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let seg_len = std::fs::metadata(segment_path(dir, segment))
        .map(|m| m.len())
        .unwrap_or(0);
    // Trust the index only if it accounts for the whole segment; otherwise rebuild it.
    let covered = from_file
        .last()
        .map_or(crate::segment::SEGMENT_HEADER, |e| {
            e.frame_offset + e.frame_len
        });
    if covered == seg_len {
        Ok(from_file)
    } else {
        scan_index(&segment_path(dir, segment))
    }
}

/// Streams the events matching `filter`, oldest first, to `emit` (which returns `false` to
/// stop). Bodies are the bytes as received.
pub fn query(
    dir: &Path,
    filter: &QueryFilter,
    mut emit: impl FnMut(&LeafRecord, &[u8]) -> bool,
) -> Result<QueryStats, StoreError> {
    let mut stats = QueryStats::default();
    for segment in list_segments(dir).map_err(|e| StoreError::io("list", dir, e))? {
        let path = segment_path(dir, segment);
        let Ok(file) = File::open(&path) else {
            continue;
        };
        for entry in read_index(dir, segment)? {
            if !filter.overlaps(entry.min_time_ns, entry.max_time_ns) {
                stats.frames_skipped += 1;
                continue;
            }
            let Ok(len) = usize::try_from(entry.frame_len) else {
                continue;
            };
            let mut bytes = vec![0u8; len];
            file.read_exact_at(&mut bytes, entry.frame_offset)
                .map_err(|e| StoreError::io("read", &path, e))?;
            let frame = Frame::from_bytes(&bytes).map_err(|e| {
                StoreError::Damaged(format!(
                    "segment {segment} offset {}: {e}",
                    entry.frame_offset
                ))
            })?;
            let block = frame.decompress().map_err(|e| {
                StoreError::Damaged(format!(
                    "segment {segment} offset {}: {e}",
                    entry.frame_offset
                ))
            })?;
            stats.frames_read += 1;
            for raw in &frame.leaves {
                let Ok(leaf) = LeafRecord::decode(raw) else {
                    continue;
                };
                if !filter.time_matches(leaf.event_time_ns) {
                    continue;
                }
                let start = leaf.body_offset as usize;
                let Some(body) = block.get(start..start + leaf.body_len as usize) else {
                    continue;
                };
                if filter.needs_fields() && !filter.fields_match(&EventFields::of(leaf.kind, body))
                {
                    continue;
                }
                stats.matched += 1;
                if !emit(&leaf, body) {
                    return Ok(stats);
                }
            }
        }
    }
    Ok(stats)
}
