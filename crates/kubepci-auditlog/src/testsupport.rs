//! Support for tests and benchmarks (not used by the store itself): locating the shared
//! conformance data and building audit events and `EventList` bodies from the real Falco trace
//! events, with fresh auditIDs and timestamps.

use std::path::{Path, PathBuf};

/// The shared data directory (`KUBEPCI_SHARED`, default `../shared` beside the workspace), or
/// `None` with a message on stderr when it is absent. With `KUBEPCI_REQUIRE_SHARED=1` (CI), an
/// absent directory is a failure, not a skip.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KUBEPCI_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    if trace_dir_of(&dir).is_dir() {
        return Some(dir);
    }
    if std::env::var("KUBEPCI_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!(
            "KUBEPCI_REQUIRE_SHARED=1 but {} has no conformance/falco-k8s-audit/trace_files",
            dir.display()
        );
    }
    eprintln!(
        "skipping: shared data not found at {} (set KUBEPCI_SHARED)",
        dir.display()
    );
    None
}

/// The Falco k8s_audit trace directory under a shared directory.
pub fn trace_dir_of(shared: &Path) -> PathBuf {
    shared.join("conformance/falco-k8s-audit/trace_files")
}

/// Every real audit event of the trace files (one JSON object per line), skipping lines
/// without an `auditID` (the deliberately malformed fixture).
pub fn load_trace_events(trace_dir: &Path) -> std::io::Result<Vec<String>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(trace_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut events = Vec::new();
    for file in files {
        for line in std::fs::read_to_string(&file)?.lines() {
            let ok = serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v.get("auditID").and_then(|a| a.as_str()).map(str::to_owned))
                .is_some();
            if ok {
                events.push(line.to_owned());
            }
        }
    }
    Ok(events)
}

/// Makes unique events from templates by rewriting `auditID` and `stageTimestamp` in place
/// (the rest of each template's bytes stay as they are).
#[derive(Debug, Clone)]
pub struct EventFactory {
    templates: Vec<(String, String, Option<String>)>,
    prefix: String,
    counter: u64,
    base_time: i64,
}

impl EventFactory {
    /// A factory over real template events; `prefix` makes auditIDs unique per client.
    pub fn new(templates: Vec<String>, prefix: &str) -> Self {
        let templates = templates
            .into_iter()
            .filter_map(|t| {
                let v: serde_json::Value = serde_json::from_str(&t).ok()?;
                let id = v.get("auditID")?.as_str()?.to_owned();
                let ts = v
                    .get("stageTimestamp")
                    .and_then(|x| x.as_str())
                    .map(str::to_owned);
                Some((t, id, ts))
            })
            .collect();
        Self {
            templates,
            prefix: prefix.to_owned(),
            counter: 0,
            base_time: 1_767_225_600, // 2026-01-01T00:00:00Z
        }
    }

    /// Synthetic templates, for tests that must run without the shared data.
    pub fn synthetic(prefix: &str) -> Self {
        let t = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"00000000-0000-0000-0000-000000000000","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"create","user":{"username":"alice","groups":["system:authenticated"]},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"default","name":"web","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestReceivedTimestamp":"2026-01-01T00:00:00.000000Z","stageTimestamp":"2026-01-01T00:00:00.000000Z"}"#;
        Self::new(vec![t.to_owned()], prefix)
    }

    /// Number of templates.
    pub fn templates(&self) -> usize {
        self.templates.len()
    }

    /// The next event: template `counter % n` with a fresh auditID and a timestamp one
    /// millisecond after the previous one.
    pub fn next_event(&mut self) -> String {
        let i = self.counter;
        self.counter += 1;
        let (template, id, ts) = &self.templates[(i % self.templates.len() as u64) as usize];
        let new_id = format!("{}-{:012x}", self.prefix, i);
        let mut out = template.replacen(
            &format!("\"auditID\":\"{id}\""),
            &format!("\"auditID\":\"{new_id}\""),
            1,
        );
        if let Some(ts) = ts {
            let secs = self.base_time + (i / 1000) as i64;
            let t = time::OffsetDateTime::from_unix_timestamp(secs)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            let stamp = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                (i % 1000) * 1000
            );
            out = out.replacen(
                &format!("\"stageTimestamp\":\"{ts}\""),
                &format!("\"stageTimestamp\":\"{stamp}\""),
                1,
            );
        }
        out
    }

    /// An `audit.k8s.io/v1` `EventList` of `n` fresh events.
    pub fn event_list(&mut self, n: usize) -> String {
        let mut out = String::from(
            r#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":["#,
        );
        for i in 0..n {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&self.next_event());
        }
        out.push_str("]}");
        out
    }
}
