//! The attestation register: who vouches for the requirements kubepci cannot decide alone.
//!
//! ```yaml
//! apiVersion: kubepci.io/v1alpha1
//! kind: AttestationRegister
//! entity:                               # decides which requirements apply
//!   type: service-provider              # or merchant
//!   multiTenant: false                  # Appendix A1
//!   designatedEntity: false             # Appendix A3
//! attestations:
//!   - requirements: ["1.1.1", "1.1.2"]  # requirements, sections or principal requirements
//!     owner: Priya Raman (Head of Network Engineering)
//!     date: 2026-10-01                  # when it was attested
//!     evidence: POL-NET-001 v4; RACI-PLAT-2026
//!     nextReview: 2027-10-01            # when it must be attested again
//!   - requirements: ["3.3.3"]
//!     owner: Dana Whitfield (CISO)
//!     date: 2026-10-01
//!     notApplicable: We are not an issuer and perform no issuing services.
//!     nextReview: 2027-10-01
//! ```
//!
//! An attestation naming a section or a principal requirement covers every requirement below
//! it; for each requirement the most specific attestation counts (then the latest). An
//! attestation is overdue once its `nextReview` date has passed on the report date, and does
//! not count before its `date`.

use std::collections::BTreeSet;

use kubepci_rules::pci;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;
use time::Date;

use crate::date::{format_date, parse_date};

/// A problem with the register, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct AttestationError {
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
    entity: Option<RawEntity>,
    #[serde(default)]
    attestations: Vec<Spanned<RawAttestation>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawEntity {
    #[serde(rename = "type")]
    kind: Spanned<String>,
    #[serde(default)]
    multi_tenant: bool,
    #[serde(default)]
    designated_entity: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawAttestation {
    requirements: Spanned<Vec<Spanned<String>>>,
    owner: Option<Spanned<String>>,
    date: Option<Spanned<String>>,
    #[serde(default)]
    evidence: Option<Spanned<String>>,
    next_review: Option<Spanned<String>>,
    #[serde(default)]
    not_applicable: Option<Spanned<String>>,
    #[serde(default)]
    notes: Option<String>,
}

/// The kind of entity being assessed, which decides the requirements that apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entity {
    /// A service provider (otherwise a merchant).
    pub service_provider: bool,
    /// A multi-tenant service provider (Appendix A1).
    pub multi_tenant: bool,
    /// A designated entity (Appendix A3).
    pub designated_entity: bool,
}

impl Entity {
    /// When the register declares no entity, every requirement is assessed.
    pub const UNDECLARED: Entity = Entity {
        service_provider: true,
        multi_tenant: true,
        designated_entity: true,
    };

    /// Whether requirements for `applies` apply to this entity.
    #[must_use]
    pub fn includes(&self, applies: pci::Applicability) -> bool {
        match applies {
            pci::Applicability::All => true,
            pci::Applicability::ServiceProvider => self.service_provider,
            pci::Applicability::MultiTenantServiceProvider => self.multi_tenant,
            pci::Applicability::DesignatedEntity => self.designated_entity,
        }
    }
}

/// One validated attestation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attestation {
    /// The requirements, sections or principal requirements it covers.
    pub requirements: Vec<String>,
    /// Who attests (a named person and role).
    pub owner: String,
    /// When it was attested.
    #[serde(serialize_with = "crate::date::serialize")]
    pub date: Date,
    /// The evidence reference (document ID, ticket, URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// When it must be attested again.
    #[serde(serialize_with = "crate::date::serialize")]
    pub next_review: Date,
    /// The justification when the owner attests that the requirement does not apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<String>,
    /// Free-text notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Where it is written (file:line).
    pub source: String,
}

/// The validated register.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AttestationRegister {
    /// The register file.
    pub file: String,
    /// The entity, when declared.
    pub entity: Option<Entity>,
    /// The attestations, in file order.
    pub attestations: Vec<Attestation>,
}

impl AttestationRegister {
    /// The attestation that counts for requirement `id`: the one naming the most specific
    /// enclosing ID, then the latest.
    #[must_use]
    pub fn for_requirement(&self, id: &str) -> Option<&Attestation> {
        self.attestations
            .iter()
            .filter_map(|a| {
                a.requirements
                    .iter()
                    .filter(|r| pci::is_within(id, r))
                    .map(|r| r.split('.').count())
                    .max()
                    .map(|depth| (depth, a.date, a))
            })
            .max_by_key(|(depth, date, _)| (*depth, *date))
            .map(|(_, _, a)| a)
    }
}

fn error_at<T>(file: &str, spanned: &Spanned<T>, message: String) -> AttestationError {
    AttestationError {
        file: file.to_owned(),
        line: u32::try_from(spanned.referenced.line()).unwrap_or(0),
        column: u32::try_from(spanned.referenced.column()).unwrap_or(0),
        message,
    }
}

/// Parses and validates an attestation register.
///
/// # Errors
/// Invalid YAML, unknown keys, an unknown requirement ID, a missing owner, date, next review
/// or evidence (evidence may be left out only for a not-applicable attestation), a next review
/// that is not after the attestation date, or an unknown entity type — each with file:line.
pub fn parse_attestations(file: &str, text: &str) -> Result<AttestationRegister, AttestationError> {
    let raw: RawRegister = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| {
            (
                u32::try_from(l.line()).unwrap_or(0),
                u32::try_from(l.column()).unwrap_or(0),
            )
        });
        AttestationError {
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
        return Err(error_at(
            file,
            v,
            format!(
                "unsupported apiVersion `{}` (expected kubepci.io/v1alpha1)",
                v.value
            ),
        ));
    }
    if let Some(k) = raw
        .kind
        .as_ref()
        .filter(|k| k.value != "AttestationRegister")
    {
        return Err(error_at(
            file,
            k,
            format!(
                "unexpected kind `{}` (expected AttestationRegister)",
                k.value
            ),
        ));
    }
    let entity = raw
        .entity
        .as_ref()
        .map(|e| {
            let service_provider = match e.kind.value.as_str() {
                "merchant" => false,
                "service-provider" => true,
                other => {
                    return Err(error_at(
                        file,
                        &e.kind,
                        format!("entity type `{other}` must be `merchant` or `service-provider`"),
                    ));
                }
            };
            if e.multi_tenant && !service_provider {
                return Err(error_at(
                    file,
                    &e.kind,
                    "a multi-tenant entity is a service provider".into(),
                ));
            }
            Ok(Entity {
                service_provider,
                multi_tenant: e.multi_tenant,
                designated_entity: e.designated_entity,
            })
        })
        .transpose()?;
    let mut attestations = Vec::new();
    for entry in &raw.attestations {
        let a = &entry.value;
        let line = entry.referenced.line();
        let required =
            |field: &Option<Spanned<String>>, name: &str| -> Result<String, AttestationError> {
                match field {
                    Some(v) if !v.value.trim().is_empty() => Ok(v.value.trim().to_owned()),
                    Some(v) => Err(error_at(file, v, format!("`{name}` is empty"))),
                    None => Err(error_at(file, entry, format!("`{name}` is required"))),
                }
            };
        let date =
            |field: &Option<Spanned<String>>, name: &str| -> Result<Date, AttestationError> {
                let text = required(field, name)?;
                parse_date(&text).ok_or_else(|| match field {
                    Some(f) => error_at(
                        file,
                        f,
                        format!("`{name}` must be a date YYYY-MM-DD, not `{text}`"),
                    ),
                    None => error_at(file, entry, format!("`{name}` is required")),
                })
            };
        if a.requirements.value.is_empty() {
            return Err(error_at(
                file,
                &a.requirements,
                "`requirements` is empty".into(),
            ));
        }
        let mut ids = BTreeSet::new();
        for id in &a.requirements.value {
            let text = id.value.trim();
            if pci::requirement(text).is_none() {
                return Err(error_at(
                    file,
                    id,
                    format!(
                        "`{text}` is not a PCI DSS v{} requirement",
                        pci::PCI_DSS_VERSION
                    ),
                ));
            }
            ids.insert(text.to_owned());
        }
        let owner = required(&a.owner, "owner")?;
        let attested = date(&a.date, "date")?;
        let next_review = date(&a.next_review, "nextReview")?;
        if next_review <= attested {
            let at = a.next_review.as_ref().map_or_else(
                || error_at(file, entry, String::new()),
                |n| error_at(file, n, String::new()),
            );
            return Err(AttestationError {
                message: format!(
                    "`nextReview` ({}) must be after `date` ({})",
                    format_date(next_review),
                    format_date(attested)
                ),
                ..at
            });
        }
        let not_applicable = a
            .not_applicable
            .as_ref()
            .map(|_| required(&a.not_applicable, "notApplicable"))
            .transpose()?;
        let evidence = match (&a.evidence, &not_applicable) {
            (None, Some(_)) => None,
            _ => Some(required(&a.evidence, "evidence")?),
        };
        attestations.push(Attestation {
            requirements: ids.into_iter().collect(),
            owner,
            date: attested,
            evidence,
            next_review,
            not_applicable,
            notes: a.notes.clone(),
            source: format!("{file}:{line}"),
        });
    }
    Ok(AttestationRegister {
        file: file.to_owned(),
        entity,
        attestations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTER: &str = "apiVersion: kubepci.io/v1alpha1
kind: AttestationRegister
entity: {type: merchant}
attestations:
  - requirements: ['12']
    owner: Dana Whitfield (CISO)
    date: 2026-01-10
    evidence: ISP-2026
    nextReview: 2027-01-10
  - requirements: ['12.1.2']
    owner: Sam Ortiz (GRC)
    date: 2025-11-01
    evidence: ISP review minutes
    nextReview: 2026-11-01
  - requirements: ['3.3.3']
    owner: Dana Whitfield (CISO)
    date: 2026-01-10
    notApplicable: Not an issuer.
    nextReview: 2027-01-10
";

    #[test]
    fn the_most_specific_attestation_counts() {
        let register = parse_attestations("a.yaml", REGISTER).expect("valid");
        assert_eq!(
            register.entity,
            Some(Entity {
                service_provider: false,
                multi_tenant: false,
                designated_entity: false
            })
        );
        let general = register.for_requirement("12.1.1").expect("covered by 12");
        assert_eq!(general.owner, "Dana Whitfield (CISO)");
        let specific = register.for_requirement("12.1.2").expect("named");
        assert_eq!(specific.owner, "Sam Ortiz (GRC)");
        assert!(register.for_requirement("1.1.1").is_none());
        let na = register.for_requirement("3.3.3").expect("named");
        assert_eq!(na.not_applicable.as_deref(), Some("Not an issuer."));
        assert_eq!(na.evidence, None);
        assert_eq!(general.source, "a.yaml:5");
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (
                "attestations:\n  - requirements: ['2.2.8']\n    owner: a\n    date: 2026-01-01\n    evidence: e\n    nextReview: 2027-01-01\n",
                2,
                "not a PCI DSS",
            ),
            (
                "attestations:\n  - requirements: ['2.2.1']\n    date: 2026-01-01\n    evidence: e\n    nextReview: 2027-01-01\n",
                2,
                "`owner` is required",
            ),
            (
                "attestations:\n  - requirements: ['2.2.1']\n    owner: a\n    date: 2026-01-01\n    nextReview: 2027-01-01\n",
                2,
                "`evidence` is required",
            ),
            (
                "attestations:\n  - requirements: ['2.2.1']\n    owner: a\n    date: 2026-01-01\n    evidence: e\n    nextReview: 2025-01-01\n",
                6,
                "must be after",
            ),
            (
                "attestations:\n  - requirements: ['2.2.1']\n    owner: a\n    date: 2026-13-01\n    evidence: e\n    nextReview: 2027-01-01\n",
                4,
                "must be a date",
            ),
            ("entity: {type: bank}\n", 1, "must be `merchant`"),
            (
                "attestations:\n  - requirements: ['2.2.1']\n    owner: a\n    signedBy: b\n",
                4,
                "unknown field",
            ),
        ];
        for (text, line, message) in cases {
            let err = parse_attestations("a.yaml", text).expect_err(text);
            assert_eq!(err.line, line, "{err}");
            assert!(err.message.contains(message), "{err}");
        }
    }
}
