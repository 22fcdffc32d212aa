//! The waiver register: PCI exceptions and compensating controls, governed.
//!
//! ```yaml
//! apiVersion: kubepci.io/v1alpha1
//! kind: WaiverRegister
//! waivers:
//!   - id: W-2026-014
//!     rules: [KP1004]                     # IDs or names; loaded policies by ID (gk:…, vap:…)
//!     match:                              # globs; omit to match only annotated objects
//!       namespace: monitoring
//!       kind: DaemonSet
//!       name: node-exporter*
//!     justification: Node metrics need the host network namespace.
//!     approver: Jane Doe (CISO)
//!     ticket: SEC-1234
//!     compensatingControl: Out-of-CDE node pool; egress denied by NetworkPolicy.
//!     created: 2026-03-01
//!     expires: 2026-09-01                 # at most 365 days after created
//! ```
//!
//! A waiver applies to a finding when it names the finding's rule, is in force on the scan
//! date (`created` ≤ date ≤ `expires`), and either its `match` selects the object or the
//! object's annotation `kubepci.io/waiver` names the waiver's id. The annotation only points
//! into the register: an id that is not in the register waives nothing and is reported.
//! Waived findings are reported as waived, never as passing. Expired waivers stop applying
//! and are reported.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use globset::{Glob, GlobMatcher};
use kubepci_model::{Finding, ObjectRef, WaiverRef};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;
use time::Date;
use time::macros::format_description;

/// Object annotation that points an object at waivers in the register (comma-separated ids).
pub const WAIVER_ANNOTATION: &str = "kubepci.io/waiver";
/// Longest allowed lifetime of a waiver, in days (PCI exceptions are time-limited; the
/// assessment cycle is annual).
pub const MAX_WAIVER_DAYS: i64 = 365;

/// A problem with the register, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct WaiverError {
    /// The register file.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRegister {
    #[serde(default)]
    api_version: Option<Spanned<String>>,
    #[serde(default)]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    waivers: Vec<Spanned<RawWaiver>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawWaiver {
    id: Spanned<String>,
    rules: Spanned<Vec<Spanned<String>>>,
    #[serde(default, rename = "match")]
    selector: Option<RawMatch>,
    justification: Option<Spanned<String>>,
    approver: Option<Spanned<String>>,
    #[serde(default)]
    ticket: Option<String>,
    #[serde(default)]
    compensating_control: Option<String>,
    created: Option<Spanned<String>>,
    expires: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    #[serde(default)]
    namespace: Option<Spanned<String>>,
    #[serde(default)]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    name: Option<Spanned<String>>,
}

/// One validated waiver.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Waiver {
    /// Register id.
    pub id: String,
    /// Rule IDs it covers (catalogue IDs, or IDs of loaded policies: `gk:…`, `vap:…`).
    pub rules: Vec<String>,
    /// Namespace glob, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Kind glob, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name glob, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Why the exception is needed.
    pub justification: String,
    /// Who approved it.
    pub approver: String,
    /// Change or risk ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// The compensating control, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compensating_control: Option<String>,
    /// First day in force.
    #[serde(serialize_with = "ser_date")]
    pub created: Date,
    /// Last day in force.
    #[serde(serialize_with = "ser_date")]
    pub expires: Date,
    /// Where it is written (file:line).
    pub source: String,
    #[serde(skip)]
    matchers: [Option<GlobMatcher>; 3],
}

fn ser_date<S: serde::Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_date(*date))
}

pub(crate) fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Parses a `YYYY-MM-DD` date.
#[must_use]
pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text.trim(), format_description!("[year]-[month]-[day]")).ok()
}

impl Waiver {
    /// Whether the waiver is in force on `date`.
    #[must_use]
    pub fn in_force(&self, date: Date) -> bool {
        self.created <= date && date <= self.expires
    }

    /// Whether the waiver's `match` selects the object (a waiver without `match` selects
    /// nothing by itself: only annotated objects).
    #[must_use]
    pub fn selects(&self, object: &ObjectRef) -> bool {
        if self.matchers.iter().all(Option::is_none) {
            return false;
        }
        let [namespace, kind, name] = &self.matchers;
        let ns_ok = match namespace {
            None => true,
            Some(m) => object.namespace.as_deref().is_some_and(|ns| m.is_match(ns)),
        };
        ns_ok
            && kind.as_ref().is_none_or(|m| m.is_match(&object.kind))
            && name.as_ref().is_none_or(|m| m.is_match(&object.name))
    }
}

/// The validated register.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WaiverRegister {
    /// The register file.
    pub file: String,
    /// Its waivers, in file order.
    pub waivers: Vec<Waiver>,
}

/// Something about the register the report must say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum WaiverNote {
    /// The waiver's expiry date has passed: it no longer applies.
    Expired {
        /// Waiver id.
        id: String,
        /// Its expiry date.
        expired: String,
        /// Findings it would still cover.
        findings: usize,
    },
    /// The waiver's creation date is after the scan date.
    NotYetInForce {
        /// Waiver id.
        id: String,
        /// Its creation date.
        created: String,
    },
    /// An object points at a waiver id the register does not have.
    UnknownReference {
        /// The object.
        object: ObjectRef,
        /// The id it names.
        id: String,
    },
    /// An in-force waiver covered no finding (a candidate for removal).
    Unused {
        /// Waiver id.
        id: String,
    },
}

impl std::fmt::Display for WaiverNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WaiverNote::Expired {
                id,
                expired,
                findings,
            } => {
                write!(
                    f,
                    "waiver {id} expired on {expired}; {findings} finding(s) it covered are open again"
                )
            }
            WaiverNote::NotYetInForce { id, created } => {
                write!(f, "waiver {id} is not in force before {created}")
            }
            WaiverNote::UnknownReference { object, id } => {
                write!(
                    f,
                    "{object} points at waiver {id}, which is not in the register"
                )
            }
            WaiverNote::Unused { id } => write!(f, "waiver {id} covered no finding"),
        }
    }
}

fn at<T>(file: &str, spanned: &Spanned<T>, message: String) -> WaiverError {
    WaiverError {
        file: file.to_owned(),
        line: u32::try_from(spanned.referenced.line()).unwrap_or(0),
        column: u32::try_from(spanned.referenced.column()).unwrap_or(0),
        message,
    }
}

/// Parses and validates a waiver register.
///
/// # Errors
/// Invalid YAML, unknown keys, a missing justification, approver, creation or expiry date,
/// an unknown rule, a duplicate id, a bad glob, or an expiry before creation or more than
/// [`MAX_WAIVER_DAYS`] after it — each with file:line.
pub fn parse_waivers(file: &str, text: &str) -> Result<WaiverRegister, WaiverError> {
    let raw: RawRegister = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| {
            (
                u32::try_from(l.line()).unwrap_or(0),
                u32::try_from(l.column()).unwrap_or(0),
            )
        });
        WaiverError {
            file: file.to_owned(),
            line,
            column,
            message: e.to_string().lines().next().unwrap_or_default().to_owned(),
        }
    })?;
    if let Some(v) = raw
        .api_version
        .as_ref()
        .filter(|v| v.value != "kubepci.io/v1alpha1")
    {
        return Err(at(
            file,
            v,
            format!(
                "unsupported apiVersion `{}` (expected kubepci.io/v1alpha1)",
                v.value
            ),
        ));
    }
    if let Some(k) = raw.kind.as_ref().filter(|k| k.value != "WaiverRegister") {
        return Err(at(
            file,
            k,
            format!("unexpected kind `{}` (expected WaiverRegister)", k.value),
        ));
    }
    let mut ids = HashSet::new();
    let mut waivers = Vec::new();
    for entry in &raw.waivers {
        let w = &entry.value;
        let id = w.id.value.trim().to_owned();
        if id.is_empty() || id.contains(',') {
            return Err(at(
                file,
                &w.id,
                "waiver id must be non-empty and contain no comma".into(),
            ));
        }
        if !ids.insert(id.clone()) {
            return Err(at(file, &w.id, format!("duplicate waiver id `{id}`")));
        }
        let required =
            |field: &Option<Spanned<String>>, name: &str| -> Result<String, WaiverError> {
                match field {
                    Some(v) if !v.value.trim().is_empty() => Ok(v.value.trim().to_owned()),
                    Some(v) => Err(at(file, v, format!("waiver {id}: `{name}` is empty"))),
                    None => Err(at(
                        file,
                        entry,
                        format!("waiver {id}: `{name}` is required"),
                    )),
                }
            };
        let justification = required(&w.justification, "justification")?;
        let approver = required(&w.approver, "approver")?;
        let date = |field: &Option<Spanned<String>>, name: &str| -> Result<Date, WaiverError> {
            let text = required(field, name)?;
            parse_date(&text).ok_or_else(|| {
                let span = field.as_ref().map_or_else(
                    || at(file, entry, String::new()),
                    |f| at(file, f, String::new()),
                );
                WaiverError {
                    message: format!(
                        "waiver {id}: `{name}` must be a date YYYY-MM-DD, not `{text}`"
                    ),
                    ..span
                }
            })
        };
        let created = date(&w.created, "created")?;
        let expires = date(&w.expires, "expires")?;
        let expires_span = w.expires.as_ref().map_or_else(
            || at(file, entry, String::new()),
            |e| at(file, e, String::new()),
        );
        if expires < created {
            return Err(WaiverError {
                message: format!("waiver {id}: expires before it is created"),
                ..expires_span
            });
        }
        let days = (expires - created).whole_days();
        if days > MAX_WAIVER_DAYS {
            return Err(WaiverError {
                message: format!(
                    "waiver {id}: expires {days} days after creation; at most {MAX_WAIVER_DAYS} allowed"
                ),
                ..expires_span
            });
        }
        if w.rules.value.is_empty() {
            return Err(at(file, &w.rules, format!("waiver {id}: `rules` is empty")));
        }
        let mut rules = Vec::new();
        for rule in &w.rules.value {
            let name = rule.value.trim();
            // Policies load separately; their IDs are taken as written.
            if name.starts_with("gk:") || name.starts_with("vap:") {
                rules.push(name.to_owned());
                continue;
            }
            let found = kubepci_rules::find(name).ok_or_else(|| {
                at(
                    file,
                    rule,
                    format!("waiver {id}: unknown rule `{}`", rule.value),
                )
            })?;
            rules.push(found.meta().id.to_owned());
        }
        let glob = |field: &Option<Spanned<String>>| -> Result<Option<(String, GlobMatcher)>, WaiverError> {
            field
                .as_ref()
                .map(|f| {
                    Glob::new(&f.value)
                        .map(|g| (f.value.clone(), g.compile_matcher()))
                        .map_err(|e| at(file, f, format!("waiver {id}: bad glob `{}`: {e}", f.value)))
                })
                .transpose()
        };
        let (namespace, kind, name) = match &w.selector {
            Some(m) => (glob(&m.namespace)?, glob(&m.kind)?, glob(&m.name)?),
            None => (None, None, None),
        };
        waivers.push(Waiver {
            id,
            rules,
            namespace: namespace.as_ref().map(|(t, _)| t.clone()),
            kind: kind.as_ref().map(|(t, _)| t.clone()),
            name: name.as_ref().map(|(t, _)| t.clone()),
            justification,
            approver,
            ticket: w.ticket.clone(),
            compensating_control: w.compensating_control.clone(),
            created,
            expires,
            source: format!("{file}:{}", entry.referenced.line()),
            matchers: [
                namespace.map(|(_, m)| m),
                kind.map(|(_, m)| m),
                name.map(|(_, m)| m),
            ],
        });
    }
    Ok(WaiverRegister {
        file: file.to_owned(),
        waivers,
    })
}

impl WaiverRegister {
    /// Marks the findings the register waives on `date`. `annotations` maps objects to the
    /// waiver ids their `kubepci.io/waiver` annotation names. Returns what the report must say
    /// about the register.
    pub fn apply(
        &self,
        findings: &mut [Finding],
        annotations: &BTreeMap<ObjectRef, Vec<String>>,
        date: Date,
    ) -> Vec<WaiverNote> {
        let mut notes = BTreeSet::new();
        let known: HashSet<&str> = self.waivers.iter().map(|w| w.id.as_str()).collect();
        for (object, ids) in annotations {
            for id in ids.iter().filter(|id| !known.contains(id.as_str())) {
                notes.insert(WaiverNote::UnknownReference {
                    object: object.clone(),
                    id: id.clone(),
                });
            }
        }
        let mut used = vec![0usize; self.waivers.len()];
        let mut expired_hits = vec![0usize; self.waivers.len()];
        for finding in findings.iter_mut() {
            let pointed = annotations.get(&finding.object);
            let covers = |w: &Waiver| {
                w.rules.iter().any(|r| r == finding.rule_id)
                    && (w.selects(&finding.object)
                        || pointed.is_some_and(|ids| ids.contains(&w.id)))
            };
            for (i, waiver) in self.waivers.iter().enumerate() {
                if !covers(waiver) {
                    continue;
                }
                if waiver.in_force(date) {
                    used[i] += 1;
                    finding.waiver = Some(WaiverRef {
                        id: waiver.id.clone(),
                        expires: format_date(waiver.expires),
                    });
                    break;
                }
                if date > waiver.expires {
                    expired_hits[i] += 1;
                }
            }
        }
        for (i, waiver) in self.waivers.iter().enumerate() {
            if date > waiver.expires {
                notes.insert(WaiverNote::Expired {
                    id: waiver.id.clone(),
                    expired: format_date(waiver.expires),
                    findings: expired_hits[i],
                });
            } else if date < waiver.created {
                notes.insert(WaiverNote::NotYetInForce {
                    id: waiver.id.clone(),
                    created: format_date(waiver.created),
                });
            } else if used[i] == 0 {
                notes.insert(WaiverNote::Unused {
                    id: waiver.id.clone(),
                });
            }
        }
        notes.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_model::{JsonPointer, Scope, Severity};
    use time::macros::date;

    const REGISTER: &str = "apiVersion: kubepci.io/v1alpha1
kind: WaiverRegister
waivers:
  - id: W-1
    rules: [KP1004]
    match: {namespace: monitoring, kind: DaemonSet, name: node-exporter*}
    justification: Node metrics need the host network.
    approver: Jane Doe (CISO)
    ticket: SEC-1
    compensatingControl: Dedicated node pool outside the CDE.
    created: 2026-03-01
    expires: 2026-09-01
  - id: W-2
    rules: [privileged-container]
    justification: Legacy agent, replacement planned.
    approver: Jane Doe (CISO)
    created: 2025-01-01
    expires: 2025-12-31
";

    fn finding(rule: &'static str, ns: &str, kind: &str, name: &str) -> Finding {
        Finding {
            rule_id: rule,
            severity: Severity::High,
            object: ObjectRef {
                api_version: "apps/v1".into(),
                kind: kind.into(),
                namespace: Some(ns.into()),
                name: name.into(),
            },
            pointer: JsonPointer::root(),
            location: None,
            message: String::new(),
            scope: Scope::Connected,
            waiver: None,
        }
    }

    #[test]
    fn match_and_annotation_and_expiry() {
        let register = parse_waivers("waivers.yaml", REGISTER).expect("valid");
        assert_eq!(register.waivers.len(), 2);
        assert_eq!(register.waivers[1].rules, ["KP1001"]);
        let mut findings = vec![
            finding("KP1004", "monitoring", "DaemonSet", "node-exporter"),
            finding("KP1004", "monitoring", "DaemonSet", "other"),
            finding("KP1001", "monitoring", "DaemonSet", "legacy"),
        ];
        let legacy = findings[2].object.clone();
        let stranger = findings[1].object.clone();
        let annotations = [
            (legacy, vec!["W-2".to_owned()]),
            (stranger, vec!["W-9".to_owned()]),
        ]
        .into_iter()
        .collect();
        let notes = register.apply(&mut findings, &annotations, date!(2026 - 06 - 01));
        assert_eq!(
            findings[0].waiver.as_ref().map(|w| w.id.as_str()),
            Some("W-1")
        );
        assert!(findings[1].waiver.is_none());
        // W-2 expired: the annotated finding is open again and the expiry is reported.
        assert!(findings[2].waiver.is_none());
        assert!(notes.contains(&WaiverNote::Expired {
            id: "W-2".into(),
            expired: "2025-12-31".into(),
            findings: 1
        }));
        assert!(
            notes
                .iter()
                .any(|n| matches!(n, WaiverNote::UnknownReference { id, .. } if id == "W-9"))
        );
    }

    #[test]
    fn waivers_are_not_in_force_before_creation() {
        let register = parse_waivers("w.yaml", REGISTER).expect("valid");
        let mut findings = vec![finding(
            "KP1004",
            "monitoring",
            "DaemonSet",
            "node-exporter",
        )];
        let notes = register.apply(&mut findings, &BTreeMap::new(), date!(2026 - 01 - 01));
        assert!(findings[0].waiver.is_none());
        assert!(notes.contains(&WaiverNote::NotYetInForce {
            id: "W-1".into(),
            created: "2026-03-01".into()
        }));
    }

    fn error_of(text: &str) -> WaiverError {
        parse_waivers("w.yaml", text).expect_err("invalid register")
    }

    #[test]
    fn mandatory_fields_and_expiry_cap() {
        let base = "waivers:\n  - id: W\n    rules: [KP1001]\n    justification: j\n    approver: a\n    created: 2026-01-01\n    expires: 2026-06-01\n";
        assert!(parse_waivers("w.yaml", base).is_ok());
        let e = error_of(&base.replace("    approver: a\n", ""));
        assert!(
            e.message.contains("`approver` is required") && e.line == 2,
            "{e}"
        );
        let e = error_of(&base.replace("    justification: j\n", "    justification: \"  \"\n"));
        assert!(
            e.message.contains("`justification` is empty") && e.line == 4,
            "{e}"
        );
        let e = error_of(&base.replace("2026-06-01", "2027-01-02"));
        assert!(e.message.contains("366 days") && e.line == 7, "{e}");
        let e = error_of(&base.replace("2026-06-01", "2025-06-01"));
        assert!(e.message.contains("before it is created"), "{e}");
        let e = error_of(&base.replace("2026-06-01", "next year"));
        assert!(e.message.contains("YYYY-MM-DD"), "{e}");
        let e = error_of(&base.replace("[KP1001]", "[KP1001, KP9999]"));
        assert!(e.message.contains("KP9999") && e.line == 3, "{e}");
        let e = error_of(
            &base
                .replace("    ticket", "")
                .replace("approver: a\n", "approver: a\n    owner: b\n"),
        );
        assert!(e.line == 6, "{e}");
        let e = error_of(&format!("{base}{}", &base["waivers:\n".len()..]));
        assert!(e.message.contains("duplicate"), "{e}");
        let e = error_of(&base.replace("    created: 2026-01-01\n", ""));
        assert!(e.message.contains("`created` is required"), "{e}");
    }
}
