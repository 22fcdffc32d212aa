//! From evidence to the requirement-by-requirement assessment. Pure: no I/O, no clock.
//!
//! For each requirement of the table (three levels and deeper), in the standard's order:
//!
//! 1. not applicable when the table says it is outside the platform, or it applies to
//!    service providers (multi-tenant, designated entities) and the entity is not one;
//! 2. **not in place** when a rule naming it has an open (not waived) finding — whatever its
//!    classification and whatever is attested;
//! 3. not applicable when its owner attested so (with a justification);
//! 4. for the part rules decide (automated and partial requirements): **not tested** when no
//!    rule naming it ran, or its rules check kinds of which the input has no object; **in
//!    place with waivers** when its rules' findings are all waived; **in place** otherwise;
//! 5. for the part an owner attests (partial, supported, manual requirements): **not
//!    attested** without an attestation in force on the report date, **attestation overdue**
//!    once its next review date has passed; an automated part that is in place (with waivers)
//!    stays so, supported and manual requirements become **attested** (or in place with
//!    waivers when some finding is waived).
//!
//! A rule's requirements are read from the scan's rule metadata (`rules[].pci`), never from a
//! list kept here, so rules added later and policies loaded at run time count under theirs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kubepci_engine::WaiverRegister;
use kubepci_report::json::{FindingDoc, RuleDoc, ScanDocument};
use kubepci_rules::pci::{self, Classification};
use sha2::{Digest as _, Sha256};
use time::{Date, OffsetDateTime};

use crate::attestation::{AttestationRegister, Entity};
use crate::date::{format_date, format_time, parse_date};
use crate::model::{
    AttentionItem, AttestationRecord, AuditLogRecord, CatalogueRecord, EntityRecord, FindingRecord,
    InputDigest, NamespaceRecord, PrincipalOverview, Report, RequirementResult, RocFinding,
    RuleRecord, RuleResult, SCHEMA, SavedScan, ScopeStatement, SegmentationRecord, Status, Summary,
    Tool, WaiverRecord,
};

/// Days before expiry from which a waiver is called out.
pub const WAIVER_EXPIRY_WARNING_DAYS: i64 = 30;

/// Where the scan came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanSource {
    /// Manifests read and scanned for this report.
    Manifests,
    /// A saved `kubepci scan --format json` document.
    SavedResult,
}

/// Everything a report is made from.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// The scan, as its JSON document.
    pub scan: &'a ScanDocument,
    /// Where it came from.
    pub source: ScanSource,
    /// The inputs read, with digests.
    pub inputs: &'a [InputDigest],
    /// The waiver register, for the waivers' details.
    pub waivers: Option<&'a WaiverRegister>,
    /// The attestation register.
    pub attestations: Option<&'a AttestationRegister>,
    /// The segmentation verdict on the same input.
    pub segmentation: Option<&'a SegmentationRecord>,
    /// The audit-log checkpoint and verification.
    pub audit_log: Option<&'a AuditLogRecord>,
    /// When the report is made.
    pub generated_at: OffsetDateTime,
    /// kubepci's version.
    pub tool_version: &'a str,
}

/// What this report cannot assess, stated in every report.
const LIMITATIONS: &[&str] = &[
    "Only the Kubernetes objects in the inputs are assessed: a managed control plane's settings (API server flags, etcd, authorization mode) and node operating systems are not inspected and are attested where requirements need them.",
    "Requirements met by the payment application, the identity provider (password rules, MFA, lockout) or organisational processes are assessed through attestations, not by kubepci.",
    "A requirement is in place only for the inputs listed above; objects not in the inputs are not covered.",
];

/// Builds the report (unsigned).
#[must_use]
pub fn assess(evidence: &Evidence<'_>) -> Report {
    let scan = evidence.scan;
    let as_of = parse_date(&scan.as_of).unwrap_or_else(|| evidence.generated_at.date());
    let entity = evidence
        .attestations
        .and_then(|a| a.entity)
        .unwrap_or(Entity::UNDECLARED);
    let rules: BTreeMap<&str, &RuleDoc> = scan.rules.iter().map(|r| (r.id.as_str(), r)).collect();
    let findings: Vec<FindingRecord> = scan.findings.iter().map(finding_record).collect();
    let by_requirement = findings_by_requirement(scan);
    let mut attention = Vec::new();
    let mut requirements = Vec::new();
    for req in pci::requirements() {
        let Some(evidencing) = req.evidencing else {
            continue;
        };
        let ctx = RequirementContext {
            scan,
            rules: &rules,
            finding_indexes: by_requirement.get(req.id).map_or(&[][..], Vec::as_slice),
            attestations: evidence.attestations,
            entity,
            as_of,
        };
        requirements.push(ctx.assess(req, evidencing));
    }
    attention.extend(waiver_attention(scan, evidence.waivers, as_of));
    attention.extend(attestation_attention(
        &requirements,
        evidence.attestations,
        as_of,
    ));
    if !scan.input_errors.is_empty() {
        attention.push(AttentionItem {
            kind: "input-errors".into(),
            requirements: Vec::new(),
            text: format!(
                "{} document(s) could not be read and were not assessed: {}",
                scan.input_errors.len(),
                scan.input_errors
                    .iter()
                    .take(3)
                    .map(|e| format!("{}:{}: {}", e.file, e.line, e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        });
    }
    if let Some(s) = evidence
        .segmentation
        .filter(|s| s.status == "breached" || s.status == "unproven")
    {
        attention.push(AttentionItem {
            kind: "segmentation".into(),
            requirements: vec!["1.3.1".into(), "1.3.2".into(), "11.4.5".into()],
            text: format!("Segmentation is {}: {}", s.status, s.summary),
        });
    }
    if let Some(log) = evidence.audit_log.filter(|l| !l.verified) {
        attention.push(AttentionItem {
            kind: "audit-log".into(),
            requirements: vec!["10.3.2".into(), "10.3.4".into()],
            text: format!(
                "The audit log {} does not verify: {}",
                log.origin,
                log.problems.join("; ")
            ),
        });
    }
    let unmapped_rules = scan
        .rules
        .iter()
        .filter(|r| {
            !r.pci
                .iter()
                .any(|id| pci::requirement(id).is_some_and(|q| q.is_requirement()))
        })
        .map(|r| RuleRecord {
            id: r.id.clone(),
            name: r.name.clone(),
            findings: scan.findings.iter().filter(|f| f.rule_id == r.id).count(),
        })
        .collect();
    Report {
        schema: SCHEMA.to_owned(),
        tool: Tool {
            name: "kubepci".to_owned(),
            version: evidence.tool_version.to_owned(),
        },
        pci_dss_version: pci::PCI_DSS_VERSION.to_owned(),
        generated_at: format_time(evidence.generated_at),
        as_of: format_date(as_of),
        scope: scope_statement(evidence, entity),
        attention,
        summary: summary(&requirements, &findings),
        overview: overview(&requirements, scan),
        waivers: waiver_records(scan, evidence.waivers, as_of),
        requirements,
        findings,
        unmapped_rules,
        audit_log: evidence.audit_log.cloned(),
        signature: None,
    }
}

/// Finding indexes by the requirement IDs of their rules.
fn findings_by_requirement(scan: &ScanDocument) -> HashMap<&str, Vec<usize>> {
    let rule_pci: HashMap<&str, &[String]> = scan
        .rules
        .iter()
        .map(|r| (r.id.as_str(), r.pci.as_slice()))
        .collect();
    let mut map: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, f) in scan.findings.iter().enumerate() {
        // The finding's own references, else its rule's.
        let ids = if f.pci.is_empty() {
            rule_pci.get(f.rule_id.as_str()).copied().unwrap_or(&[])
        } else {
            f.pci.as_slice()
        };
        for id in ids {
            map.entry(id.as_str()).or_default().push(i);
        }
    }
    map
}

fn finding_record(f: &FindingDoc) -> FindingRecord {
    let object = match &f.object.namespace {
        Some(ns) => format!("{} {ns}/{}", f.object.kind, f.object.name),
        None => format!("{} {}", f.object.kind, f.object.name),
    };
    FindingRecord {
        rule_id: f.rule_id.clone(),
        severity: f.severity.clone(),
        pci: f.pci.clone(),
        object,
        location: f
            .location
            .as_ref()
            .map(|l| format!("{}:{}:{}", l.file, l.line, l.column)),
        pointer: f.pointer.clone(),
        message: f.message.clone(),
        scope: f.scope.clone(),
        waiver: f.waiver.as_ref().map(|w| w.id.clone()),
    }
}

/// Objects of the kinds a rule reads (`None` when the scan did not record its kinds).
fn objects_of(rule: &RuleDoc, scan: &ScanDocument) -> Option<usize> {
    if rule.kinds.is_empty() {
        return None;
    }
    Some(
        rule.kinds
            .iter()
            .map(|k| scan.inputs.objects_by_kind.get(k).copied().unwrap_or(0))
            .sum(),
    )
}

struct RequirementContext<'a> {
    scan: &'a ScanDocument,
    rules: &'a BTreeMap<&'a str, &'a RuleDoc>,
    finding_indexes: &'a [usize],
    attestations: Option<&'a AttestationRegister>,
    entity: Entity,
    as_of: Date,
}

/// The state of the attested part.
enum Attested<'a> {
    None,
    Future(&'a crate::attestation::Attestation),
    Overdue(&'a crate::attestation::Attestation),
    Current(&'a crate::attestation::Attestation),
}

impl RequirementContext<'_> {
    fn assess(&self, req: &pci::Requirement, evidencing: pci::Evidencing) -> RequirementResult {
        let class = evidencing.classification;
        let rules: Vec<&RuleDoc> = self
            .rules
            .values()
            .filter(|r| r.pci.iter().any(|p| p == req.id))
            .copied()
            .collect();
        let findings: Vec<&FindingDoc> = self
            .finding_indexes
            .iter()
            .filter_map(|&i| self.scan.findings.get(i))
            .collect();
        let open = findings.iter().filter(|f| f.waiver.is_none()).count();
        let waived = findings.len() - open;
        let rule_results: Vec<RuleResult> = rules
            .iter()
            .map(|r| {
                let (o, w) =
                    findings
                        .iter()
                        .filter(|f| f.rule_id == r.id)
                        .fold((0, 0), |(o, w), f| {
                            if f.waiver.is_some() {
                                (o, w + 1)
                            } else {
                                (o + 1, w)
                            }
                        });
                RuleResult {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    severity: r.severity.clone(),
                    objects_evaluated: objects_of(r, self.scan),
                    open: o,
                    waived: w,
                }
            })
            .collect();
        let objects_evaluated = objects_evaluated(&rules, self.scan);
        // Rules that judge the whole input evaluate even an empty one (they report absence).
        let evaluated_something = rules
            .iter()
            .any(|r| r.target == "inventory" || objects_of(r, self.scan).is_none_or(|n| n > 0));
        let attestation = self.attestations.and_then(|a| a.for_requirement(req.id));
        let attested = match attestation {
            None => Attested::None,
            Some(a) if a.date > self.as_of => Attested::Future(a),
            Some(a) if a.next_review < self.as_of => Attested::Overdue(a),
            Some(a) => Attested::Current(a),
        };
        let waivers: Vec<String> = findings
            .iter()
            .filter_map(|f| f.waiver.as_ref().map(|w| w.id.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let (status, status_reason) = self.status(
            req,
            evidencing,
            &rule_results,
            open,
            waived,
            evaluated_something,
            &attested,
        );
        let compensating_control = status == Status::InPlaceWithWaivers;
        RequirementResult {
            id: req.id.to_owned(),
            title: req.title.to_owned(),
            section: req
                .id
                .rsplit_once('.')
                .map_or(req.id, |(parent, _)| parent)
                .to_owned(),
            classification: class.as_str().to_owned(),
            applies: evidencing.applies.as_str().to_owned(),
            reason: evidencing.reason.to_owned(),
            status,
            status_reason,
            roc_finding: roc_finding(status),
            compensating_control,
            rules: rule_results,
            objects_evaluated,
            open_findings: open,
            waived_findings: waived,
            findings: self.finding_indexes.to_vec(),
            waivers,
            attestation: attestation.map(|a| AttestationRecord {
                owner: a.owner.clone(),
                date: format_date(a.date),
                evidence: a.evidence.clone(),
                next_review: format_date(a.next_review),
                overdue: a.next_review < self.as_of,
                not_applicable: a.not_applicable.clone(),
                notes: a.notes.clone(),
                covers: a
                    .requirements
                    .iter()
                    .filter(|r| pci::is_within(req.id, r))
                    .max_by_key(|r| r.len())
                    .cloned()
                    .unwrap_or_default(),
                source: a.source.clone(),
            }),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn status(
        &self,
        req: &pci::Requirement,
        evidencing: pci::Evidencing,
        rules: &[RuleResult],
        open: usize,
        waived: usize,
        evaluated_something: bool,
        attested: &Attested<'_>,
    ) -> (Status, String) {
        let class = evidencing.classification;
        if class == Classification::NotApplicable {
            return (Status::NotApplicable, evidencing.reason.to_owned());
        }
        if !self.entity.includes(evidencing.applies) {
            let who = match evidencing.applies {
                pci::Applicability::ServiceProvider => "service providers",
                pci::Applicability::MultiTenantServiceProvider => "multi-tenant service providers",
                pci::Applicability::DesignatedEntity => "designated entities",
                pci::Applicability::All => "every entity",
            };
            return (
                Status::NotApplicable,
                format!("Applies to {who} only; the entity is not one."),
            );
        }
        if open > 0 {
            return (
                Status::NotInPlace,
                format!(
                    "{open} open finding(s) of {}.",
                    rules
                        .iter()
                        .filter(|r| r.open > 0)
                        .map(|r| r.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        if let Attested::Current(a) = attested
            && let Some(why) = &a.not_applicable
        {
            return (
                Status::NotApplicable,
                format!("Attested not applicable by {}: {why}", a.owner),
            );
        }
        // The part rules decide.
        let automated = if class.needs_rules() || !rules.is_empty() {
            Some(if rules.is_empty() {
                (
                    Status::NotTested,
                    "None of the rules that give evidence for it ran.".to_owned(),
                )
            } else if !evaluated_something {
                (
                    Status::NotTested,
                    "The input has no object of the kinds its rules check.".to_owned(),
                )
            } else if waived > 0 {
                (
                    Status::InPlaceWithWaivers,
                    format!("{waived} finding(s) are waived; no finding is open."),
                )
            } else {
                (
                    Status::InPlace,
                    format!("{} rule(s) ran; no finding.", rules.len()),
                )
            })
        } else {
            None
        };
        if class == Classification::Automated {
            return automated.unwrap_or((Status::NotTested, "No rule ran.".to_owned()));
        }
        // The part an owner attests.
        match attested {
            Attested::None => (
                Status::NotAttested,
                format!("Needs an attestation ({}); none is recorded.", req.id),
            ),
            Attested::Future(a) => (
                Status::NotAttested,
                format!(
                    "The attestation by {} is dated {}, after the report date.",
                    a.owner,
                    format_date(a.date)
                ),
            ),
            Attested::Overdue(a) => (
                Status::AttestationOverdue,
                format!(
                    "Attested by {} on {}; the review was due on {}.",
                    a.owner,
                    format_date(a.date),
                    format_date(a.next_review)
                ),
            ),
            Attested::Current(a) => {
                let by = format!(
                    "attested by {} on {} (next review {})",
                    a.owner,
                    format_date(a.date),
                    format_date(a.next_review)
                );
                match automated {
                    Some((Status::InPlace, why)) if class == Classification::Partial => {
                        (Status::InPlace, format!("{why} The rest is {by}."))
                    }
                    Some((Status::InPlaceWithWaivers, why)) => (
                        Status::InPlaceWithWaivers,
                        format!("{why} The rest is {by}."),
                    ),
                    Some((status @ Status::NotTested, why)) if class == Classification::Partial => {
                        (status, format!("{why} The rest is {by}."))
                    }
                    _ => (
                        Status::Attested,
                        format!("{}{}.", by[..1].to_uppercase(), &by[1..]),
                    ),
                }
            }
        }
    }
}

fn objects_evaluated(rules: &[&RuleDoc], scan: &ScanDocument) -> Option<usize> {
    if rules.is_empty() {
        return Some(0);
    }
    let mut kinds = BTreeSet::new();
    for r in rules {
        if r.kinds.is_empty() {
            return None;
        }
        kinds.extend(r.kinds.iter().map(String::as_str));
    }
    Some(
        kinds
            .iter()
            .map(|k| scan.inputs.objects_by_kind.get(*k).copied().unwrap_or(0))
            .sum(),
    )
}

/// The ROC finding a status supports. Risk acceptance is not a ROC state: a requirement
/// relying on waivers is In Place only through their compensating controls, which the
/// assessor validates.
const fn roc_finding(status: Status) -> RocFinding {
    match status {
        Status::InPlace | Status::Attested | Status::InPlaceWithWaivers => RocFinding::InPlace,
        Status::NotInPlace => RocFinding::NotInPlace,
        Status::NotTested | Status::NotAttested | Status::AttestationOverdue => {
            RocFinding::NotTested
        }
        Status::NotApplicable => RocFinding::NotApplicable,
    }
}

fn roc_name(f: RocFinding) -> &'static str {
    match f {
        RocFinding::InPlace => "in-place",
        RocFinding::NotInPlace => "not-in-place",
        RocFinding::NotTested => "not-tested",
        RocFinding::NotApplicable => "not-applicable",
    }
}

fn summary(requirements: &[RequirementResult], findings: &[FindingRecord]) -> Summary {
    let mut by_status = BTreeMap::new();
    let mut by_roc = BTreeMap::new();
    for r in requirements {
        *by_status.entry(r.status.as_str().to_owned()).or_insert(0) += 1;
        *by_roc
            .entry(roc_name(r.roc_finding).to_owned())
            .or_insert(0) += 1;
    }
    let waived = findings.iter().filter(|f| f.waiver.is_some()).count();
    Summary {
        requirements: requirements.len(),
        by_status,
        by_roc_finding: by_roc,
        findings: findings.len(),
        open_findings: findings.len() - waived,
        waived_findings: waived,
    }
}

fn overview(requirements: &[RequirementResult], scan: &ScanDocument) -> Vec<PrincipalOverview> {
    pci::principals()
        .map(|p| {
            let mine: Vec<&RequirementResult> = requirements
                .iter()
                .filter(|r| pci::principal_of(&r.id) == p.id)
                .collect();
            let mut by_status = BTreeMap::new();
            for r in &mine {
                *by_status.entry(r.status.as_str().to_owned()).or_insert(0) += 1;
            }
            let has = |s: Status| mine.iter().any(|r| r.status == s);
            let verdict = if has(Status::NotInPlace) {
                "not-in-place"
            } else if has(Status::NotTested)
                || has(Status::NotAttested)
                || has(Status::AttestationOverdue)
            {
                "incomplete"
            } else if mine.iter().all(|r| r.status == Status::NotApplicable) {
                "not-applicable"
            } else {
                "in-place"
            };
            let open: BTreeSet<usize> = mine
                .iter()
                .flat_map(|r| r.findings.iter().copied())
                .filter(|&i| scan.findings.get(i).is_some_and(|f| f.waiver.is_none()))
                .collect();
            PrincipalOverview {
                id: p.id.to_owned(),
                title: p.title.to_owned(),
                by_status,
                verdict: verdict.to_owned(),
                open_findings: open.len(),
            }
        })
        .collect()
}

/// SHA-256 of the catalogue that ran.
fn catalogue(scan: &ScanDocument) -> CatalogueRecord {
    let mut lines: Vec<String> = scan
        .rules
        .iter()
        .map(|r| {
            format!(
                "{}\t{}\t{}\t{}\n",
                r.id,
                r.name,
                r.severity,
                r.pci.join(",")
            )
        })
        .collect();
    lines.sort();
    CatalogueRecord {
        rules: scan.rules.len(),
        digest: hex(&Sha256::digest(lines.concat().as_bytes())),
    }
}

/// Lower-case hex.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// SHA-256 of `sha256sum`-style lines for the inputs.
#[must_use]
pub fn inputs_digest(inputs: &[InputDigest]) -> String {
    let mut hasher = Sha256::new();
    for i in inputs {
        hasher.update(format!("{}  {}\n", i.sha256, i.name).as_bytes());
    }
    hex(&hasher.finalize())
}

fn scope_statement(evidence: &Evidence<'_>, entity: Entity) -> ScopeStatement {
    let scan = evidence.scan;
    let declared = evidence.attestations.and_then(|a| a.entity).is_some();
    let mut namespaces_by_scope = BTreeMap::new();
    for n in &scan.namespaces {
        *namespaces_by_scope.entry(n.scope.clone()).or_insert(0) += 1;
    }
    ScopeStatement {
        source: match evidence.source {
            ScanSource::Manifests => "manifests",
            ScanSource::SavedResult => "scan-result",
        }
        .to_owned(),
        inputs: evidence.inputs.to_vec(),
        inputs_digest: inputs_digest(evidence.inputs),
        scan: (evidence.source == ScanSource::SavedResult).then(|| SavedScan {
            tool_version: scan.tool.version.clone(),
            as_of: scan.as_of.clone(),
            files: scan.inputs.files,
            documents: scan.inputs.documents,
        }),
        entity: EntityRecord {
            declared,
            kind: if !declared {
                "undeclared"
            } else if entity.service_provider {
                "service-provider"
            } else {
                "merchant"
            }
            .to_owned(),
            multi_tenant: entity.multi_tenant,
            designated_entity: entity.designated_entity,
        },
        catalogue: catalogue(scan),
        objects: scan.inputs.objects,
        objects_by_kind: scan.inputs.objects_by_kind.clone(),
        namespaces: scan
            .namespaces
            .iter()
            .map(|n| NamespaceRecord {
                name: n.name.clone(),
                scope: n.scope.clone(),
                source: n.source.clone(),
                zone: n.zone.clone(),
            })
            .collect(),
        namespaces_by_scope,
        segmentation: evidence.segmentation.cloned(),
        input_errors: scan
            .input_errors
            .iter()
            .map(|e| format!("{}:{}:{}: {}", e.file, e.line, e.column, e.message))
            .collect(),
        limitations: LIMITATIONS.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// The requirements a rule's findings count under.
fn requirements_of_rules<'a>(scan: &'a ScanDocument, rules: &[String]) -> Vec<String> {
    let set: BTreeSet<&'a str> = scan
        .rules
        .iter()
        .filter(|r| rules.contains(&r.id))
        .flat_map(|r| r.pci.iter().map(String::as_str))
        .collect();
    set.into_iter().map(str::to_owned).collect()
}

fn waiver_records(
    scan: &ScanDocument,
    register: Option<&WaiverRegister>,
    as_of: Date,
) -> Vec<WaiverRecord> {
    let covered = |id: &str| {
        scan.findings
            .iter()
            .filter(|f| f.waiver.as_ref().is_some_and(|w| w.id == id))
            .count()
    };
    let mut records: Vec<WaiverRecord> = register
        .map(|r| r.waivers.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|w| WaiverRecord {
            id: w.id.clone(),
            state: if w.expires < as_of {
                "expired"
            } else if w.created > as_of {
                "not-yet-in-force"
            } else {
                "in-force"
            }
            .to_owned(),
            rules: w.rules.iter().map(|r| (*r).to_owned()).collect(),
            requirements: requirements_of_rules(scan, &w.rules),
            findings: covered(&w.id),
            approver: Some(w.approver.clone()),
            justification: Some(w.justification.clone()),
            compensating_control: w.compensating_control.clone(),
            ticket: w.ticket.clone(),
            created: Some(format_date(w.created)),
            expires: format_date(w.expires),
        })
        .collect();
    // Waivers recorded in a saved scan but absent from the register given.
    let mut seen: BTreeSet<String> = records.iter().map(|r| r.id.clone()).collect();
    for f in &scan.findings {
        let Some(w) = &f.waiver else { continue };
        if seen.insert(w.id.clone()) {
            let rules: Vec<String> = scan
                .findings
                .iter()
                .filter(|g| g.waiver.as_ref().is_some_and(|x| x.id == w.id))
                .map(|g| g.rule_id.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            records.push(WaiverRecord {
                id: w.id.clone(),
                state: "not-in-register".into(),
                requirements: requirements_of_rules(scan, &rules),
                rules,
                findings: covered(&w.id),
                approver: None,
                justification: None,
                compensating_control: None,
                ticket: None,
                created: None,
                expires: w.expires.clone(),
            });
        }
    }
    records
}

fn waiver_attention(
    scan: &ScanDocument,
    register: Option<&WaiverRegister>,
    as_of: Date,
) -> Vec<AttentionItem> {
    let mut items = Vec::new();
    let affected = |rules: &[String]| requirements_of_rules(scan, rules);
    for note in &scan.waiver_notes {
        let rules: Vec<String> = register
            .and_then(|r| r.waivers.iter().find(|w| w.id == note.id))
            .map(|w| w.rules.clone())
            .unwrap_or_default();
        let kind = match note.kind.as_str() {
            "expired" => "expired-waiver",
            "not-yet-in-force" => "waiver-not-in-force",
            "unknown-reference" => "unknown-waiver",
            _ => continue,
        };
        items.push(AttentionItem {
            kind: kind.into(),
            requirements: affected(&rules),
            text: capitalise(&note.text),
        });
    }
    if let Some(register) = register {
        for w in &register.waivers {
            if !w.in_force(as_of) {
                continue;
            }
            let days = (w.expires - as_of).whole_days();
            if days <= WAIVER_EXPIRY_WARNING_DAYS {
                items.push(AttentionItem {
                    kind: "waiver-expiring".into(),
                    requirements: affected(&w.rules),
                    text: format!(
                        "Waiver {} (approved by {}) expires on {}, in {days} day(s).",
                        w.id,
                        w.approver,
                        format_date(w.expires)
                    ),
                });
            }
            let used = scan
                .findings
                .iter()
                .any(|f| f.waiver.as_ref().is_some_and(|x| x.id == w.id));
            if used && w.compensating_control.is_none() {
                items.push(AttentionItem {
                    kind: "risk-acceptance".into(),
                    requirements: affected(&w.rules),
                    text: format!(
                        "Waiver {} names no compensating control: a risk acceptance is not a ROC finding, and the requirements it covers are in place only if the assessor accepts a compensating control.",
                        w.id
                    ),
                });
            }
        }
    }
    items
}

fn attestation_attention(
    requirements: &[RequirementResult],
    register: Option<&AttestationRegister>,
    as_of: Date,
) -> Vec<AttentionItem> {
    let Some(register) = register else {
        return Vec::new();
    };
    let mut items = Vec::new();
    for a in &register.attestations {
        let covered: Vec<String> = requirements
            .iter()
            .filter(|r| r.attestation.as_ref().is_some_and(|x| x.source == a.source))
            .map(|r| r.id.clone())
            .collect();
        if covered.is_empty() {
            continue;
        }
        if a.date > as_of {
            items.push(AttentionItem {
                kind: "attestation-future".into(),
                text: format!(
                    "The attestation by {} ({}) is dated {}, after the report date; it does not count.",
                    a.owner,
                    a.source,
                    format_date(a.date)
                ),
                requirements: covered,
            });
        } else if a.next_review < as_of {
            items.push(AttentionItem {
                kind: "attestation-overdue".into(),
                text: format!(
                    "The attestation by {} for {} was due for review on {} ({}).",
                    a.owner,
                    a.requirements.join(", "),
                    format_date(a.next_review),
                    a.source
                ),
                requirements: covered,
            });
        }
    }
    items
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.extend(chars);
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}
