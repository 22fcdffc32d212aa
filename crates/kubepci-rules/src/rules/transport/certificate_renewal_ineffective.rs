use crate::certmanager::{DEFAULT_DURATION_SECS, is_certificate};
use crate::duration::parse_go_duration;
use crate::rules::prelude::*;
use crate::x509::secret_certificates;

const DAY: i64 = 24 * 3600;

declare_rule! {
    /// ## What it does
    /// Flags certificates that will not be renewed in time, or live too long:
    /// - cert-manager `Certificate`s whose `renewBefore` is not shorter than `duration`
    ///   (default 90 days), whose `renewBeforePercentage` is outside 1–99, or whose
    ///   `duration` exceeds the maximum lifetime (`maxCertificateLifetimeDays`, default 397
    ///   days). Without `renewBefore`, cert-manager renews at two thirds of the lifetime,
    ///   which passes.
    /// - leaf certificates in `kubernetes.io/tls` Secrets valid for longer than that maximum
    ///   (CA certificates are not judged).
    ///
    /// ## Why is this bad?
    /// A certificate that is never renewed in time expires in production (and the usual fix,
    /// a long-lived replacement, keeps a key in use for years). Short lifetimes with automatic
    /// renewal limit how long a stolen key is useful. PCI DSS 4.2.1 requires certificates used
    /// for PAN transmission to be valid, and 4.2.1.1 a maintained inventory of them.
    ///
    /// ## How to fix
    /// Let cert-manager manage the certificate with a `duration` of 90 days or less and a
    /// `renewBefore` well under it (or none).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: cert-manager.io/v1
    /// kind: Certificate
    /// metadata: {name: pay, namespace: payments}
    /// spec:
    ///   secretName: pay-tls
    ///   dnsNames: [pay.example.com]
    ///   issuerRef: {name: internal-ca, kind: ClusterIssuer}
    ///   duration: 2160h
    ///   renewBefore: 2400h
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
    ///   issuerRef: {name: internal-ca, kind: ClusterIssuer}
    ///   duration: 2160h
    ///   renewBefore: 720h
    /// ```
    pub(crate) struct CertificateRenewalIneffective {
        id: "KP4007",
        name: "certificate-renewal-ineffective",
        summary: "Certificate not renewed in time or valid too long",
        severity: Medium,
        target: Target::Kinds(&["Certificate", "Secret"]),
        pci: ["4.2.1", "4.2.1.1"],
        tags: [],
    }
}

impl Rule for CertificateRenewalIneffective {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        let max_days = i64::from(cx.settings.max_certificate_lifetime_days());
        if is_certificate(object) {
            let spec = object.root.get("spec");
            let field = |k: &str| spec.and_then(|s| s.get(k)).and_then(Node::scalar_text);
            let at = |k: &str| JsonPointer::root().key("spec").key(k);
            let duration = field("duration").and_then(|d| parse_go_duration(&d));
            let lifetime = duration.unwrap_or(DEFAULT_DURATION_SECS);
            if duration.is_some() && lifetime > max_days * DAY {
                cx.report(
                    at("duration"),
                    format!(
                        "duration of {} days exceeds the maximum certificate lifetime of {max_days} days",
                        lifetime / DAY
                    ),
                );
            }
            if let Some(before) = field("renewBefore").and_then(|r| parse_go_duration(&r))
                && before >= lifetime
            {
                cx.report(
                    at("renewBefore"),
                    format!(
                        "renewBefore ({}h) is not shorter than the certificate's duration ({}h): renewal would start at issuance",
                        before / 3600,
                        lifetime / 3600
                    ),
                );
            }
            if let Some(p) = spec
                .and_then(|s| s.get("renewBeforePercentage"))
                .and_then(Node::as_i64)
                && !(1..=99).contains(&p)
            {
                cx.report(
                    at("renewBeforePercentage"),
                    format!("renewBeforePercentage {p} is outside 1–99: the certificate is not renewed before it expires"),
                );
            }
            return;
        }
        if object.kind() != "Secret" {
            return;
        }
        let (certs, pointer) = secret_certificates(object);
        if let Some(leaf) = certs.first()
            && !leaf.is_ca
        {
            let days = (leaf.not_after - leaf.not_before).whole_days();
            if days > max_days {
                cx.report(
                    pointer,
                    format!(
                        "certificate `{}` is valid for {days} days, more than the maximum of {max_days}",
                        leaf.subject
                    ),
                );
            }
        }
    }
}
