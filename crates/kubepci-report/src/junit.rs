//! JUnit XML: one test suite per rule, one test case per rule × object the rule applies to.
//! A test case fails when the rule has open findings on the object, is skipped (with the
//! waiver named) when all its findings are waived, and passes otherwise.

use std::collections::BTreeMap;

use kubepci_engine::ScanReport;
use kubepci_model::{Finding, ObjectRef};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::RenderOptions;

/// Renders JUnit XML.
#[must_use]
pub fn render(report: &ScanReport, _options: &RenderOptions) -> String {
    let mut by_rule_object: BTreeMap<(&str, &ObjectRef), Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_rule_object
            .entry((f.rule_id, &f.object))
            .or_default()
            .push(f);
    }
    let mut junit = Report::new("kubepci");
    for meta in &report.rules {
        let kinds = meta.target.kinds();
        let mut suite = TestSuite::new(format!("{} {}", meta.id, meta.name));
        let mut seen = std::collections::HashSet::new();
        // Objects the rule applies to, then any other object it reported on (cross-resource
        // rules may report on kinds they only read).
        let applicable = report
            .objects
            .iter()
            .filter(|o| kinds.contains(&o.kind.as_str()));
        let reported = report
            .findings
            .iter()
            .filter(|f| f.rule_id == meta.id)
            .map(|f| &f.object);
        for object in applicable.chain(reported) {
            if !seen.insert(object) {
                continue;
            }
            let findings = by_rule_object
                .get(&(meta.id, object))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let open: Vec<&&Finding> = findings.iter().filter(|f| !f.is_waived()).collect();
            let status = if !open.is_empty() {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_type(meta.severity.as_str());
                status.set_message(open[0].message.clone());
                let details: Vec<String> = open
                    .iter()
                    .map(|f| {
                        let at = f
                            .location
                            .as_ref()
                            .map_or_else(String::new, |l| format!("{l} "));
                        format!(
                            "{at}{}: {} [PCI {}]",
                            f.pointer,
                            f.message,
                            meta.pci.join(", ")
                        )
                    })
                    .collect();
                status.set_description(details.join("\n"));
                status
            } else if !findings.is_empty() {
                let mut status = TestCaseStatus::skipped();
                let ids: Vec<&str> = findings
                    .iter()
                    .filter_map(|f| f.waiver.as_ref().map(|w| w.id.as_str()))
                    .collect();
                status.set_message(format!("waived by {}", ids.join(", ")));
                status
            } else {
                TestCaseStatus::success()
            };
            let mut case = TestCase::new(object.to_string(), status);
            case.set_classname(meta.id);
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    junit.to_string().unwrap_or_default()
}
