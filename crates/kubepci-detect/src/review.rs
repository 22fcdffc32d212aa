//! The daily log review of PCI DSS 10.4.1, built from the records of the audit store.
//!
//! [`Review`] takes the store's records one at a time (events and alerts, in sequence order)
//! and keeps bounded aggregates; [`Review::finish`] turns them into a [`ReviewReport`]:
//! alerts by priority and rule, failed and denied requests, privileged actions by person,
//! changes to security controls, Secret access in the CDE by identity, gaps in ingest per
//! source (PCI 10.7), clock skew between event and receive time (PCI 10.6), and the checkpoint
//! the review was made against. [`render_table`] and [`render_html`] print it; the JSON form
//! is the report's serde serialisation (`kubepci.review/v1`).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::Serialize;

use crate::detector::{format_time_ns, mask_card_numbers};
use crate::json::{J, Parsed};
use crate::priority::Priority;

/// Most rows kept in a list section (changes, alerts); counts stay exact beyond it.
pub const MAX_ROWS: usize = 200;

/// The schema name of the JSON report.
pub const SCHEMA: &str = "kubepci.review/v1";

/// One record of the store, as the review reads it.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Its sequence number (leaf index).
    pub seq: u64,
    /// An alert (Falco's or kubepci's) rather than an audit event.
    pub alert: bool,
    /// Who sent it.
    pub source: &'a str,
    /// When the store received it (Unix ns).
    pub received_ns: i64,
    /// Its own time (`stageTimestamp`, an alert's `time`), Unix ns.
    pub event_ns: i64,
    /// Its bytes.
    pub body: &'a [u8],
}

/// What the review looks for.
#[derive(Debug, Clone)]
pub struct ReviewOptions {
    /// The window reviewed (Unix ns), for the report and for the gap at either end.
    pub since_ns: i64,
    /// End of the window.
    pub until_ns: i64,
    /// Namespaces of the CDE, for Secret access.
    pub cde_namespaces: Vec<String>,
    /// A silence longer than this from a source is a gap (PCI 10.7).
    pub gap_ns: i64,
    /// A difference between event time and receive time beyond this is clock skew (PCI 10.6).
    pub max_skew_ns: i64,
}

/// The checkpoint the review was made against.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CheckpointInfo {
    /// The log's origin.
    pub origin: String,
    /// Entries it covers.
    pub size: u64,
    /// Its root hash (hex).
    pub root: String,
    /// Whether its signature was verified with the log's public key.
    pub verified: bool,
    /// Whether it covers every record of the review window.
    pub covers_window: bool,
}

/// Alerts of one rule.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RuleCount {
    /// The rule.
    pub rule: String,
    /// Its priority.
    pub priority: Priority,
    /// How many.
    pub count: u64,
    /// The first and the last (RFC 3339).
    pub first: String,
    /// The last.
    pub last: String,
}

/// One alert worth reading (priority Error or more severe).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AlertRow {
    /// Its sequence number in the store (for `audit prove --index`).
    pub seq: u64,
    /// Its time.
    pub time: String,
    /// Its priority.
    pub priority: Priority,
    /// Its rule.
    pub rule: String,
    /// Its text, card numbers masked.
    pub output: String,
}

/// Failed or denied requests of one identity.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct FailureCount {
    /// The identity.
    pub user: String,
    /// Requests denied (authorization forbid, 401, 403).
    pub denied: u64,
    /// Other failures (response code 400 or above).
    pub failed: u64,
}

/// Privileged actions of one identity.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct PrivilegedCount {
    /// The identity.
    pub user: String,
    /// Requests made with a system:masters credential.
    pub system_masters: u64,
    /// Changes to RBAC (roles, bindings).
    pub rbac_changes: u64,
    /// exec, attach, port-forward, debug containers.
    pub interactive: u64,
    /// Requests made as another identity (impersonation).
    pub impersonation: u64,
    /// Changes to Secrets.
    pub secret_changes: u64,
}

/// One change to a security control.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChangeRow {
    /// Its sequence number in the store.
    pub seq: u64,
    /// When.
    pub time: String,
    /// Who.
    pub user: String,
    /// The verb.
    pub verb: String,
    /// What kind of control.
    pub control: String,
    /// `namespace/name` or `name`.
    pub object: String,
    /// The response code.
    pub code: Option<u64>,
}

/// Secret access in the CDE by one identity.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct SecretAccess {
    /// The identity.
    pub user: String,
    /// get, list and watch that succeeded.
    pub reads: u64,
    /// Those that were denied or failed.
    pub refused: u64,
    /// Namespaces read.
    pub namespaces: Vec<String>,
}

/// A silence of one source.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Gap {
    /// From (the last record before it, or the window's start).
    pub from: String,
    /// To (the next record, or the window's end).
    pub to: String,
    /// Its length in seconds.
    pub seconds: i64,
}

/// Ingest and clock health of one source.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SourceHealth {
    /// The source.
    pub source: String,
    /// Records received in the window.
    pub records: u64,
    /// The first and last receive times.
    pub first: String,
    /// The last.
    pub last: String,
    /// Silences longer than the threshold (at most [`MAX_ROWS`]).
    pub gaps: Vec<Gap>,
    /// The largest receive time minus event time, in milliseconds (positive: received late
    /// or the source's clock is behind).
    pub max_lag_ms: i64,
    /// The smallest (negative: the event is from the future, the source's clock is ahead).
    pub min_lag_ms: i64,
    /// Records whose difference exceeds the threshold.
    pub skewed: u64,
}

/// The daily review.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReviewReport {
    /// `kubepci.review/v1`.
    pub schema: &'static str,
    /// Start of the window reviewed.
    pub since: String,
    /// End of the window.
    pub until: String,
    /// Audit events reviewed.
    pub events: u64,
    /// Alerts in the window.
    pub alerts: u64,
    /// Records that could not be read as JSON.
    pub unreadable: u64,
    /// The checkpoint the review was made against.
    pub checkpoint: Option<CheckpointInfo>,
    /// Alerts by priority, most severe first.
    pub alerts_by_priority: Vec<(Priority, u64)>,
    /// Alerts by rule, most frequent first.
    pub alerts_by_rule: Vec<RuleCount>,
    /// Alerts at Error or above (at most [`MAX_ROWS`], most recent kept).
    pub serious_alerts: Vec<AlertRow>,
    /// Failed requests in the window.
    pub failed_requests: u64,
    /// Denied requests in the window.
    pub denied_requests: u64,
    /// By identity, most first.
    pub failures_by_user: Vec<FailureCount>,
    /// Privileged actions by identity.
    pub privileged_by_user: Vec<PrivilegedCount>,
    /// Changes to security controls (at most [`MAX_ROWS`], the first kept).
    pub control_changes: Vec<ChangeRow>,
    /// Their total.
    pub control_changes_total: u64,
    /// The CDE namespaces the Secret section considers.
    pub cde_namespaces: Vec<String>,
    /// Secret access in the CDE by identity.
    pub cde_secret_access: Vec<SecretAccess>,
    /// Ingest and clock health per source.
    pub sources: Vec<SourceHealth>,
    /// The gap threshold, in seconds.
    pub gap_threshold_seconds: i64,
    /// The skew threshold, in seconds.
    pub skew_threshold_seconds: i64,
}

struct SourceState {
    records: u64,
    first: i64,
    last: i64,
    gaps: Vec<(i64, i64)>,
    gap_count: u64,
    max_lag: i64,
    min_lag: i64,
    skewed: u64,
}

/// The review being built.
pub struct Review {
    opts: ReviewOptions,
    parsed: Parsed,
    events: u64,
    alerts: u64,
    unreadable: u64,
    by_priority: BTreeMap<Priority, u64>,
    by_rule: HashMap<(String, Priority), (u64, i64, i64)>,
    serious: std::collections::VecDeque<AlertRow>,
    failed: u64,
    denied: u64,
    failures: HashMap<String, FailureCount>,
    privileged: HashMap<String, PrivilegedCount>,
    changes: Vec<ChangeRow>,
    changes_total: u64,
    secrets: HashMap<String, SecretAccess>,
    sources: BTreeMap<String, SourceState>,
    max_seq: Option<u64>,
}

impl std::fmt::Debug for Review {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Review")
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

const ADMISSION: [&str; 6] = [
    "validatingwebhookconfigurations",
    "mutatingwebhookconfigurations",
    "validatingadmissionpolicies",
    "validatingadmissionpolicybindings",
    "mutatingadmissionpolicies",
    "mutatingadmissionpolicybindings",
];
const NETWORK: [&str; 6] = [
    "networkpolicies",
    "adminnetworkpolicies",
    "baselineadminnetworkpolicies",
    "ciliumnetworkpolicies",
    "ciliumclusterwidenetworkpolicies",
    "globalnetworkpolicies",
];
const RBAC: [&str; 4] = [
    "roles",
    "clusterroles",
    "rolebindings",
    "clusterrolebindings",
];
const WRITES: [&str; 5] = ["create", "update", "patch", "delete", "deletecollection"];
const CONTROL_NAMESPACES: [&str; 3] = ["kubepci-system", "audit-system", "falco"];

/// What kind of security control a write changes, if any.
fn control_kind(
    resource: &str,
    namespace: Option<&str>,
    api_group: Option<&str>,
) -> Option<&'static str> {
    if ADMISSION.contains(&resource) {
        return Some("admission control");
    }
    if NETWORK.contains(&resource) {
        return Some("network policy");
    }
    if api_group.is_some_and(|g| g.ends_with("kubepci.io")) {
        return Some("kubepci waiver or policy");
    }
    if matches!(resource, "clusterroles" | "clusterrolebindings") {
        return Some("cluster RBAC");
    }
    if resource == "customresourcedefinitions" {
        return Some("API extension");
    }
    if namespace.is_some_and(|ns| CONTROL_NAMESPACES.contains(&ns))
        && resource != "events"
        && resource != "leases"
    {
        return Some("security control deployment");
    }
    None
}

fn is_system(user: &str) -> bool {
    user.starts_with("system:node:")
        || user.starts_with("system:serviceaccount:kube-system:")
        || matches!(
            user,
            "system:kube-controller-manager" | "system:kube-scheduler" | "system:apiserver"
        )
}

impl Review {
    /// A review with nothing read yet.
    #[must_use]
    pub fn new(opts: ReviewOptions) -> Self {
        Self {
            opts,
            parsed: Parsed::default(),
            events: 0,
            alerts: 0,
            unreadable: 0,
            by_priority: BTreeMap::new(),
            by_rule: HashMap::new(),
            serious: std::collections::VecDeque::new(),
            failed: 0,
            denied: 0,
            failures: HashMap::new(),
            privileged: HashMap::new(),
            changes: Vec::new(),
            changes_total: 0,
            secrets: HashMap::new(),
            sources: BTreeMap::new(),
            max_seq: None,
        }
    }

    /// Reads one record.
    pub fn add(&mut self, r: &Record<'_>) {
        self.max_seq = Some(self.max_seq.map_or(r.seq, |m| m.max(r.seq)));
        self.source(r);
        let Self { parsed, .. } = self;
        let mut parsed = std::mem::take(parsed);
        let ok = parsed
            .with(r.body, |root| {
                if r.alert {
                    self.alert(r, root);
                } else {
                    self.event(r, root);
                }
            })
            .is_ok();
        self.parsed = parsed;
        if !ok {
            self.unreadable += 1;
        }
    }

    fn source(&mut self, r: &Record<'_>) {
        let s = self
            .sources
            .entry(r.source.to_owned())
            .or_insert(SourceState {
                records: 0,
                first: r.received_ns,
                last: r.received_ns,
                gaps: Vec::new(),
                gap_count: 0,
                max_lag: i64::MIN,
                min_lag: i64::MAX,
                skewed: 0,
            });
        if s.records > 0 && r.received_ns - s.last > self.opts.gap_ns {
            s.gap_count += 1;
            if s.gaps.len() < MAX_ROWS {
                s.gaps.push((s.last, r.received_ns));
            }
        }
        s.records += 1;
        s.first = s.first.min(r.received_ns);
        s.last = s.last.max(r.received_ns);
        let lag = r.received_ns - r.event_ns;
        s.max_lag = s.max_lag.max(lag);
        s.min_lag = s.min_lag.min(lag);
        if lag.abs() > self.opts.max_skew_ns {
            s.skewed += 1;
        }
    }

    fn alert(&mut self, r: &Record<'_>, root: J<'_, '_>) {
        self.alerts += 1;
        let rule = root
            .get("rule")
            .and_then(J::as_str)
            .unwrap_or("(no rule)")
            .to_owned();
        let priority = root
            .get("priority")
            .and_then(J::as_str)
            .and_then(Priority::parse)
            .unwrap_or(Priority::Debug);
        *self.by_priority.entry(priority).or_default() += 1;
        let entry = self
            .by_rule
            .entry((rule.clone(), priority))
            .or_insert((0, r.event_ns, r.event_ns));
        entry.0 += 1;
        entry.1 = entry.1.min(r.event_ns);
        entry.2 = entry.2.max(r.event_ns);
        if priority.at_least(Priority::Error) {
            let output = root
                .get("output")
                .and_then(J::as_str)
                .unwrap_or("")
                .to_owned();
            if self.serious.len() >= MAX_ROWS {
                self.serious.pop_front();
            }
            self.serious.push_back(AlertRow {
                seq: r.seq,
                time: format_time_ns(r.event_ns),
                priority,
                rule,
                output: mask_card_numbers(&output).unwrap_or(output),
            });
        }
    }

    fn event(&mut self, r: &Record<'_>, root: J<'_, '_>) {
        self.events += 1;
        let stage = root.get("stage").and_then(J::as_str);
        if stage.is_some_and(|s| s != "ResponseComplete" && s != "ResponseStarted" && s != "Panic")
        {
            return;
        }
        let text = |keys: &[&str]| root.path(keys).and_then(J::as_str);
        let user = text(&["user", "username"]).unwrap_or("(unknown)");
        let verb = text(&["verb"]).unwrap_or("");
        let resource = text(&["objectRef", "resource"]).unwrap_or("");
        let subresource = text(&["objectRef", "subresource"]);
        let namespace = text(&["objectRef", "namespace"]);
        let name = text(&["objectRef", "name"]).unwrap_or("");
        let api_group = text(&["objectRef", "apiGroup"]);
        let code = root.path(&["responseStatus", "code"]).and_then(J::as_u64);
        let decision = text(&["annotations", "authorization.k8s.io/decision"]);
        let is_denied = decision == Some("forbid") || matches!(code, Some(401 | 403));
        let is_failed = !is_denied && code.is_some_and(|c| c >= 400);
        let is_success = code.is_some_and(|c| (200..400).contains(&c));
        // Count each request once: exec sessions log ResponseStarted and ResponseComplete.
        let first_stage = stage != Some("ResponseComplete")
            || subresource.is_none_or(|s| !matches!(s, "exec" | "attach" | "portforward"));
        if stage == Some("ResponseStarted")
            && !subresource.is_some_and(|s| matches!(s, "exec" | "attach" | "portforward"))
        {
            return;
        }
        if is_denied || is_failed {
            if is_denied {
                self.denied += 1;
            } else {
                self.failed += 1;
            }
            let f = self
                .failures
                .entry(user.to_owned())
                .or_insert_with(|| FailureCount {
                    user: user.to_owned(),
                    ..FailureCount::default()
                });
            if is_denied {
                f.denied += 1;
            } else {
                f.failed += 1;
            }
        }
        let masters = root
            .path(&["user", "groups"])
            .is_some_and(|g| g.elements().any(|x| x.as_str() == Some("system:masters")));
        let write = WRITES.contains(&verb);
        let interactive = resource == "pods"
            && first_stage
            && (subresource.is_some_and(|s| matches!(s, "exec" | "attach" | "portforward"))
                || (subresource == Some("ephemeralcontainers") && write));
        let impersonated = root.get("impersonatedUser").is_some();
        let rbac = write && RBAC.contains(&resource);
        let secret_change = write && resource == "secrets";
        if (masters && user != "system:apiserver")
            || interactive
            || impersonated
            || (!is_system(user) && (rbac || secret_change))
        {
            let p = self
                .privileged
                .entry(user.to_owned())
                .or_insert_with(|| PrivilegedCount {
                    user: user.to_owned(),
                    ..PrivilegedCount::default()
                });
            p.system_masters += u64::from(masters && user != "system:apiserver");
            p.rbac_changes += u64::from(rbac);
            p.interactive += u64::from(interactive);
            p.impersonation += u64::from(impersonated);
            p.secret_changes += u64::from(secret_change);
        }
        if write
            && !is_denied
            && subresource.is_none_or(|s| s != "status")
            && !is_system(user)
            && let Some(control) = control_kind(resource, namespace, api_group)
        {
            self.changes_total += 1;
            if self.changes.len() < MAX_ROWS {
                self.changes.push(ChangeRow {
                    seq: r.seq,
                    time: format_time_ns(r.event_ns),
                    user: user.to_owned(),
                    verb: verb.to_owned(),
                    control: format!("{control} ({resource})"),
                    object: match namespace {
                        Some(ns) => format!("{ns}/{name}"),
                        None => name.to_owned(),
                    },
                    code,
                });
            }
        }
        if resource == "secrets"
            && matches!(verb, "get" | "list" | "watch")
            && namespace.is_some_and(|ns| self.opts.cde_namespaces.iter().any(|c| c == ns))
        {
            let s = self
                .secrets
                .entry(user.to_owned())
                .or_insert_with(|| SecretAccess {
                    user: user.to_owned(),
                    ..SecretAccess::default()
                });
            if is_success {
                s.reads += 1;
            } else {
                s.refused += 1;
            }
            if let Some(ns) = namespace
                && !s.namespaces.iter().any(|n| n == ns)
            {
                s.namespaces.push(ns.to_owned());
            }
        }
    }

    /// The report, against `checkpoint` (the store's latest, read after the records).
    #[must_use]
    pub fn finish(self, checkpoint: Option<(String, u64, String, bool)>) -> ReviewReport {
        let max_seq = self.max_seq;
        let checkpoint = checkpoint.map(|(origin, size, root, verified)| CheckpointInfo {
            covers_window: max_seq.is_none_or(|m| m < size),
            origin,
            size,
            root,
            verified,
        });
        let mut alerts_by_rule: Vec<RuleCount> = self
            .by_rule
            .into_iter()
            .map(|((rule, priority), (count, first, last))| RuleCount {
                rule,
                priority,
                count,
                first: format_time_ns(first),
                last: format_time_ns(last),
            })
            .collect();
        alerts_by_rule.sort_by(|a, b| {
            (a.priority, std::cmp::Reverse(a.count), &a.rule).cmp(&(
                b.priority,
                std::cmp::Reverse(b.count),
                &b.rule,
            ))
        });
        let mut failures: Vec<FailureCount> = self.failures.into_values().collect();
        failures
            .sort_by(|a, b| (b.denied + b.failed, &a.user).cmp(&(a.denied + a.failed, &b.user)));
        let mut privileged: Vec<PrivilegedCount> = self.privileged.into_values().collect();
        privileged.sort_by(|a, b| a.user.cmp(&b.user));
        let mut secrets: Vec<SecretAccess> = self.secrets.into_values().collect();
        secrets.sort_by(|a, b| (b.reads + b.refused, &a.user).cmp(&(a.reads + a.refused, &b.user)));
        let (since, until, gap_ns) = (self.opts.since_ns, self.opts.until_ns, self.opts.gap_ns);
        let sources = self
            .sources
            .into_iter()
            .map(|(source, mut s)| {
                if s.first - since > gap_ns && s.gaps.len() < MAX_ROWS {
                    s.gaps.insert(0, (since, s.first));
                }
                if until - s.last > gap_ns && s.gaps.len() < MAX_ROWS {
                    s.gaps.push((s.last, until));
                }
                SourceHealth {
                    source,
                    records: s.records,
                    first: format_time_ns(s.first),
                    last: format_time_ns(s.last),
                    gaps: s
                        .gaps
                        .iter()
                        .map(|&(a, b)| Gap {
                            from: format_time_ns(a),
                            to: format_time_ns(b),
                            seconds: (b - a) / 1_000_000_000,
                        })
                        .collect(),
                    max_lag_ms: if s.max_lag == i64::MIN {
                        0
                    } else {
                        s.max_lag / 1_000_000
                    },
                    min_lag_ms: if s.min_lag == i64::MAX {
                        0
                    } else {
                        s.min_lag / 1_000_000
                    },
                    skewed: s.skewed,
                }
            })
            .collect();
        ReviewReport {
            schema: SCHEMA,
            since: format_time_ns(since),
            until: format_time_ns(until),
            events: self.events,
            alerts: self.alerts,
            unreadable: self.unreadable,
            checkpoint,
            alerts_by_priority: Priority::ALL
                .iter()
                .filter_map(|p| self.by_priority.get(p).map(|n| (*p, *n)))
                .collect(),
            alerts_by_rule,
            serious_alerts: self.serious.into_iter().rev().collect(),
            failed_requests: self.failed,
            denied_requests: self.denied,
            failures_by_user: failures,
            privileged_by_user: privileged,
            control_changes: self.changes,
            control_changes_total: self.changes_total,
            cde_namespaces: self.opts.cde_namespaces,
            cde_secret_access: secrets,
            sources,
            gap_threshold_seconds: gap_ns / 1_000_000_000,
            skew_threshold_seconds: self.opts.max_skew_ns / 1_000_000_000,
        }
    }
}

impl ReviewReport {
    /// Whether the review found something a reviewer must act on: alerts at Error or above,
    /// changes to security controls, gaps in ingest, clock skew, or no signed checkpoint
    /// covering the window.
    #[must_use]
    pub fn needs_attention(&self) -> bool {
        !self.serious_alerts.is_empty()
            || self.control_changes_total > 0
            || self
                .sources
                .iter()
                .any(|s| !s.gaps.is_empty() || s.skewed > 0)
            || self.checkpoint.as_ref().is_none_or(|c| !c.covers_window)
    }
}

/// The report as text for a terminal.
#[must_use]
pub fn render_table(r: &ReviewReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Daily log review (PCI DSS 10.4.1)  {} .. {}",
        r.since, r.until
    );
    let _ = writeln!(
        o,
        "events reviewed: {}   alerts: {}   unreadable records: {}",
        r.events, r.alerts, r.unreadable
    );
    match &r.checkpoint {
        Some(c) => {
            let _ = writeln!(
                o,
                "checkpoint: {} size {} root {} ({}{})",
                c.origin,
                c.size,
                c.root,
                if c.verified {
                    "signature verified"
                } else {
                    "signature NOT verified: give --key"
                },
                if c.covers_window {
                    ", covers the window"
                } else {
                    ", does NOT cover the whole window yet"
                }
            );
        }
        None => {
            let _ = writeln!(o, "checkpoint: none signed yet");
        }
    }
    let _ = writeln!(o, "\nAlerts by priority");
    if r.alerts_by_priority.is_empty() {
        let _ = writeln!(o, "  none");
    }
    for (p, n) in &r.alerts_by_priority {
        let _ = writeln!(o, "  {p:<14} {n}");
    }
    let _ = writeln!(o, "\nAlerts by rule");
    for a in &r.alerts_by_rule {
        let _ = writeln!(
            o,
            "  {:<8} {:<14} {:<50} {} .. {}",
            a.count,
            a.priority.as_str(),
            a.rule,
            a.first,
            a.last
        );
    }
    if !r.serious_alerts.is_empty() {
        let _ = writeln!(o, "\nAlerts at Error or above (most recent first)");
        for a in &r.serious_alerts {
            let _ = writeln!(
                o,
                "  #{:<8} {} {:<9} {}: {}",
                a.seq,
                a.time,
                a.priority.as_str(),
                a.rule,
                a.output
            );
        }
    }
    let _ = writeln!(
        o,
        "\nFailed and denied requests: {} denied, {} failed",
        r.denied_requests, r.failed_requests
    );
    for f in r.failures_by_user.iter().take(20) {
        let _ = writeln!(
            o,
            "  {:<50} denied {:<6} failed {}",
            f.user, f.denied, f.failed
        );
    }
    let _ = writeln!(o, "\nPrivileged actions by person");
    if r.privileged_by_user.is_empty() {
        let _ = writeln!(o, "  none");
    }
    for p in &r.privileged_by_user {
        let _ = writeln!(
            o,
            "  {:<50} system:masters {:<5} rbac {:<5} exec/attach {:<5} impersonation {:<5} secret changes {}",
            p.user,
            p.system_masters,
            p.rbac_changes,
            p.interactive,
            p.impersonation,
            p.secret_changes
        );
    }
    let _ = writeln!(
        o,
        "\nChanges to security controls: {}",
        r.control_changes_total
    );
    for c in &r.control_changes {
        let _ = writeln!(
            o,
            "  #{:<8} {} {:<30} {:<7} {:<45} {}",
            c.seq, c.time, c.user, c.verb, c.control, c.object
        );
    }
    let _ = writeln!(
        o,
        "\nSecret access in the CDE ({})",
        if r.cde_namespaces.is_empty() {
            "no CDE namespace given: --cde-namespace".to_owned()
        } else {
            r.cde_namespaces.join(", ")
        }
    );
    for s in &r.cde_secret_access {
        let _ = writeln!(
            o,
            "  {:<50} reads {:<6} refused {:<6} {}",
            s.user,
            s.reads,
            s.refused,
            s.namespaces.join(",")
        );
    }
    let _ = writeln!(
        o,
        "\nIngest by source (gaps over {} s, skew over {} s)",
        r.gap_threshold_seconds, r.skew_threshold_seconds
    );
    for s in &r.sources {
        let _ = writeln!(
            o,
            "  {:<40} records {:<8} {} .. {}  lag {}..{} ms  skewed {}  gaps {}",
            s.source,
            s.records,
            s.first,
            s.last,
            s.min_lag_ms,
            s.max_lag_ms,
            s.skewed,
            s.gaps.len()
        );
        for g in &s.gaps {
            let _ = writeln!(o, "      silent {} s: {} .. {}", g.seconds, g.from, g.to);
        }
    }
    let _ = writeln!(
        o,
        "\nneeds attention: {}",
        if r.needs_attention() { "yes" } else { "no" }
    );
    o
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn table(o: &mut String, title: &str, head: &[&str], rows: Vec<Vec<String>>) {
    let _ = write!(o, "<h2>{}</h2>", esc(title));
    if rows.is_empty() {
        o.push_str("<p class=\"none\">None.</p>");
        return;
    }
    o.push_str("<table><thead><tr>");
    for h in head {
        let _ = write!(o, "<th>{}</th>", esc(h));
    }
    o.push_str("</tr></thead><tbody>");
    for row in rows {
        o.push_str("<tr>");
        for cell in row {
            let _ = write!(o, "<td>{}</td>", esc(&cell));
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table>");
}

/// The report as one self-contained, printable HTML page.
#[must_use]
pub fn render_html(r: &ReviewReport) -> String {
    let mut o = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>kubepci daily log review</title><style>\
body{font-family:system-ui,sans-serif;margin:2em;color:#111}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;width:100%;font-size:.85em}th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}\
th{background:#f3f3f3}.none{color:#666}.attention{color:#a00;font-weight:bold}.ok{color:#060}@media print{body{margin:0}}</style></head><body>",
    );
    let _ = write!(
        o,
        "<h1>Daily log review (PCI DSS 10.4.1)</h1><p>Window: {} to {}. Events reviewed: {}. Alerts: {}. Unreadable records: {}.</p>",
        esc(&r.since),
        esc(&r.until),
        r.events,
        r.alerts,
        r.unreadable
    );
    let _ = write!(
        o,
        "<p class=\"{}\">Needs attention: {}</p>",
        if r.needs_attention() {
            "attention"
        } else {
            "ok"
        },
        if r.needs_attention() { "yes" } else { "no" }
    );
    match &r.checkpoint {
        Some(c) => {
            let _ = write!(
                o,
                "<p>Checkpoint: <code>{}</code>, size {}, root <code>{}</code>; signature {}; {}.</p>",
                esc(&c.origin),
                c.size,
                esc(&c.root),
                if c.verified {
                    "verified"
                } else {
                    "not verified"
                },
                if c.covers_window {
                    "covers the window"
                } else {
                    "does not cover the whole window yet"
                }
            );
        }
        None => o.push_str("<p class=\"attention\">No checkpoint signed yet.</p>"),
    }
    table(
        &mut o,
        "Alerts by priority",
        &["priority", "alerts"],
        r.alerts_by_priority
            .iter()
            .map(|(p, n)| vec![p.as_str().to_owned(), n.to_string()])
            .collect(),
    );
    table(
        &mut o,
        "Alerts by rule",
        &["alerts", "priority", "rule", "first", "last"],
        r.alerts_by_rule
            .iter()
            .map(|a| {
                vec![
                    a.count.to_string(),
                    a.priority.as_str().to_owned(),
                    a.rule.clone(),
                    a.first.clone(),
                    a.last.clone(),
                ]
            })
            .collect(),
    );
    table(
        &mut o,
        "Alerts at Error or above",
        &["entry", "time", "priority", "rule", "output"],
        r.serious_alerts
            .iter()
            .map(|a| {
                vec![
                    a.seq.to_string(),
                    a.time.clone(),
                    a.priority.as_str().to_owned(),
                    a.rule.clone(),
                    a.output.clone(),
                ]
            })
            .collect(),
    );
    table(
        &mut o,
        &format!(
            "Failed and denied requests ({} denied, {} failed)",
            r.denied_requests, r.failed_requests
        ),
        &["identity", "denied", "failed"],
        r.failures_by_user
            .iter()
            .map(|f| vec![f.user.clone(), f.denied.to_string(), f.failed.to_string()])
            .collect(),
    );
    table(
        &mut o,
        "Privileged actions by person",
        &[
            "identity",
            "system:masters",
            "RBAC changes",
            "exec/attach",
            "impersonation",
            "Secret changes",
        ],
        r.privileged_by_user
            .iter()
            .map(|p| {
                vec![
                    p.user.clone(),
                    p.system_masters.to_string(),
                    p.rbac_changes.to_string(),
                    p.interactive.to_string(),
                    p.impersonation.to_string(),
                    p.secret_changes.to_string(),
                ]
            })
            .collect(),
    );
    table(
        &mut o,
        &format!("Changes to security controls ({})", r.control_changes_total),
        &[
            "entry", "time", "identity", "verb", "control", "object", "code",
        ],
        r.control_changes
            .iter()
            .map(|c| {
                vec![
                    c.seq.to_string(),
                    c.time.clone(),
                    c.user.clone(),
                    c.verb.clone(),
                    c.control.clone(),
                    c.object.clone(),
                    c.code.map(|c| c.to_string()).unwrap_or_default(),
                ]
            })
            .collect(),
    );
    table(
        &mut o,
        &format!("Secret access in the CDE ({})", r.cde_namespaces.join(", ")),
        &["identity", "reads", "refused", "namespaces"],
        r.cde_secret_access
            .iter()
            .map(|s| {
                vec![
                    s.user.clone(),
                    s.reads.to_string(),
                    s.refused.to_string(),
                    s.namespaces.join(", "),
                ]
            })
            .collect(),
    );
    table(
        &mut o,
        &format!(
            "Ingest by source (gaps over {} s, skew over {} s)",
            r.gap_threshold_seconds, r.skew_threshold_seconds
        ),
        &[
            "source",
            "records",
            "first",
            "last",
            "lag ms (min..max)",
            "skewed",
            "gaps",
        ],
        r.sources
            .iter()
            .map(|s| {
                vec![
                    s.source.clone(),
                    s.records.to_string(),
                    s.first.clone(),
                    s.last.clone(),
                    format!("{}..{}", s.min_lag_ms, s.max_lag_ms),
                    s.skewed.to_string(),
                    s.gaps
                        .iter()
                        .map(|g| format!("{} s from {} to {}", g.seconds, g.from, g.to))
                        .collect::<Vec<_>>()
                        .join("; "),
                ]
            })
            .collect(),
    );
    o.push_str("<p class=\"none\">Generated by kubepci audit review. Each entry number can be proven with <code>kubepci audit prove --index N</code>.</p></body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: u64, t: i64, body: &str) -> (u64, i64, String) {
        (seq, t, body.to_owned())
    }

    #[test]
    fn aggregates_every_section() {
        let s = 1_000_000_000i64;
        let base = 1_800_000_000 * s;
        let opts = ReviewOptions {
            since_ns: base,
            until_ns: base + 7200 * s,
            cde_namespaces: vec!["payments".into()],
            gap_ns: 900 * s,
            max_skew_ns: 60 * s,
        };
        let mut review = Review::new(opts);
        let records = [
            ev(
                0,
                base + 10 * s,
                r#"{"kind":"Event","stage":"ResponseComplete","verb":"get","user":{"username":"mallory"},"objectRef":{"resource":"secrets","namespace":"payments","name":"db"},"responseStatus":{"code":403},"annotations":{"authorization.k8s.io/decision":"forbid"}}"#,
            ),
            ev(
                1,
                base + 20 * s,
                r#"{"kind":"Event","stage":"ResponseComplete","verb":"get","user":{"username":"system:serviceaccount:payments:api"},"objectRef":{"resource":"secrets","namespace":"payments","name":"db"},"responseStatus":{"code":200}}"#,
            ),
            ev(
                2,
                base + 3000 * s,
                r#"{"kind":"Event","stage":"ResponseComplete","verb":"delete","user":{"username":"alice","groups":["system:masters"]},"objectRef":{"resource":"networkpolicies","namespace":"payments","name":"deny"},"responseStatus":{"code":200}}"#,
            ),
            ev(
                3,
                base + 3001 * s,
                r#"{"kind":"Event","stage":"ResponseStarted","verb":"create","user":{"username":"bob"},"objectRef":{"resource":"pods","namespace":"payments","name":"p","subresource":"exec"},"responseStatus":{"code":101}}"#,
            ),
            ev(
                4,
                base + 3002 * s,
                r#"{"rule":"kubepci Card Number in Request","priority":"Critical","output":"pan 4111111111111111","time":"x"}"#,
            ),
            ev(5, base + 3003 * s, "not json"),
        ];
        for (seq, t, body) in &records {
            review.add(&Record {
                seq: *seq,
                alert: body.contains("\"rule\""),
                source: "apiserver-1",
                received_ns: *t,
                event_ns: if *seq == 3 { *t - 120 * s } else { *t - s },
                body: body.as_bytes(),
            });
        }
        let r = review.finish(Some(("log".into(), 6, "ab".into(), true)));
        assert_eq!(r.events, 4);
        assert_eq!(r.alerts, 1);
        assert_eq!(r.unreadable, 1);
        assert_eq!(r.denied_requests, 1);
        assert_eq!(r.alerts_by_priority, vec![(Priority::Critical, 1)]);
        assert!(r.serious_alerts[0].output.contains("411111******1111"));
        assert_eq!(r.control_changes_total, 1);
        assert_eq!(r.control_changes[0].object, "payments/deny");
        let alice = r
            .privileged_by_user
            .iter()
            .find(|p| p.user == "alice")
            .expect("alice");
        assert_eq!(alice.system_masters, 1);
        let bob = r
            .privileged_by_user
            .iter()
            .find(|p| p.user == "bob")
            .expect("bob");
        assert_eq!(bob.interactive, 1);
        assert_eq!(r.cde_secret_access.len(), 2);
        let src = &r.sources[0];
        assert_eq!(src.records, 6);
        assert_eq!(src.skewed, 1);
        assert_eq!(src.gaps.len(), 2, "{:?}", src.gaps);
        assert!(r.checkpoint.as_ref().is_some_and(|c| c.covers_window));
        assert!(r.needs_attention());
        let text = render_table(&r);
        assert!(text.contains("Changes to security controls: 1"));
        let html = render_html(&r);
        assert!(html.starts_with("<!DOCTYPE html>") && html.contains("payments/deny"));
        assert!(!html.contains("4111111111111111"));
        let json = serde_json::to_string(&r).expect("json");
        assert!(json.contains("\"schema\":\"kubepci.review/v1\""));
    }
}
