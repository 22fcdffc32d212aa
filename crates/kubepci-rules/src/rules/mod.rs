//! The rules, one file each, grouped by area.

pub(crate) mod pod_security;
pub(crate) mod workload;
// segmentation
pub(crate) mod isolation;
pub(crate) mod network;
// images, vulnerabilities, detection, RBAC and platform controls
pub(crate) mod access;
pub(crate) mod detection;
pub(crate) mod platform;
pub(crate) mod supply_chain;
// credentials, card data and transport
pub(crate) mod card_data;
pub(crate) mod credentials;
pub(crate) mod transport;

/// What every rule file needs.
pub(crate) mod prelude {
    pub(crate) use kubepci_k8s::{Object, PodTemplate};
    pub(crate) use kubepci_model::{JsonPointer, Node};

    pub(crate) use crate::{Context, Rule, RuleMeta, Target};
}
