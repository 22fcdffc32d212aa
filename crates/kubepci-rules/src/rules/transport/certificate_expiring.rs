use time::OffsetDateTime;

use crate::certmanager::{is_certificate, status_time};
use crate::rules::prelude::*;
use crate::x509::secret_certificates;

declare_rule! {
    /// ## What it does
    /// Flags certificates that have expired or expire soon, measured against the scan date
    /// (`--as-of`, default today): cert-manager `Certificate`s by `status.notAfter`, and the
    /// leaf certificate of `kubernetes.io/tls` Secrets by its validity. "Soon" is within
    /// `certificateExpiryWarningDays` (default 30) days. Without a scan date the rule does
    /// not run.
    ///
    /// ## Why is this bad?
    /// An expired certificate breaks TLS: clients fail, or get trained to click through
    /// warnings, or operators fall back to plain HTTP. A cert-manager Certificate that nears
    /// expiry was not renewed, so its renewal is failing. PCI DSS 4.2.1 requires the
    /// certificates that protect PAN in transit to be valid and not expired.
    ///
    /// ## How to fix
    /// Renew the certificate now; for cert-manager, find out why renewal fails
    /// (`kubectl describe certificate`, the CertificateRequest's events).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: cert-manager.io/v1
    /// kind: Certificate
    /// metadata: {name: pay, namespace: payments}
    /// spec:
    ///   secretName: pay-tls
    ///   dnsNames: [pay.example.com]
    ///   issuerRef: {name: letsencrypt, kind: ClusterIssuer}
    /// status:
    ///   notAfter: "2021-03-01T00:00:00Z"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: cert-manager.io/v1
    /// kind: Certificate
    /// metadata: {name: pay, namespace: payments}
    /// spec:
    ///   secretName: pay-tls
    ///   dnsNames: [pay.example.com]
    ///   issuerRef: {name: letsencrypt, kind: ClusterIssuer}
    /// status:
    ///   notAfter: "2099-03-01T00:00:00Z"
    /// ```
    pub(crate) struct CertificateExpiring {
        id: "KP4008",
        name: "certificate-expiring",
        summary: "Certificate expired or expiring soon",
        severity: High,
        target: Target::Kinds(&["Certificate", "Secret"]),
        pci: ["4.2.1", "4.2.1.1"],
        tags: [],
    }
}

/// The verdict on an expiry date, if it deserves one.
fn verdict(not_after: OffsetDateTime, cx: &Context<'_>) -> Option<String> {
    let today = cx.settings.as_of?;
    let expiry = not_after.date();
    let days = (expiry - today).whole_days();
    if days < 0 {
        Some(format!(
            "expired on {expiry} ({} days before the scan date)",
            -days
        ))
    } else if days <= i64::from(cx.settings.certificate_expiry_warning_days()) {
        Some(format!(
            "expires on {expiry}, {days} days after the scan date"
        ))
    } else {
        None
    }
}

impl Rule for CertificateExpiring {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if cx.settings.as_of.is_none() {
            return;
        }
        if is_certificate(object) {
            if let Some(not_after) = status_time(object, "notAfter")
                && let Some(v) = verdict(not_after, cx)
            {
                cx.report(
                    JsonPointer::root().key("status").key("notAfter"),
                    format!("Certificate {v}"),
                );
            }
            return;
        }
        if object.kind() != "Secret" {
            return;
        }
        let (certs, pointer) = secret_certificates(object);
        if let Some(leaf) = certs.first()
            && let Some(v) = verdict(leaf.not_after, cx)
        {
            cx.report(pointer, format!("certificate `{}` {v}", leaf.subject));
        }
    }
}
