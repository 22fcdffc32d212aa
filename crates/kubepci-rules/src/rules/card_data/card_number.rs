use super::{PAN_KINDS, report_pans};
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Finds primary account numbers (PANs) in ConfigMaps, Secrets (`data` decoded,
    /// `stringData`), container env values, `command` and `args`, and annotations and labels:
    /// 13 to 19 digits, contiguous or printed in card layout (groups of four, or 4-6-5), that
    /// pass the Luhn check and start with a known issuer prefix (Visa, Mastercard including the
    /// 2-series, American Express, Discover, JCB, Diners Club, UnionPay, Maestro, Mir) at a
    /// length that issuer uses.
    ///
    /// Findings show only the masked form (first 6 and last 4 digits). Well-known test card
    /// numbers are KP3102's findings. Numbers glued to letters, hex digests, UUIDs, decimal
    /// fractions, dotted numbers, phone numbers (`+…`) and timestamps do not match.
    ///
    /// ## Why is this bad?
    /// A PAN in configuration is stored cardholder data outside any control that PCI DSS 3.5.1
    /// requires (it must be rendered unreadable wherever it is stored): it sits in Git, in
    /// etcd, in backups and in every `kubectl get` output. Finding it is the data-discovery
    /// step of A3.2.5, and 12.10.7 requires an incident response when PAN turns up where it
    /// is not expected.
    ///
    /// ## How to fix
    /// Remove the number, purge it from Git history and backups, and start the incident
    /// procedure of 12.10.7. Configuration that needs a card for testing uses a test number
    /// in a non-production environment.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: checkout-fixtures, namespace: payments}
    /// data:
    ///   customer.json: |
    ///     {"name": "J. Doe", "card": "4539 5787 6362 1486", "exp": "12/27"}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: checkout-fixtures, namespace: payments}
    /// data:
    ///   customer.json: |
    ///     {"name": "J. Doe", "card_token": "tok_1Nx2Ab3Cd4Ef", "exp": "12/27"}
    /// ```
    pub(crate) struct CardNumber {
        id: "KP3101",
        name: "card-number",
        summary: "Card number (PAN) stored in configuration",
        severity: Critical,
        target: Target::Kinds(PAN_KINDS),
        pci: ["3.5.1", "12.10.7", "A3.2.5", "3.4.1"],
        tags: [],
    }
}

impl Rule for CardNumber {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        report_pans(object, cx, false);
    }
}
