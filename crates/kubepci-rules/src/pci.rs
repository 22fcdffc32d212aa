//! The table of valid PCI DSS v4.0.1 requirement IDs (with short paraphrased titles) that every
//! rule reference and report is checked against.

use std::sync::OnceLock;

/// The version every reference is to.
pub const PCI_DSS_VERSION: &str = "4.0.1";

const TABLE: &str = include_str!("../data/pci-dss-4.0.1.tsv");

/// One requirement (or section, or principal requirement) of PCI DSS v4.0.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Requirement {
    /// Its ID, e.g. `2.2.6` or `A1.1.1`.
    pub id: &'static str,
    /// A short paraphrased title.
    pub title: &'static str,
}

impl Requirement {
    /// The principal requirement it belongs to (`2` for `2.2.6`, `A1` for `A1.1.1`).
    #[must_use]
    pub fn principal(&self) -> &'static str {
        principal_of(self.id)
    }
}

/// The principal requirement of an ID (`2` for `2.2.6`).
#[must_use]
pub fn principal_of(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

/// Every requirement, in the standard's order.
pub fn requirements() -> &'static [Requirement] {
    static PARSED: OnceLock<Vec<Requirement>> = OnceLock::new();
    PARSED.get_or_init(|| {
        TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| l.split_once('\t'))
            .map(|(id, title)| Requirement { id, title })
            .collect()
    })
}

/// Looks up one requirement.
#[must_use]
pub fn requirement(id: &str) -> Option<&'static Requirement> {
    requirements().iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete_and_well_formed() {
        let reqs = requirements();
        assert!(reqs.len() > 300, "{}", reqs.len());
        for principal in [
            "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "A1", "A2", "A3",
        ] {
            assert!(requirement(principal).is_some(), "{principal}");
        }
        let mut seen = std::collections::HashSet::new();
        for r in reqs {
            assert!(seen.insert(r.id), "duplicate {}", r.id);
            assert!(!r.title.is_empty());
            // Every ID's parent is in the table before it.
            if let Some((parent, _)) = r.id.rsplit_once('.') {
                assert!(seen.contains(parent), "{} has no parent {parent}", r.id);
            }
        }
        assert_eq!(requirement("10.5.1").map(|r| r.principal()), Some("10"));
        assert!(requirement("2.2.8").is_none());
    }
}
