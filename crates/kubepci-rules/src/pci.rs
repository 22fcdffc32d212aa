//! The requirement model of PCI DSS v4.0.1: every principal requirement, section and
//! requirement down to the testable level, each requirement with how a Kubernetes platform
//! evidences it and why. It is the one table every rule reference and every report is checked
//! against (`data/pci-dss-4.0.1.tsv`, titles paraphrased, not the standard's text).
//!
//! The rules that give evidence for a requirement are not listed here: they are the rules whose
//! metadata names it ([`crate::RuleMeta::pci`]), so a rule added later (or a policy loaded at
//! run time) counts under its requirements without touching this table. The tests below keep
//! the two consistent: every automated or partial requirement has a rule, no rule names a
//! requirement the platform cannot evidence.

use std::sync::OnceLock;

use serde::Serialize;

/// The version every reference is to.
pub const PCI_DSS_VERSION: &str = "4.0.1";

const TABLE: &str = include_str!("../data/pci-dss-4.0.1.tsv");

/// How a Kubernetes platform evidences a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Classification {
    /// Rules decide it: in place when they ran and found nothing open.
    Automated,
    /// Rules check the technical part; the rest is attested.
    Partial,
    /// The platform supplies evidence, but a process or an external system meets it: attested.
    Supported,
    /// A process or a document only: attested.
    Manual,
    /// Outside a Kubernetes platform (physical, wireless, end-user devices, the payment
    /// application): assessed elsewhere.
    NotApplicable,
}

impl Classification {
    /// Every classification, in order.
    pub const ALL: [Classification; 5] = [
        Classification::Automated,
        Classification::Partial,
        Classification::Supported,
        Classification::Manual,
        Classification::NotApplicable,
    ];

    /// The kebab-case name used in the table, JSON and docs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Classification::Automated => "automated",
            Classification::Partial => "partial",
            Classification::Supported => "supported",
            Classification::Manual => "manual",
            Classification::NotApplicable => "not-applicable",
        }
    }

    /// Parses the table's name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Whether kubepci's rules decide (part of) the requirement.
    #[must_use]
    pub const fn needs_rules(self) -> bool {
        matches!(self, Classification::Automated | Classification::Partial)
    }

    /// Whether the requirement needs an attestation to be in place.
    #[must_use]
    pub const fn needs_attestation(self) -> bool {
        matches!(
            self,
            Classification::Partial | Classification::Supported | Classification::Manual
        )
    }
}

/// To which entities a requirement applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Every entity.
    All,
    /// Service providers only.
    ServiceProvider,
    /// Multi-tenant service providers only (Appendix A1).
    MultiTenantServiceProvider,
    /// Designated entities only (Appendix A3).
    DesignatedEntity,
}

impl Applicability {
    /// The table's short name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Applicability::All => "all",
            Applicability::ServiceProvider => "sp",
            Applicability::MultiTenantServiceProvider => "mtsp",
            Applicability::DesignatedEntity => "de",
        }
    }

    /// Parses the table's short name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        [
            Applicability::All,
            Applicability::ServiceProvider,
            Applicability::MultiTenantServiceProvider,
            Applicability::DesignatedEntity,
        ]
        .into_iter()
        .find(|a| a.as_str() == name)
    }
}

/// How a platform evidences one requirement, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Evidencing {
    /// Automated, partial, supported, manual or not applicable.
    pub classification: Classification,
    /// To which entities it applies.
    pub applies: Applicability,
    /// Why, and what kubepci checks or what must be attested.
    pub reason: &'static str,
}

/// One entry of PCI DSS v4.0.1: a principal requirement (`2`), a section (`2.2`) or a
/// requirement (`2.2.6`, `10.2.1.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// Its ID, e.g. `2.2.6` or `A1.1.1`.
    pub id: &'static str,
    /// A short paraphrased title.
    pub title: &'static str,
    /// For requirements (three levels and deeper): how a platform evidences it. Principal
    /// requirements and sections have none; their status is their requirements'.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidencing: Option<Evidencing>,
}

impl Requirement {
    /// The principal requirement it belongs to (`2` for `2.2.6`, `A1` for `A1.1.1`).
    #[must_use]
    pub fn principal(&self) -> &'static str {
        principal_of(self.id)
    }

    /// Whether it is a principal requirement (`1` … `12`, `A1` … `A3`).
    #[must_use]
    pub fn is_principal(&self) -> bool {
        !self.id.contains('.')
    }

    /// Whether it is a requirement with its own testing procedures (`n.m.k` and deeper), as
    /// opposed to a principal requirement or a section.
    #[must_use]
    pub fn is_requirement(&self) -> bool {
        self.evidencing.is_some()
    }

    /// Its classification, for requirements.
    #[must_use]
    pub fn classification(&self) -> Option<Classification> {
        self.evidencing.map(|e| e.classification)
    }
}

/// The principal requirement of an ID (`2` for `2.2.6`).
#[must_use]
pub fn principal_of(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

/// Whether `id` is `ancestor` or lies below it (`10.2.1.1` is below `10.2` and `10`).
#[must_use]
pub fn is_within(id: &str, ancestor: &str) -> bool {
    id == ancestor
        || id
            .strip_prefix(ancestor)
            .is_some_and(|rest| rest.starts_with('.'))
}

fn parse_line(line: &'static str) -> Option<Requirement> {
    let mut fields = line.split('\t');
    let id = fields.next()?;
    let title = fields.next()?;
    let evidencing = match (fields.next(), fields.next(), fields.next()) {
        (None, None, None) => None,
        (Some(class), Some(applies), Some(reason)) => Some(Evidencing {
            classification: Classification::parse(class)?,
            applies: Applicability::parse(applies)?,
            reason,
        }),
        _ => return None,
    };
    if fields.next().is_some() {
        return None;
    }
    Some(Requirement {
        id,
        title,
        evidencing,
    })
}

fn table_lines() -> impl Iterator<Item = &'static str> {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
}

/// Every entry, in the standard's order.
pub fn requirements() -> &'static [Requirement] {
    static PARSED: OnceLock<Vec<Requirement>> = OnceLock::new();
    PARSED.get_or_init(|| table_lines().filter_map(parse_line).collect())
}

/// The principal requirements (`1` … `12`, `A1` … `A3`), in order.
pub fn principals() -> impl Iterator<Item = &'static Requirement> {
    requirements().iter().filter(|r| r.is_principal())
}

/// Looks up one entry.
#[must_use]
pub fn requirement(id: &str) -> Option<&'static Requirement> {
    requirements().iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashSet};

    use super::*;

    #[test]
    fn every_line_of_the_table_parses() {
        for line in table_lines() {
            assert!(parse_line(line).is_some(), "malformed table line: {line:?}");
        }
        assert_eq!(table_lines().count(), requirements().len());
    }

    #[test]
    fn table_follows_the_v4_0_1_structure() {
        let reqs = requirements();
        assert!(reqs.len() > 300, "{}", reqs.len());
        let principal_ids: Vec<&str> = principals().map(|r| r.id).collect();
        assert_eq!(
            principal_ids,
            [
                "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "A1", "A2", "A3"
            ]
        );
        let mut seen = HashSet::new();
        for r in reqs {
            assert!(seen.insert(r.id), "duplicate {}", r.id);
            assert!(!r.title.is_empty(), "{} has no title", r.id);
            // Numeric parts only, below a principal of 1–12 or A1–A3.
            let mut parts = r.id.split('.');
            let principal = parts.next().unwrap_or_default();
            assert!(
                principal_ids.contains(&principal),
                "{}: unknown principal",
                r.id
            );
            for part in parts {
                assert!(
                    !part.is_empty()
                        && part.bytes().all(|b| b.is_ascii_digit())
                        && !part.starts_with('0'),
                    "{}: not a v4.0.1 number",
                    r.id
                );
            }
            // Every ID's parent is in the table before it, and numbering among siblings is
            // consecutive from 1 (1.2.1, 1.2.2, …).
            if let Some((parent, last)) = r.id.rsplit_once('.') {
                assert!(seen.contains(parent), "{} has no parent {parent}", r.id);
                let n: u32 = last.parse().unwrap_or(0);
                if n > 1 {
                    let previous = format!("{parent}.{}", n - 1);
                    assert!(
                        seen.contains(previous.as_str()),
                        "{} follows no {previous}",
                        r.id
                    );
                }
            }
            // Requirements (three levels and deeper) are classified; principals and sections
            // are not.
            assert_eq!(
                r.is_requirement(),
                r.id.split('.').count() >= 3,
                "{}: classification at the wrong level",
                r.id
            );
            if let Some(e) = r.evidencing {
                assert!(
                    e.reason.len() > 20 && e.reason.ends_with('.'),
                    "{}: the reason must be a sentence",
                    r.id
                );
            }
        }
        assert_eq!(requirement("10.5.1").map(|r| r.principal()), Some("10"));
        assert!(requirement("2.2.8").is_none());
        // Every principal requirement's processes are documented (n.1.1) and assigned (n.1.2).
        for n in 1..=12 {
            assert!(requirement(&format!("{n}.1.1")).is_some(), "{n}.1.1");
            assert!(requirement(&format!("{n}.1.2")).is_some(), "{n}.1.2");
        }
    }

    #[test]
    fn physical_security_is_outside_the_platform() {
        for r in requirements()
            .iter()
            .filter(|r| r.principal() == "9" && r.is_requirement())
        {
            assert_eq!(
                r.classification(),
                Some(Classification::NotApplicable),
                "{}",
                r.id
            );
        }
        // Appendix A2 (POI terminals) too; A1 and A3 apply to some entities only.
        for r in requirements()
            .iter()
            .filter(|r| r.is_requirement() && r.principal() != "9")
        {
            let applies = r.evidencing.map(|e| e.applies);
            match r.principal() {
                "A1" => assert_eq!(
                    applies,
                    Some(Applicability::MultiTenantServiceProvider),
                    "{}",
                    r.id
                ),
                "A3" => assert_eq!(applies, Some(Applicability::DesignatedEntity), "{}", r.id),
                "A2" => assert_eq!(
                    r.classification(),
                    Some(Classification::NotApplicable),
                    "{}",
                    r.id
                ),
                _ => {}
            }
        }
    }

    /// The consistency between the table and the catalogue: every PCI ID a rule names is a
    /// requirement the platform can evidence, and every automated or partial requirement has
    /// at least one rule behind it.
    #[test]
    fn table_and_rules_agree() {
        let mut referenced = BTreeSet::new();
        for rule in crate::RULES {
            let m = rule.meta();
            for id in m.pci {
                let r = requirement(id)
                    .unwrap_or_else(|| panic!("{}: `{id}` is not in the table", m.id));
                match r.classification() {
                    None => panic!("{}: `{id}` is a principal requirement or a section", m.id),
                    Some(Classification::NotApplicable) => panic!(
                        "{}: `{id}` is classified as outside the platform; reclassify it or the rule",
                        m.id
                    ),
                    Some(_) => {}
                }
                referenced.insert(*id);
            }
        }
        for r in requirements() {
            if r.classification().is_some_and(Classification::needs_rules) {
                assert!(
                    referenced.contains(r.id),
                    "{} is {} but no rule gives evidence for it",
                    r.id,
                    r.classification().map_or("", Classification::as_str)
                );
            }
        }
    }

    #[test]
    fn ancestry() {
        assert!(is_within("10.2.1.1", "10"));
        assert!(is_within("10.2.1.1", "10.2.1"));
        assert!(is_within("10.2", "10.2"));
        assert!(!is_within("10.2.1", "1"));
        assert!(!is_within("1.2", "1.2.1"));
    }
}
