//! Counts over a report, overall and by PCI DSS principal requirement.

use std::collections::BTreeMap;

use kubepci_engine::ScanReport;
use kubepci_model::Severity;
use kubepci_rules::pci;

/// Counts over a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// All findings, waived or not.
    pub total: usize,
    /// Findings not covered by a waiver.
    pub open: usize,
    /// Waived findings.
    pub waived: usize,
    /// Open findings by severity.
    pub by_severity: BTreeMap<Severity, usize>,
    /// Open findings at or above the failure threshold.
    pub failing: usize,
    /// Input errors.
    pub input_errors: usize,
    /// By principal requirement (`1` … `12`, `A1` …), in the standard's order.
    pub by_requirement: Vec<RequirementSummary>,
}

/// Counts for one principal requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequirementSummary {
    /// `1` … `12`.
    pub id: &'static str,
    /// Its short title.
    pub title: &'static str,
    /// Rules that ran and reference it.
    pub rules: usize,
    /// Open findings of those rules, by severity.
    pub open: BTreeMap<Severity, usize>,
    /// Waived findings of those rules.
    pub waived: usize,
}

/// The requirement row of rules mapped to no PCI DSS requirement (policies loaded without
/// a `kubepci.io/pci` annotation).
pub const UNMAPPED: &str = "unmapped";

fn principals<'a>(pci_refs: &[&'a str]) -> Vec<&'a str> {
    let mut p: Vec<&str> = pci_refs.iter().map(|id| pci::principal_of(id)).collect();
    p.dedup();
    p
}

impl Summary {
    /// Computes the summary of `report` with `fail_on` as threshold.
    #[must_use]
    pub fn of(report: &ScanReport, fail_on: Severity) -> Self {
        let mut by_severity = BTreeMap::new();
        let mut open = 0;
        let mut failing = 0;
        for f in report.findings.iter().filter(|f| !f.is_waived()) {
            open += 1;
            *by_severity.entry(f.severity).or_insert(0) += 1;
            if f.severity >= fail_on {
                failing += 1;
            }
        }
        let mut by_requirement = Vec::new();
        for req in pci::requirements().iter().filter(|r| !r.id.contains('.')) {
            let rules: Vec<&str> = report
                .rules
                .iter()
                .filter(|m| principals(m.pci).contains(&req.id))
                .map(|m| m.id)
                .collect();
            if rules.is_empty() {
                continue;
            }
            let mut entry = RequirementSummary {
                id: req.id,
                title: req.title,
                rules: rules.len(),
                open: BTreeMap::new(),
                waived: 0,
            };
            for f in report
                .findings
                .iter()
                .filter(|f| rules.contains(&f.rule_id))
            {
                if f.is_waived() {
                    entry.waived += 1;
                } else {
                    *entry.open.entry(f.severity).or_insert(0) += 1;
                }
            }
            by_requirement.push(entry);
        }
        // Loaded policies without a `kubepci.io/pci` annotation.
        let unmapped: Vec<&str> = report
            .rules
            .iter()
            .filter(|m| m.pci.is_empty())
            .map(|m| m.id)
            .collect();
        if !unmapped.is_empty() {
            let mut entry = RequirementSummary {
                id: UNMAPPED,
                title: "Not mapped to a PCI DSS requirement",
                rules: unmapped.len(),
                open: BTreeMap::new(),
                waived: 0,
            };
            for f in report
                .findings
                .iter()
                .filter(|f| unmapped.contains(&f.rule_id))
            {
                if f.is_waived() {
                    entry.waived += 1;
                } else {
                    *entry.open.entry(f.severity).or_insert(0) += 1;
                }
            }
            by_requirement.push(entry);
        }
        Summary {
            total: report.findings.len(),
            open,
            waived: report.findings.len() - open,
            by_severity,
            failing,
            input_errors: report.errors.len(),
            by_requirement,
        }
    }

    /// Whether the scan fails: open findings at or above the threshold.
    #[must_use]
    pub fn failed(&self) -> bool {
        self.failing > 0
    }
}
