//! The kubepci rule catalogue.
//!
//! Every rule is one file under `rules/<area>/`: a unit struct declared with
//! [`declare_rule!`](crate::declare_rule) (stable `KPnnnn` ID, kebab-case name, severity,
//! target, PCI DSS v4.0.1 references, documentation with rationale, remediation and a failing
//! and a passing example) plus an `impl Rule` with the check. [`registry::RULES`] is the one
//! list of rules.
//!
//! Rules are pure: no I/O, no async, no global state. They read an [`Inventory`] and report
//! [`Finding`](kubepci_model::Finding)s through a [`Context`].

#[macro_use]
mod macros;

mod certmanager;
mod content;
mod context;
mod credentials;
mod date;
pub mod docgen;
mod docs;
pub mod duration;
pub mod inventory;
pub mod loaded;
mod meta;
/// Card-number detection, from `kubepci-pan` (shared with the audit detection rules).
pub use kubepci_pan as pan;
pub mod pci;
pub mod registry;
mod rules;
pub mod settings;
pub mod signatures;
mod support;
pub mod x509;

pub use context::{Context, NetworkRef, Shared};
pub use date::Day;
pub use docs::RuleDocs;
pub use kubepci_k8s::Inventory;
pub use loaded::{LoadedMeta, RuleRef};
pub use meta::{Admission, Rule, RuleMeta, Tag, Target};
pub use registry::{RULES, find, run_rule, run_rule_on, run_rule_shared};
pub use settings::{SECURITY_LEVEL_LABEL, SegmentationSettings, Settings};
