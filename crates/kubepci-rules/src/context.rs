//! What a rule sees while it runs, and how it reports.

use kubepci_k8s::{Inventory, Object};
use kubepci_model::{Finding, JsonPointer, Scope};

use crate::{RuleMeta, Settings};

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

    /// Reports a finding on any object of the inventory.
    pub fn report_on(&mut self, object: &Object, pointer: JsonPointer, message: impl Into<String>) {
        let location = object.location(&pointer);
        self.findings.push(Finding {
            rule_id: self.meta.id,
            severity: self.meta.severity,
            object: object.id.clone(),
            pointer,
            location: Some(location),
            message: message.into(),
            scope: self.inventory.scope_of(object),
            waiver: None,
        });
    }
}
