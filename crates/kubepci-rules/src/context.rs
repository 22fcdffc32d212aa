//! What a rule sees while it runs, and how it reports.

use std::sync::OnceLock;

use kubepci_k8s::{Inventory, Object};
use kubepci_model::{Finding, JsonPointer, Scope};

use crate::{RuleMeta, Settings};

// segmentation
/// Indexes over the whole input that several cross-resource rules read, built at most once
/// per scan and shared by the rules (which run in parallel). Create one per inventory and
/// pass it to [`crate::run_rule_shared`].
#[derive(Debug, Default)]
pub struct Shared<'a> {
    network: OnceLock<kubepci_netpol::Network<'a>>,
}

impl<'a> Shared<'a> {
    /// The input as a network (built on first use).
    pub fn network(
        &self,
        inventory: &'a Inventory,
        settings: &Settings,
    ) -> &kubepci_netpol::Network<'a> {
        self.network.get_or_init(|| {
            kubepci_netpol::Network::build(inventory, &settings.segmentation.network)
        })
    }
}

/// The network a rule reads: the scan's shared one, or one built for this run.
pub enum NetworkRef<'a> {
    /// Shared by the scan.
    Shared(&'a kubepci_netpol::Network<'a>),
    /// Built for this rule run (no [`Shared`] was given).
    Owned(Box<kubepci_netpol::Network<'a>>),
}

impl<'a> std::ops::Deref for NetworkRef<'a> {
    type Target = kubepci_netpol::Network<'a>;

    fn deref(&self) -> &Self::Target {
        match self {
            NetworkRef::Shared(net) => net,
            NetworkRef::Owned(net) => net,
        }
    }
}

/// The context of one rule run: the inventory, the settings, the object being checked (for
/// pod and object rules) and the sink for findings.
pub struct Context<'a> {
    /// The whole input.
    pub inventory: &'a Inventory,
    /// Rule parameters from configuration.
    pub settings: &'a Settings,
    meta: &'static RuleMeta,
    object: Option<&'a Object>,
    findings: &'a mut Vec<Finding>,
    // segmentation
    network: Option<&'a kubepci_netpol::Network<'a>>,
}

impl<'a> Context<'a> {
    /// A context for running `meta`'s rule on `object` (or on the whole inventory when `None`).
    pub fn new(
        inventory: &'a Inventory,
        settings: &'a Settings,
        meta: &'static RuleMeta,
        object: Option<&'a Object>,
        findings: &'a mut Vec<Finding>,
    ) -> Self {
        Self {
            inventory,
            settings,
            meta,
            object,
            findings,
            network: None,
        }
    }

    // segmentation
    /// The same context reading a network built once for the whole scan.
    #[must_use]
    pub fn with_network(mut self, network: Option<&'a kubepci_netpol::Network<'a>>) -> Self {
        self.network = network;
        self
    }

    /// The input as a network (NetworkPolicy semantics, exposures): the scan's shared one
    /// when the rule declares [`crate::Rule::uses_network`], else built now.
    #[must_use]
    pub fn network(&self) -> NetworkRef<'a> {
        match self.network {
            Some(net) => NetworkRef::Shared(net),
            None => NetworkRef::Owned(Box::new(kubepci_netpol::Network::build(
                self.inventory,
                &self.settings.segmentation.network,
            ))),
        }
    }

    /// The PCI scope of the object being checked (`cluster` when checking the inventory).
    #[must_use]
    pub fn scope(&self) -> Scope {
        self.object
            .map_or(Scope::Cluster, |o| self.inventory.scope_of(o))
    }

    /// Reports a finding on the object being checked, at `pointer`.
    pub fn report(&mut self, pointer: JsonPointer, message: impl Into<String>) {
        match self.object {
            Some(object) => self.report_on(object, pointer, message),
            None => debug_assert!(
                false,
                "{}: report() without an object; use report_on()",
                self.meta.id
            ),
        }
    }

    /// Reports a finding on the object being checked at a severity other than the rule's:
    /// for rules whose policy makes a failure a warning in some scopes (KP5009).
    pub fn report_at(
        &mut self,
        severity: kubepci_model::Severity,
        pointer: JsonPointer,
        message: impl Into<String>,
    ) {
        let before = self.findings.len();
        self.report(pointer, message);
        for finding in &mut self.findings[before..] {
            finding.severity = severity;
        }
    }

    /// Reports a finding on any object of the inventory.
    pub fn report_on(&mut self, object: &Object, pointer: JsonPointer, message: impl Into<String>) {
        let location = object.location(&pointer);
        self.findings.push(Finding {
            rule_id: self.meta.id,
            severity: self.meta.severity,
            object: object.id.clone(),
            pointer,
            location: Some(location),
            message: crate::pan::mask_all(message.into()),
            scope: self.inventory.scope_of(object),
            waiver: None,
        });
    }
}
