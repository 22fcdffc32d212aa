//! The JSON format: one `kubepci.scan/v1` document.
//!
//! The schema is generated from the types below into `docs/scan-output.schema.json` (a test
//! keeps it fresh and validates real output against it) and described in docs/output.md.
//! Within `v1`, fields are only ever added; a breaking change bumps the schema name.
//!
//! ```json
//! {
//!   "schema": "kubepci.scan/v1",
//!   "tool": {"name": "kubepci", "version": "0.1.0"},
//!   "pciDssVersion": "4.0.1",
//!   "asOf": "2026-11-27",
//!   "summary": {"findings": 3, "open": 2, "waived": 1, "failOn": "low", "failing": 2, "failed": true, …},
//!   "inputs": {"files": 1, "documents": 4, "objects": 4, …},
//!   "rules": [{"id": "KP1001", "name": "privileged-container", "severity": "critical", "pci": ["2.2.6", "7.2.5"], …}],
//!   "namespaces": [{"name": "payments", "scope": "cde", "source": "label", "declared": true}],
//!   "findings": [{"ruleId": "KP1001", "object": {…}, "pointer": "/spec/…", "location": {"file": "…", "line": 12, "column": 9}, …}],
//!   "inputErrors": [],
//!   "waiverNotes": []
//! }
//! ```

use std::collections::BTreeMap;

use kubepci_engine::{ScanReport, ScopeSource, WaiverNote};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{RenderOptions, Summary};

/// The schema name of this format.
pub const SCHEMA: &str = "kubepci.scan/v1";

/// A `kubepci scan --format json` document.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "kubepci scan output (kubepci.scan/v1)")]
pub struct ScanDocument {
    /// Always `kubepci.scan/v1`.
    pub schema: String,
    /// The tool that produced the document.
    pub tool: Tool,
    /// The PCI DSS version every requirement ID refers to.
    pub pci_dss_version: String,
    /// The date waivers were evaluated on (`YYYY-MM-DD`).
    pub as_of: String,
    /// Counts.
    pub summary: SummaryDoc,
    /// Counts over the input.
    pub inputs: InputsDoc,
    /// The rules that ran.
    pub rules: Vec<RuleDoc>,
    /// Every namespace seen and its PCI scope.
    pub namespaces: Vec<NamespaceDoc>,
    /// Findings in deterministic order (file, line, rule, object, pointer).
    pub findings: Vec<FindingDoc>,
    /// Documents that could not be loaded (not checked).
    pub input_errors: Vec<InputErrorDoc>,
    /// What the waiver register needs attention for.
    pub waiver_notes: Vec<WaiverNoteDoc>,
    /// Image signatures verified in the registries (`--verify-images`; absent otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_signatures: Vec<ImageSignatureDoc>,
}

/// The signature verification of one image reference.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageSignatureDoc {
    /// The reference as the pod spec writes it.
    pub image: String,
    /// The manifest digest it resolved to (`sha256:…`), when the registry answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The signing policy that applied.
    pub policy: String,
    /// `verified`, `rejected` or `unavailable`.
    pub outcome: String,
    /// The signers whose signatures verified.
    pub signers: Vec<String>,
    /// Why it was rejected or could not be verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Tool identity.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    /// `kubepci`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// Counts over the findings.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SummaryDoc {
    /// All findings.
    pub findings: usize,
    /// Findings not covered by a waiver.
    pub open: usize,
    /// Findings covered by a waiver.
    pub waived: usize,
    /// Open findings by severity.
    pub by_severity: BTreeMap<String, usize>,
    /// The failure threshold.
    pub fail_on: String,
    /// Open findings at or above the threshold.
    pub failing: usize,
    /// Whether the scan fails (`failing > 0`).
    pub failed: bool,
    /// Documents that could not be loaded.
    pub input_errors: usize,
    /// Open and waived findings by PCI DSS principal requirement.
    pub by_requirement: Vec<RequirementDoc>,
}

/// Counts for one principal requirement.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequirementDoc {
    /// `1` … `12`.
    pub requirement: String,
    /// Short title.
    pub title: String,
    /// Rules that ran and reference it.
    pub rules: usize,
    /// Open findings by severity.
    pub open: BTreeMap<String, usize>,
    /// Waived findings.
    pub waived: usize,
}

/// Counts over the input.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InputsDoc {
    /// Files read (stdin counts as one).
    pub files: usize,
    /// Bytes read.
    pub bytes: usize,
    /// Non-empty documents (List items count one each).
    pub documents: usize,
    /// Objects checked.
    pub objects: usize,
    /// Documents without apiVersion or kind.
    pub skipped_not_objects: usize,
    /// Documents of kinds no selected rule reads (skipped unparsed).
    pub skipped_unused_kinds: usize,
    /// Objects checked, by kind (what each rule could evaluate).
    #[serde(default)]
    pub objects_by_kind: BTreeMap<String, usize>,
}

/// One rule that ran.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct RuleDoc {
    /// Stable ID.
    pub id: String,
    /// kebab-case name.
    pub name: String,
    /// Short title.
    pub summary: String,
    /// `info`, `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// PCI DSS requirement IDs, primary first.
    pub pci: Vec<String>,
    /// What it evaluates: `pod-templates` (every pod template of the kinds below), `kinds`
    /// (every object of the kinds below) or `inventory` (the whole input at once, reading the
    /// kinds below).
    #[serde(default)]
    pub target: String,
    /// The kinds it reads.
    #[serde(default)]
    pub kinds: Vec<String>,
}

/// A namespace and its scope.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct NamespaceDoc {
    /// Name.
    pub name: String,
    /// `cde`, `connected`, `out-of-scope` or `unscoped` (treated as connected).
    pub scope: String,
    /// `label`, `config` or `default`.
    pub source: String,
    /// `kubepci.io/zone` label, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Whether a Namespace object for it was in the input.
    pub declared: bool,
}

/// Identity of a Kubernetes object.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectDoc {
    /// apiVersion.
    pub api_version: String,
    /// kind.
    pub kind: String,
    /// Namespace (absent for cluster-scoped objects or when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

/// Where a finding is written.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct LocationDoc {
    /// File as given on the command line (`-` for stdin).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// The waiver covering a finding.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct WaiverDoc {
    /// Register id.
    pub id: String,
    /// Expiry date.
    pub expires: String,
}

/// One finding.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FindingDoc {
    /// Rule ID.
    pub rule_id: String,
    /// Rule name.
    pub rule_name: String,
    /// `info`, `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// The rule's PCI DSS requirement IDs, primary first.
    pub pci: Vec<String>,
    /// The object at fault.
    pub object: ObjectDoc,
    /// RFC 6901 JSON pointer to the field at fault, within the object.
    pub pointer: String,
    /// Where that field is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationDoc>,
    /// What is wrong (never a secret value or a full card number).
    pub message: String,
    /// PCI scope of the object's namespace: `cde`, `connected`, `out-of-scope`, `unscoped`
    /// or `cluster`.
    pub scope: String,
    /// The waiver covering it, if any: a waived finding is still a finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<WaiverDoc>,
}

/// A document that could not be loaded.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct InputErrorDoc {
    /// File.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

/// Something about the waiver register.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct WaiverNoteDoc {
    /// `expired`, `not-yet-in-force`, `unknown-reference` or `unused`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The waiver id concerned.
    pub id: String,
    /// A sentence for people.
    pub text: String,
}

/// Builds the document.
#[must_use]
pub fn document(report: &ScanReport, options: &RenderOptions) -> ScanDocument {
    let summary = Summary::of(report, options.fail_on);
    let severity_map = |m: &BTreeMap<kubepci_model::Severity, usize>| {
        m.iter()
            .map(|(s, n)| (s.as_str().to_owned(), *n))
            .collect::<BTreeMap<_, _>>()
    };
    let pci_of = |id: &str| -> (String, Vec<String>) {
        report.rule(id).map_or_else(Default::default, |m| {
            (
                m.name.to_owned(),
                m.pci.iter().map(|s| (*s).to_owned()).collect(),
            )
        })
    };
    ScanDocument {
        schema: SCHEMA.to_owned(),
        tool: Tool {
            name: "kubepci".to_owned(),
            version: options.tool_version.to_owned(),
        },
        pci_dss_version: kubepci_rules::pci::PCI_DSS_VERSION.to_owned(),
        as_of: format_date(report.as_of),
        summary: SummaryDoc {
            findings: summary.total,
            open: summary.open,
            waived: summary.waived,
            by_severity: severity_map(&summary.by_severity),
            fail_on: options.fail_on.as_str().to_owned(),
            failing: summary.failing,
            failed: summary.failed(),
            input_errors: summary.input_errors,
            by_requirement: summary
                .by_requirement
                .iter()
                .map(|r| RequirementDoc {
                    requirement: r.id.to_owned(),
                    title: r.title.to_owned(),
                    rules: r.rules,
                    open: severity_map(&r.open),
                    waived: r.waived,
                })
                .collect(),
        },
        inputs: InputsDoc {
            files: report.stats.files,
            bytes: report.stats.bytes,
            documents: report.stats.documents,
            objects: report.stats.objects,
            skipped_not_objects: report.stats.skipped_not_objects,
            skipped_unused_kinds: report.stats.skipped_unused_kinds,
            objects_by_kind: report.objects.iter().fold(BTreeMap::new(), |mut m, o| {
                *m.entry(o.kind.clone()).or_insert(0) += 1;
                m
            }),
        },
        rules: report
            .rules
            .iter()
            .map(|m| RuleDoc {
                id: m.id.to_owned(),
                name: m.name.to_owned(),
                summary: m.summary.to_owned(),
                severity: m.severity.as_str().to_owned(),
                pci: m.pci.iter().map(|s| (*s).to_owned()).collect(),
                target: match m.target {
                    kubepci_rules::Target::PodTemplates => "pod-templates",
                    kubepci_rules::Target::Kinds(_) => "kinds",
                    kubepci_rules::Target::Inventory(_) => "inventory",
                }
                .to_owned(),
                kinds: m.target.kinds().iter().map(|k| (*k).to_owned()).collect(),
            })
            .collect(),
        namespaces: report
            .namespaces
            .iter()
            .map(|n| NamespaceDoc {
                name: n.name.clone(),
                scope: n.scope.as_str().to_owned(),
                source: match n.source {
                    ScopeSource::Label => "label",
                    ScopeSource::Config => "config",
                    ScopeSource::Default => "default",
                }
                .to_owned(),
                zone: n.zone.clone(),
                declared: n.declared,
            })
            .collect(),
        findings: report
            .findings
            .iter()
            .map(|f| {
                let (rule_name, pci) = pci_of(f.rule_id);
                FindingDoc {
                    rule_id: f.rule_id.to_owned(),
                    rule_name,
                    severity: f.severity.as_str().to_owned(),
                    pci,
                    object: ObjectDoc {
                        api_version: f.object.api_version.clone(),
                        kind: f.object.kind.clone(),
                        namespace: f.object.namespace.clone(),
                        name: f.object.name.clone(),
                    },
                    pointer: f.pointer.as_str().to_owned(),
                    location: f.location.as_ref().map(|l| LocationDoc {
                        file: l.file.to_string(),
                        line: l.line,
                        column: l.column,
                    }),
                    message: f.message.clone(),
                    scope: f.scope.as_str().to_owned(),
                    waiver: f.waiver.as_ref().map(|w| WaiverDoc {
                        id: w.id.clone(),
                        expires: w.expires.clone(),
                    }),
                }
            })
            .collect(),
        input_errors: report
            .errors
            .iter()
            .map(|e| InputErrorDoc {
                file: e.file.clone(),
                line: e.position.line,
                column: e.position.column,
                message: e.kind.to_string(),
            })
            .collect(),
        waiver_notes: report
            .waiver_notes
            .iter()
            .map(|n| {
                let (kind, id) = match n {
                    WaiverNote::Expired { id, .. } => ("expired", id),
                    WaiverNote::NotYetInForce { id, .. } => ("not-yet-in-force", id),
                    WaiverNote::UnknownReference { id, .. } => ("unknown-reference", id),
                    WaiverNote::Unused { id } => ("unused", id),
                };
                WaiverNoteDoc {
                    kind: kind.to_owned(),
                    id: id.clone(),
                    text: n.to_string(),
                }
            })
            .collect(),
        image_signatures: report
            .image_verifications
            .iter()
            .map(|v| ImageSignatureDoc {
                image: v.image.clone(),
                digest: v.digest.clone(),
                policy: v.policy.clone(),
                outcome: v.outcome.as_str().to_owned(),
                signers: v.signers.clone(),
                reason: v.reason.clone(),
            })
            .collect(),
    }
}

fn format_date(date: kubepci_engine::Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Renders the document, pretty-printed, with a trailing newline.
#[must_use]
pub fn render(report: &ScanReport, options: &RenderOptions) -> String {
    let mut text = serde_json::to_string_pretty(&document(report, options)).unwrap_or_default();
    text.push('\n');
    text
}

/// The JSON schema of the document, as committed in `docs/scan-output.schema.json`.
#[must_use]
pub fn schema() -> String {
    let mut text =
        serde_json::to_string_pretty(&schemars::schema_for!(ScanDocument)).unwrap_or_default();
    text.push('\n');
    text
}
