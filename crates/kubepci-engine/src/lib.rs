//! The kubepci engine: one entry point from inputs to an ordered list of findings.
//!
//! - [`Config`]: `kubepci.yaml` (namespace scopes, disabled rules, rule settings), parsed
//!   strictly: unknown keys are errors with file:line.
//! - [`WaiverRegister`]: the waiver register (PCI exceptions and compensating controls),
//!   validated (justification, approver, creation and expiry dates, expiry at most 365 days
//!   after creation) and applied: waived findings stay findings, marked with the waiver.
//! - [`load_policies`]: Gatekeeper ConstraintTemplates and ValidatingAdmissionPolicies
//!   (`--policies`, `policies:`), each constraint or binding a rule of the same engine.
//! - [`scan`]: loads the inputs in parallel (parsing only kinds some selected rule reads),
//!   indexes them, runs the selected rules in parallel and returns a [`ScanReport`] in a
//!   deterministic order.
//!
//! The engine does no network I/O and no async; it reads only the input files it is given.

pub mod admission;
mod config;
// Gatekeeper templates and ValidatingAdmissionPolicies
mod policies;
mod scan;
// segmentation
mod segmentation_config;
mod selection;
mod waivers;

pub use config::{Config, ConfigError, RawConfig, config_schema, load_config};
pub use kubepci_k8s::ScopeSource;
pub use kubepci_policy::Engine as PolicyEngine;
pub use policies::{LoadedPolicies, PolicyLoadError, load_policies};
pub use scan::{
    Input, LoadedInventory, Prepare, ScanOptions, ScanReport, load_inventory,
    load_inventory_inputs, scan, scan_inputs, scan_with,
};
pub use segmentation_config::RawSegmentation;
pub use selection::{RuleSelection, SelectionError};
pub use time::Date;
pub use waivers::{
    MAX_WAIVER_DAYS, WAIVER_ANNOTATION, Waiver, WaiverError, WaiverNote, WaiverRegister,
    parse_date, parse_waivers,
};
