//! kubepci's own PCI DSS rules, shipped in the binary (`rules/kubepci-pci.yaml`).

use crate::loader::{LoadError, RuleSet};

/// The name the built-in rules carry in errors and warnings.
pub const PCI_RULES_NAME: &str = "kubepci-pci.yaml (built in)";

/// The rules file.
pub const PCI_RULES: &str = include_str!("../rules/kubepci-pci.yaml");

/// A rule set holding the built-in rules, to which `--rules` files are then added.
///
/// # Errors
/// Never for the shipped file (a test loads it); the `Result` keeps callers honest.
pub fn with_pci_rules() -> Result<RuleSet, LoadError> {
    let mut set = RuleSet::new();
    set.load(PCI_RULES_NAME, PCI_RULES)?;
    Ok(set)
}
