//! Transmission of cardholder data (PCI DSS 4.2.1, 4.2.1.1): TLS on every ingress path, strong
//! protocol versions and ciphers, valid and well-managed certificates, mTLS in the mesh, and
//! no configuration injection into the ingress controller.

mod certificate_expiring;
mod certificate_host_mismatch;
mod certificate_renewal_ineffective;
mod certificate_weak_key;
mod gateway_http_listener_cde;
mod ingress_host_without_tls;
mod ingress_https_redirect_disabled;
mod ingress_nginx_snippet;
mod ingress_nginx_weak_tls_config;
mod ingress_weak_tls_annotation;
mod istio_cde_without_strict_mtls;
mod istio_mtls_not_strict;
mod self_signed_public_certificate;
mod tls_policy_allows_old_versions;

pub(crate) use certificate_expiring::CertificateExpiring;
pub(crate) use certificate_host_mismatch::CertificateHostMismatch;
pub(crate) use certificate_renewal_ineffective::CertificateRenewalIneffective;
pub(crate) use certificate_weak_key::CertificateWeakKey;
pub(crate) use gateway_http_listener_cde::GatewayHttpListenerCde;
pub(crate) use ingress_host_without_tls::IngressHostWithoutTls;
pub(crate) use ingress_https_redirect_disabled::IngressHttpsRedirectDisabled;
pub(crate) use ingress_nginx_snippet::IngressNginxSnippet;
pub(crate) use ingress_nginx_weak_tls_config::IngressNginxWeakTlsConfig;
pub(crate) use ingress_weak_tls_annotation::IngressWeakTlsAnnotation;
pub(crate) use istio_cde_without_strict_mtls::IstioCdeWithoutStrictMtls;
pub(crate) use istio_mtls_not_strict::IstioMtlsNotStrict;
pub(crate) use self_signed_public_certificate::SelfSignedPublicCertificate;
pub(crate) use tls_policy_allows_old_versions::TlsPolicyAllowsOldVersions;

use std::collections::HashSet;

use kubepci_k8s::{Inventory, Object, PodTemplate};
use kubepci_model::Node;

/// Protocol names that are not strong cryptography (SSL, TLS 1.0 and 1.1).
pub(crate) fn weak_protocols(list: &str) -> Vec<&str> {
    list.split([' ', ',', ':'])
        .map(str::trim)
        .filter(|p| {
            matches!(
                p.to_ascii_lowercase().as_str(),
                "sslv2" | "sslv3" | "tlsv1" | "tlsv1.0" | "tlsv1.1" | "tlsv1_0" | "tlsv1_1"
            )
        })
        .collect()
}

/// Cipher families that are not strong cryptography.
const WEAK_CIPHER_PARTS: &[&str] = &[
    "RC4", "DES", "3DES", "MD5", "NULL", "EXPORT", "EXP", "ANULL", "ENULL", "ADH", "AECDH", "IDEA",
    "SEED", "RC2", "LOW", "ANON",
];

/// The weak ciphers an OpenSSL cipher string (`HIGH:!aNULL:!MD5`) or an IANA cipher-suite list
/// (`TLS_RSA_WITH_3DES_EDE_CBC_SHA`) enables. Excluded entries (`!RC4`, `-DES`) do not count;
/// `ALL` and `DEFAULT` count unless RC4, DES and the null/export ciphers are excluded.
pub(crate) fn weak_ciphers(list: &str) -> Vec<String> {
    let tokens: Vec<&str> = list
        .split([':', ',', ' '])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    let excluded: HashSet<String> = tokens
        .iter()
        .filter_map(|t| t.strip_prefix('!').or_else(|| t.strip_prefix('-')))
        .map(str::to_ascii_uppercase)
        .collect();
    let mut weak = Vec::new();
    for token in &tokens {
        if token.starts_with(['!', '-']) {
            continue;
        }
        let upper = token.trim_start_matches('+').to_ascii_uppercase();
        let parts: Vec<&str> = upper.split(['-', '_', '+']).collect();
        let is_weak = parts
            .iter()
            .any(|p| WEAK_CIPHER_PARTS.contains(p) || p.starts_with("RC4") || p.starts_with("DES"))
            || upper.contains("3DES")
            || upper.contains("DES_CBC")
            || upper.contains("WITH_NULL")
            || upper.contains("_ANON_");
        let is_catch_all = matches!(upper.as_str(), "ALL" | "DEFAULT" | "COMPLEMENTOFALL");
        let catch_all_unsafe = is_catch_all
            && !(["RC4", "NULL"].iter().all(|x| excluded.contains(*x))
                && (excluded.contains("DES") || excluded.contains("3DES")));
        if (is_weak && !excluded.contains(&upper)) || catch_all_unsafe {
            weak.push((*token).to_owned());
        }
    }
    weak
}

/// The ConfigMaps that configure an ingress-nginx controller: those named by a controller's
/// `--configmap=NAMESPACE/NAME` argument, plus, by convention, ConfigMaps named
/// `ingress-nginx-controller` or `nginx-configuration` or labelled as ingress-nginx's
/// controller component.
pub(crate) fn ingress_nginx_configmaps(inventory: &Inventory) -> Vec<&Object> {
    let mut named: HashSet<(String, String)> = HashSet::new();
    for kind in ["Deployment", "DaemonSet", "StatefulSet", "Pod"] {
        for object in inventory.of_kind(kind) {
            let Some(pod) = PodTemplate::of(object) else {
                continue;
            };
            for container in pod.containers() {
                for field in ["args", "command"] {
                    for arg in container
                        .get(&[field])
                        .map(Node::items)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(Node::as_str)
                    {
                        if let Some(value) = arg.strip_prefix("--configmap=") {
                            let (ns, name) = value
                                .split_once('/')
                                .unwrap_or((object.namespace().unwrap_or_default(), value));
                            named.insert((ns.to_owned(), name.to_owned()));
                        }
                    }
                }
            }
        }
    }
    inventory
        .of_kind("ConfigMap")
        .filter(|cm| {
            named.contains(&(
                cm.namespace().unwrap_or_default().to_owned(),
                cm.name().to_owned(),
            )) || matches!(
                cm.name(),
                "ingress-nginx-controller" | "nginx-configuration"
            ) || (cm.label("app.kubernetes.io/name") == Some("ingress-nginx")
                && cm.label("app.kubernetes.io/component") == Some("controller"))
        })
        .collect()
}

/// Whether a host name is internal (cluster DNS, reserved or private suffixes) rather than a
/// public name.
pub(crate) fn is_internal_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host.parse::<std::net::IpAddr>().is_ok_and(|ip| match ip {
        std::net::IpAddr::V4(v4) => v4.is_private() || v4.is_loopback() || v4.is_link_local(),
        std::net::IpAddr::V6(v6) => v6.is_loopback(),
    }) || !host.contains('.')
        || [
            ".local",
            ".localhost",
            ".internal",
            ".svc",
            ".cluster.local",
            ".lan",
            ".home.arpa",
            ".test",
            ".invalid",
            ".corp",
            ".intranet",
        ]
        .iter()
        .any(|s| host.ends_with(s))
        || host.contains(".svc.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols() {
        assert_eq!(
            weak_protocols("TLSv1 TLSv1.1 TLSv1.2"),
            ["TLSv1", "TLSv1.1"]
        );
        assert!(weak_protocols("TLSv1.2 TLSv1.3").is_empty());
    }

    #[test]
    fn ciphers() {
        assert!(
            weak_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384").is_empty()
        );
        assert!(weak_ciphers("HIGH:!aNULL:!MD5").is_empty());
        assert_eq!(weak_ciphers("HIGH:RC4-SHA:!aNULL"), ["RC4-SHA"]);
        assert_eq!(weak_ciphers("ALL:!aNULL"), ["ALL"]);
        assert!(weak_ciphers("ALL:!RC4:!DES:!3DES:!NULL:!MD5").is_empty());
        assert_eq!(
            weak_ciphers("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
            ["TLS_RSA_WITH_3DES_EDE_CBC_SHA"]
        );
        assert_eq!(weak_ciphers("DES-CBC3-SHA"), ["DES-CBC3-SHA"]);
        assert_eq!(weak_ciphers("EXP-RC4-MD5"), ["EXP-RC4-MD5"]);
    }

    #[test]
    fn internal_hosts() {
        for h in [
            "api.payments.svc",
            "api.payments.svc.cluster.local",
            "localhost",
            "10.0.0.1",
            "db.internal",
        ] {
            assert!(is_internal_host(h), "{h}");
        }
        for h in ["pay.example.com", "203.0.113.10"] {
            assert!(!is_internal_host(h), "{h}");
        }
    }
}
