//! Renderers for kubepci scan results.
//!
//! | format | for | module |
//! |---|---|---|
//! | `table` | people: findings grouped by file, then a summary by PCI DSS requirement | [`table`] |
//! | `json` | machines: the versioned `kubepci.scan/v1` document | [`json`] |
//! | `sarif` | code-scanning UIs: SARIF 2.1.0 with rule help and file regions | [`sarif`] |
//! | `junit` | CI test reports: one test case per rule × object | [`junit`] |
//! | `certs`, `certs-json` | the certificate inventory (PCI DSS 4.2.1.1) instead of findings | [`certs`] |
//! | `policyreport` | dashboards: `wgpolicyk8s.io/v1alpha2` PolicyReports per namespace and a ClusterPolicyReport | [`policyreport`] |
//!
//! Every renderer is a pure function of the [`ScanReport`]; output order is the report's
//! (deterministic) order. Findings never carry secret values or card numbers (rules mask
//! them), and renderers print only what findings carry.

pub mod certs;
pub mod json;
pub mod junit;
pub mod policyreport;
pub mod sarif;
mod summary;
pub mod table;

pub use kubepci_engine::ScanReport;
pub use summary::{RequirementSummary, Summary, UNMAPPED};

use kubepci_model::Severity;

/// The output formats of `kubepci scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable, grouped, with a summary by PCI requirement.
    Table,
    /// The versioned JSON document.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// JUnit XML.
    Junit,
    /// The certificate inventory, for people.
    Certs,
    /// The certificate inventory as JSON (`kubepci.certs/v1`).
    CertsJson,
    /// `wgpolicyk8s.io/v1alpha2` PolicyReports and a ClusterPolicyReport, as a `v1` List.
    PolicyReport,
}

/// Options common to renderers.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Findings at or above this severity (and not waived) fail the scan.
    pub fail_on: Severity,
    /// Use ANSI colours (table only).
    pub color: bool,
    /// kubepci's version, for tool metadata.
    pub tool_version: &'static str,
}

/// Renders a report.
#[must_use]
pub fn render(report: &ScanReport, format: Format, options: &RenderOptions) -> String {
    match format {
        Format::Table => table::render(report, options),
        Format::Json => json::render(report, options),
        Format::Sarif => sarif::render(report, options),
        Format::Junit => junit::render(report, options),
        Format::Certs => certs::render(report, options),
        Format::CertsJson => certs::render_json(report, options),
        Format::PolicyReport => policyreport::render(report, options),
    }
}
