use super::{PAN_KINDS, report_pans};
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Finds well-known test card numbers (the card networks' and payment gateways' published
    /// test cards, such as Visa `411111…1111` and `424242…4242`, Mastercard `555555…4444`,
    /// American Express `378282…0005`) and
    /// obviously synthetic ones (three different digits or fewer) in the same places as
    /// KP3101: ConfigMaps, Secrets, env values, `command`, `args`, annotations and labels.
    /// Findings show only the masked form.
    ///
    /// ## Why is this bad?
    /// A test number cannot be charged, so this is not stored cardholder data. It still means
    /// that test data or a test payment path is deployed: PCI DSS 6.5.6 requires test data and
    /// accounts to be removed before production, and a real PAN is often not far from the
    /// test ones in the same file.
    ///
    /// ## How to fix
    /// Keep test fixtures out of production manifests; in test environments waive the rule
    /// for the namespace with a justification.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: checkout}}
    ///   template:
    ///     metadata: {labels: {app: checkout}}
    ///     spec:
    ///       containers:
    ///         - name: checkout
    ///           image: registry.example.com/checkout:3.2.0
    ///           env:
    ///             - {name: SMOKE_TEST_CARD, value: "4111 1111 1111 1111"}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: checkout, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: checkout}}
    ///   template:
    ///     metadata: {labels: {app: checkout}}
    ///     spec:
    ///       containers:
    ///         - name: checkout
    ///           image: registry.example.com/checkout:3.2.0
    /// ```
    pub(crate) struct TestCardNumber {
        id: "KP3102",
        name: "test-card-number",
        summary: "Well-known test card number in configuration",
        severity: Low,
        target: Target::Kinds(PAN_KINDS),
        pci: ["6.5.6", "3.5.1"],
        tags: [],
    }
}

impl Rule for TestCardNumber {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        report_pans(object, cx, true);
    }
}
