//! The report document (`kubepci.report/v1`): what every format renders and what is signed.
//!
//! The JSON schema is generated from these types into `docs/report.schema.json` (a test keeps
//! it fresh and validates the example's report against it). Within `v1`, fields are only ever
//! added; a breaking change bumps the schema name.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The schema name of the document.
pub const SCHEMA: &str = "kubepci.report/v1";

/// A requirement's status in this report.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Open findings of its rules: not in place.
    NotInPlace,
    /// Its attestation's next review date has passed.
    AttestationOverdue,
    /// It needs an attestation and has none.
    NotAttested,
    /// Its rules did not run, or found nothing of the kinds they check.
    NotTested,
    /// Its rules found only waived findings: never plainly in place.
    InPlaceWithWaivers,
    /// Attested by its owner (manual and supported requirements).
    Attested,
    /// Its rules ran and found nothing open (and its attestation, if it needs one, is current).
    InPlace,
    /// Outside the platform, not applicable to the entity, or attested as not applicable.
    NotApplicable,
}

impl Status {
    /// Every status, worst first.
    pub const ALL: [Status; 8] = [
        Status::NotInPlace,
        Status::AttestationOverdue,
        Status::NotAttested,
        Status::NotTested,
        Status::InPlaceWithWaivers,
        Status::Attested,
        Status::InPlace,
        Status::NotApplicable,
    ];

    /// The kebab-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::NotInPlace => "not-in-place",
            Status::AttestationOverdue => "attestation-overdue",
            Status::NotAttested => "not-attested",
            Status::NotTested => "not-tested",
            Status::InPlaceWithWaivers => "in-place-with-waivers",
            Status::Attested => "attested",
            Status::InPlace => "in-place",
            Status::NotApplicable => "not-applicable",
        }
    }

    /// For people.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Status::NotInPlace => "Not in place",
            Status::AttestationOverdue => "Manual: attestation overdue",
            Status::NotAttested => "Manual: not attested",
            Status::NotTested => "Not tested",
            Status::InPlaceWithWaivers => "In place with waivers",
            Status::Attested => "Manual: attested",
            Status::InPlace => "In place",
            Status::NotApplicable => "Not applicable",
        }
    }
}

/// A finding state of the Report on Compliance template (v4.0.1, r1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RocFinding {
    /// In Place (possibly through a compensating control).
    InPlace,
    /// Not in Place.
    NotInPlace,
    /// Not Tested.
    NotTested,
    /// Not Applicable.
    NotApplicable,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "kubepci report (kubepci.report/v1)")]
pub struct Report {
    /// Always `kubepci.report/v1`.
    pub schema: String,
    /// The tool that produced the report.
    pub tool: Tool,
    /// The PCI DSS version every requirement ID refers to.
    pub pci_dss_version: String,
    /// When the report was made (RFC 3339, UTC).
    pub generated_at: String,
    /// The date waivers and attestations were evaluated on (`YYYY-MM-DD`).
    pub as_of: String,
    /// What was assessed and how.
    pub scope: ScopeStatement,
    /// What needs attention first: expired waivers, overdue attestations, input errors, a
    /// breached segmentation, a log that does not verify.
    pub attention: Vec<AttentionItem>,
    /// Counts over all requirements.
    pub summary: Summary,
    /// The principal requirements at a glance.
    pub overview: Vec<PrincipalOverview>,
    /// Every requirement, in the standard's order.
    pub requirements: Vec<RequirementResult>,
    /// Every finding once; requirements refer to them by index.
    pub findings: Vec<FindingRecord>,
    /// The waivers that apply or applied.
    pub waivers: Vec<WaiverRecord>,
    /// Rules that ran without naming any PCI DSS requirement (for example policies without a
    /// PCI annotation): their findings count under no requirement.
    pub unmapped_rules: Vec<RuleRecord>,
    /// The audit-log checkpoint the report was made against, when a store was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_log: Option<AuditLogRecord>,
    /// The signature over everything above (see [`crate::sign`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Signature>,
}

/// Tool identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    /// `kubepci`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// The scope statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScopeStatement {
    /// `manifests` (files read and scanned now) or `scan-result` (a saved `kubepci scan
    /// --format json` document).
    pub source: String,
    /// The inputs with their SHA-256 digests.
    pub inputs: Vec<InputDigest>,
    /// SHA-256 of the input list (`sha256sum` lines, `<hex>  <name>\n`, in input order).
    pub inputs_digest: String,
    /// For a saved scan result: the kubepci version and date of the scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<SavedScan>,
    /// The entity type that decides which requirements apply.
    pub entity: EntityRecord,
    /// The rule catalogue that ran.
    pub catalogue: CatalogueRecord,
    /// Counts over the input.
    pub objects: usize,
    /// Objects by kind.
    pub objects_by_kind: BTreeMap<String, usize>,
    /// Every namespace with its PCI scope.
    pub namespaces: Vec<NamespaceRecord>,
    /// Namespaces by scope (`cde`, `connected`, `out-of-scope`, `unscoped`).
    pub namespaces_by_scope: BTreeMap<String, usize>,
    /// The verdict of `kubepci segmentation` on the same input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segmentation: Option<SegmentationRecord>,
    /// Documents that could not be read (not assessed).
    pub input_errors: Vec<String>,
    /// What this report cannot assess.
    pub limitations: Vec<String>,
}

/// One input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InputDigest {
    /// As given (`-` for stdin).
    pub name: String,
    /// Size.
    pub bytes: u64,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
}

/// The scan a saved result came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SavedScan {
    /// kubepci version that scanned.
    pub tool_version: String,
    /// Its evaluation date.
    pub as_of: String,
    /// Files, documents and bytes it read.
    pub files: usize,
    /// Documents read.
    pub documents: usize,
}

/// The entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntityRecord {
    /// Whether the attestation register declared it (otherwise every requirement is assessed).
    pub declared: bool,
    /// `merchant` or `service-provider` (`undeclared` when not declared).
    #[serde(rename = "type")]
    pub kind: String,
    /// Multi-tenant service provider (Appendix A1).
    pub multi_tenant: bool,
    /// Designated entity (Appendix A3).
    pub designated_entity: bool,
}

/// The rule catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CatalogueRecord {
    /// Rules that ran.
    pub rules: usize,
    /// SHA-256 of the rules' `id\tname\tseverity\tpci,…\n` lines, sorted by ID: two reports
    /// with the same digest ran the same catalogue.
    pub digest: String,
}

/// A namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NamespaceRecord {
    /// Name.
    pub name: String,
    /// `cde`, `connected`, `out-of-scope` or `unscoped` (treated as connected).
    pub scope: String,
    /// `label`, `config` or `default`.
    pub source: String,
    /// `kubepci.io/zone`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

/// The segmentation verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SegmentationRecord {
    /// `segmented`, `breached`, `unproven` or `no-cde`.
    pub status: String,
    /// One sentence.
    pub summary: String,
}

/// Something that needs attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttentionItem {
    /// `expired-waiver`, `waiver-expiring`, `waiver-not-in-force`, `unknown-waiver`,
    /// `risk-acceptance`, `attestation-overdue`, `attestation-future`, `input-errors`,
    /// `segmentation`, `audit-log`.
    pub kind: String,
    /// The requirements concerned.
    pub requirements: Vec<String>,
    /// A sentence for people.
    pub text: String,
}

/// Counts over the requirements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Requirements assessed (every requirement of the table).
    pub requirements: usize,
    /// Requirements by status.
    pub by_status: BTreeMap<String, usize>,
    /// Requirements by ROC finding.
    pub by_roc_finding: BTreeMap<String, usize>,
    /// Findings: all, open, waived.
    pub findings: usize,
    /// Findings not covered by a waiver.
    pub open_findings: usize,
    /// Findings covered by a waiver.
    pub waived_findings: usize,
}

/// One principal requirement at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalOverview {
    /// `1` … `12`, `A1` … `A3`.
    pub id: String,
    /// Short title.
    pub title: String,
    /// Its requirements by status.
    pub by_status: BTreeMap<String, usize>,
    /// `not-in-place` when any requirement is, `incomplete` when any is not tested or not
    /// (currently) attested, `in-place` when every applicable one is in place, attested or in
    /// place with waivers, `not-applicable` when none applies.
    pub verdict: String,
    /// Open findings under it (a finding of a rule naming two of its requirements counts once).
    pub open_findings: usize,
}

/// One requirement's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequirementResult {
    /// e.g. `1.3.1`.
    pub id: String,
    /// Short paraphrased title.
    pub title: String,
    /// Its section (`1.3`).
    pub section: String,
    /// `automated`, `partial`, `supported`, `manual` or `not-applicable`.
    pub classification: String,
    /// `all`, `sp`, `mtsp` or `de`.
    pub applies: String,
    /// Why it is classified so: what kubepci checks, what must be attested.
    pub reason: String,
    /// Its status.
    pub status: Status,
    /// Why it has that status, in one sentence.
    pub status_reason: String,
    /// The ROC finding it supports.
    pub roc_finding: RocFinding,
    /// Whether a compensating control (a waiver's) is relied on.
    pub compensating_control: bool,
    /// The rules that ran and name it.
    pub rules: Vec<RuleResult>,
    /// Objects of the kinds its rules check (`null` when the scan did not record kinds).
    #[serde(default)]
    pub objects_evaluated: Option<usize>,
    /// Open findings.
    pub open_findings: usize,
    /// Waived findings.
    pub waived_findings: usize,
    /// Indexes into the report's `findings`.
    pub findings: Vec<usize>,
    /// Waivers covering its findings.
    pub waivers: Vec<String>,
    /// The attestation that counts, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<AttestationRecord>,
}

/// A rule and what it did for one requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleResult {
    /// Rule ID.
    pub id: String,
    /// kebab-case name.
    pub name: String,
    /// Severity of its findings.
    pub severity: String,
    /// Objects of the kinds it checks (`null` when unknown).
    #[serde(default)]
    pub objects_evaluated: Option<usize>,
    /// Open findings.
    pub open: usize,
    /// Waived findings.
    pub waived: usize,
}

/// A rule without PCI mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleRecord {
    /// Rule ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Findings.
    pub findings: usize,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FindingRecord {
    /// Rule ID.
    pub rule_id: String,
    /// `info` … `critical`.
    pub severity: String,
    /// The rule's PCI DSS requirements.
    pub pci: Vec<String>,
    /// `Kind namespace/name`.
    pub object: String,
    /// `file:line:column`, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// RFC 6901 pointer to the field.
    pub pointer: String,
    /// What is wrong (never a secret value or a full card number).
    pub message: String,
    /// PCI scope of the object.
    pub scope: String,
    /// The waiver covering it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<String>,
}

/// A waiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaiverRecord {
    /// Register id.
    pub id: String,
    /// `in-force`, `expired`, `not-yet-in-force` or `not-in-register`.
    pub state: String,
    /// Rules it covers.
    pub rules: Vec<String>,
    /// The requirements those rules name.
    pub requirements: Vec<String>,
    /// Findings it covers in this report.
    pub findings: usize,
    /// Who approved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The compensating control.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensating_control: Option<String>,
    /// Change or risk ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// First day in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Last day in force.
    pub expires: String,
}

/// An attestation as it counts for one requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttestationRecord {
    /// Who attests.
    pub owner: String,
    /// When.
    pub date: String,
    /// Evidence reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// Next review date.
    pub next_review: String,
    /// Whether the next review date has passed.
    pub overdue: bool,
    /// Attested as not applicable, with this justification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<String>,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The ID it names (the requirement or an enclosing section).
    pub covers: String,
    /// Where it is written.
    pub source: String,
}

/// The audit log the report was made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditLogRecord {
    /// The log's origin (its key name).
    pub origin: String,
    /// The public key it was verified with.
    pub key: String,
    /// Entries covered by the latest checkpoint.
    pub size: u64,
    /// Its RFC 6962 root hash (hex).
    pub root_hash: String,
    /// The signed checkpoint, verbatim (C2SP signed note).
    pub checkpoint: String,
    /// Whether the whole store verified (every hash recomputed, every checkpoint checked).
    pub verified: bool,
    /// Entries in the store.
    pub entries: u64,
    /// Entries after the latest checkpoint.
    pub unsigned_entries: u64,
    /// Problems found.
    pub problems: Vec<String>,
}

/// The report's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Signature {
    /// `ed25519` (C2SP signed note).
    pub algorithm: String,
    /// The signing key's name.
    pub key_name: String,
    /// The key ID (8 hex digits).
    pub key_id: String,
    /// `sha256:<hex>` of the RFC 8785 canonical JSON of the report without `signature`.
    pub digest: String,
    /// The signed note over `kubepci.report/v1\n<digest>\n`.
    pub note: String,
}

/// The JSON schema of the report, as committed in `docs/report.schema.json`.
#[must_use]
pub fn schema() -> String {
    let mut text = serde_json::to_string_pretty(&schemars::schema_for!(Report)).unwrap_or_default();
    text.push('\n');
    text
}
