//! Generated documentation: `docs/rules/<ID>.md` for every rule and `docs/rules/README.md`,
//! the catalogue by PCI requirement. A test fails when the committed files are stale.

use std::fmt::Write as _;

use crate::{Admission, RULES, Rule, Target, pci};

/// `(file name, contents)` of every generated file under `docs/rules/`.
#[must_use]
pub fn rule_docs() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = RULES
        .iter()
        .map(|r| (format!("{}.md", r.meta().id), rule_page(*r)))
        .collect();
    files.push(("README.md".to_owned(), index_page()));
    files
}

/// One rule's page.
#[must_use]
pub fn rule_page(rule: &dyn Rule) -> String {
    let meta = rule.meta();
    let docs = meta.parsed_docs();
    let mut out = String::new();
    let _ = writeln!(out, "# {} `{}`: {}\n", meta.id, meta.name, meta.summary);
    let _ = writeln!(
        out,
        "<!-- generated from the rule's source; do not edit -->\n"
    );
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| Severity | {} |", meta.severity);
    let _ = writeln!(out, "| Applies to | {} |", describe_target(&meta.target));
    let _ = writeln!(
        out,
        "| At admission | {} |",
        describe_admission(meta.admission)
    );
    let pci_refs: Vec<String> = meta
        .pci
        .iter()
        .map(|id| match pci::requirement(id) {
            Some(r) => format!("{id} ({})", r.title),
            None => (*id).to_owned(),
        })
        .collect();
    let _ = writeln!(
        out,
        "| PCI DSS v{} | {} |",
        pci::PCI_DSS_VERSION,
        pci_refs.join("; ")
    );
    if !meta.tags.is_empty() {
        let tags: Vec<&str> = meta.tags.iter().map(|t| t.as_str()).collect();
        let _ = writeln!(out, "| Tags | {} |", tags.join(", "));
    }
    let _ = writeln!(out);
    out.push_str(docs.markdown.trim());
    out.push('\n');
    out
}

/// How a target reads in docs.
#[must_use]
pub fn describe_target(target: &Target) -> String {
    match target {
        Target::PodTemplates => "pod templates: Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob".to_owned(),
        Target::Kinds(kinds) => kinds.join(", "),
        Target::Inventory(kinds) => format!("the whole input (reads {})", kinds.join(", ")),
    }
}

/// How a rule's admission mode reads in docs.
#[must_use]
pub fn describe_admission(admission: Admission) -> &'static str {
    match admission {
        Admission::Object => "evaluated on the admitted object",
        Admission::Namespace => {
            "evaluated on the admitted object, with the context's objects of its namespace and the cluster-scoped ones"
        }
        Admission::Cluster => "evaluated on the admitted object, with every object of the context",
        Admission::ScanOnly => {
            "scan only: it judges the cluster as a whole, which no single request can pass or fail"
        }
    }
}

/// The catalogue index: every rule, then rules by PCI requirement.
#[must_use]
pub fn index_page() -> String {
    let mut out = String::from(
        "# Rule catalogue\n\n<!-- generated from the rules' sources; do not edit -->\n\n",
    );
    let _ = writeln!(
        out,
        "{} rules. `kubepci rules` lists them; `kubepci rules explain ID` prints one.\n",
        RULES.len()
    );
    let _ = writeln!(
        out,
        "| ID | Name | Severity | PCI DSS v{} | Admission | Summary |\n|---|---|---|---|---|---|",
        pci::PCI_DSS_VERSION
    );
    for rule in RULES {
        let m = rule.meta();
        let _ = writeln!(
            out,
            "| [{id}]({id}.md) | `{}` | {} | {} | {} | {} |",
            m.name,
            m.severity,
            m.pci.join(", "),
            m.admission.as_str(),
            m.summary,
            id = m.id
        );
    }
    let _ = writeln!(
        out,
        "\n## By PCI DSS requirement\n\n| Requirement | Rules |\n|---|---|"
    );
    for req in pci::requirements() {
        let ids: Vec<&str> = RULES
            .iter()
            .filter(|r| r.meta().pci.contains(&req.id))
            .map(|r| r.meta().id)
            .collect();
        if !ids.is_empty() {
            let _ = writeln!(out, "| {} {} | {} |", req.id, req.title, ids.join(", "));
        }
    }
    out
}
