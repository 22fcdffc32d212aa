//! The certificate inventory (PCI DSS 4.2.1.1): every certificate, issuer and trust anchor the
//! input shows, with its hosts, Secret, issuer, key and validity.
//!
//! [`certificates`] is a pure function of the [`Inventory`]: it reads cert-manager
//! `Certificate`s, `Issuer`s and `ClusterIssuer`s, `kubernetes.io/tls` Secrets (parsing the
//! PEM certificate they carry), the `tls` sections of Ingresses, the certificate references of
//! Gateway listeners and the CA bundles of admission webhooks and API services. Private keys
//! are never read.

use std::collections::{BTreeMap, BTreeSet};

use kubepci_k8s::{Inventory, Object};
use kubepci_model::{JsonPointer, Location, Node, ObjectRef};
use serde::Serialize;

use crate::certmanager;
use crate::x509::{self, CertificateInfo, KeyInfo};

/// The kinds [`certificates`] reads (a scan must load them for the inventory to be complete).
pub const CERTIFICATE_KINDS: &[&str] = &[
    "Certificate",
    "Issuer",
    "ClusterIssuer",
    "Secret",
    "Ingress",
    "Gateway",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
];

/// What an inventory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A TLS certificate: a cert-manager Certificate, a `kubernetes.io/tls` Secret, or both.
    Certificate,
    /// A Secret named by an Ingress or Gateway that is not in the input.
    Reference,
    /// A cert-manager Issuer or ClusterIssuer.
    Issuer,
    /// A CA bundle trusted by a webhook or API service.
    CaBundle,
}

/// One row of the certificate inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateEntry {
    /// What the row is.
    pub kind: EntryKind,
    /// The object that declares it (the Certificate, else the Secret, Ingress, Issuer or
    /// webhook configuration).
    pub object: ObjectRef,
    /// Where that object is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The Secret holding the certificate (and key), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Host names and addresses the certificate is for (SANs, `dnsNames`, Ingress hosts).
    pub hosts: Vec<String>,
    /// Who issues it: a cert-manager issuer (`ClusterIssuer/letsencrypt`) or the issuer's
    /// distinguished name from the certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The subject's distinguished name, when the certificate itself is in the input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Key algorithm and size (from the certificate, else as requested).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyInfo>,
    /// Start of validity (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// End of validity (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    /// How renewal is arranged (`cert-manager, renewBefore 720h`, `manual`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal: Option<String>,
    /// Objects that serve or trust it (`Ingress payments/checkout`).
    pub used_by: Vec<String>,
}

impl CertificateEntry {
    fn new(kind: EntryKind, object: &Object) -> Self {
        Self {
            kind,
            object: object.id.clone(),
            location: Some(object.location(&JsonPointer::root().key("metadata"))),
            secret: None,
            hosts: Vec::new(),
            issuer: None,
            subject: None,
            key: None,
            not_before: None,
            not_after: None,
            renewal: None,
            used_by: Vec::new(),
        }
    }

    fn apply_certificate(&mut self, cert: &CertificateInfo) {
        for san in &cert.sans {
            if !self.hosts.contains(san) {
                self.hosts.push(san.clone());
            }
        }
        self.subject = Some(cert.subject.clone());
        if self.issuer.is_none() {
            self.issuer = Some(cert.issuer.clone());
        }
        self.key = Some(cert.key.clone());
        self.not_before = Some(certmanager::rfc3339(cert.not_before));
        self.not_after = Some(certmanager::rfc3339(cert.not_after));
    }
}

/// Who serves which Secret: `(namespace, secret)` → users, and the hosts they serve it for.
#[derive(Default)]
struct Usage {
    users: BTreeMap<(String, String), BTreeSet<String>>,
    hosts: BTreeMap<(String, String), BTreeSet<String>>,
    /// A representative referencing object per Secret, for references to absent Secrets.
    first: BTreeMap<(String, String), usize>,
}

fn usage(inventory: &Inventory) -> Usage {
    let mut u = Usage::default();
    for (i, ingress) in inventory.objects().iter().enumerate() {
        let ns = ingress.namespace().unwrap_or_default().to_owned();
        let who = format!("{}", ingress.id);
        match ingress.kind() {
            "Ingress" => {
                for tls in ingress
                    .root
                    .path(&["spec", "tls"])
                    .map(Node::items)
                    .unwrap_or_default()
                {
                    let Some(secret) = tls.get("secretName").and_then(Node::as_str) else {
                        continue;
                    };
                    let key = (ns.clone(), secret.to_owned());
                    u.users.entry(key.clone()).or_default().insert(who.clone());
                    u.first.entry(key.clone()).or_insert(i);
                    let hosts = u.hosts.entry(key).or_default();
                    for h in tls.get("hosts").map(Node::items).unwrap_or_default() {
                        if let Some(h) = h.as_str() {
                            hosts.insert(h.to_owned());
                        }
                    }
                }
            }
            "Gateway" => {
                let listeners = ingress
                    .root
                    .path(&["spec", "listeners"])
                    .map(Node::items)
                    .unwrap_or_default();
                for l in listeners {
                    let refs = l
                        .path(&["tls", "certificateRefs"])
                        .map(Node::items)
                        .unwrap_or_default();
                    for r in refs {
                        let kind = r.get("kind").and_then(Node::as_str).unwrap_or("Secret");
                        let Some(name) = r.get("name").and_then(Node::as_str) else {
                            continue;
                        };
                        if kind != "Secret" {
                            continue;
                        }
                        let rns = r.get("namespace").and_then(Node::as_str).unwrap_or(&ns);
                        let key = (rns.to_owned(), name.to_owned());
                        u.users.entry(key.clone()).or_default().insert(who.clone());
                        u.first.entry(key.clone()).or_insert(i);
                        if let Some(h) = l.get("hostname").and_then(Node::as_str) {
                            u.hosts.entry(key).or_default().insert(h.to_owned());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    u
}

/// The certificate inventory of the input, in a deterministic order (kind, namespace, name).
#[must_use]
pub fn certificates(inventory: &Inventory) -> Vec<CertificateEntry> {
    let usage = usage(inventory);
    let mut out: Vec<CertificateEntry> = Vec::new();
    // (namespace, secret) → index of the entry that covers it.
    let mut by_secret: BTreeMap<(String, String), usize> = BTreeMap::new();

    for cert in inventory
        .of_kind("Certificate")
        .filter(|o| certmanager::is_certificate(o))
    {
        let mut e = CertificateEntry::new(EntryKind::Certificate, cert);
        e.hosts = certmanager::requested_names(cert);
        e.issuer = certmanager::issuer_ref(cert).map(|(k, n)| format!("{k}/{n}"));
        e.key = Some(certmanager::requested_key(cert).0);
        e.not_before = certmanager::status_time(cert, "notBefore").map(certmanager::rfc3339);
        e.not_after = certmanager::status_time(cert, "notAfter").map(certmanager::rfc3339);
        let renew = cert
            .root
            .path(&["spec", "renewBefore"])
            .and_then(Node::scalar_text)
            .map(|r| format!("cert-manager, renewBefore {r}"))
            .or_else(|| {
                cert.root
                    .path(&["spec", "renewBeforePercentage"])
                    .and_then(Node::scalar_text)
                    .map(|p| format!("cert-manager, renewBeforePercentage {p}"))
            })
            .unwrap_or_else(|| "cert-manager, at 2/3 of the lifetime".to_owned());
        e.renewal = Some(renew);
        if let Some(secret) = certmanager::secret_name(cert) {
            e.secret = Some(secret.to_owned());
            let key = (
                cert.namespace().unwrap_or_default().to_owned(),
                secret.to_owned(),
            );
            by_secret.insert(key, out.len());
        }
        out.push(e);
    }

    for secret in inventory.of_kind("Secret") {
        let (certs, _) = x509::secret_certificates(secret);
        let is_tls = secret.root.get("type").and_then(Node::as_str) == Some("kubernetes.io/tls");
        if certs.is_empty() && !is_tls {
            continue;
        }
        let key = (
            secret.namespace().unwrap_or_default().to_owned(),
            secret.name().to_owned(),
        );
        let index = match by_secret.get(&key) {
            Some(&i) => i,
            None => {
                let mut e = CertificateEntry::new(EntryKind::Certificate, secret);
                e.secret = Some(secret.name().to_owned());
                e.renewal = Some(
                    match secret.annotation("cert-manager.io/certificate-name") {
                        Some(name) => format!("cert-manager (Certificate {name})"),
                        None => "manual".to_owned(),
                    },
                );
                if let Some(issuer) = secret.annotation("cert-manager.io/issuer-name") {
                    let kind = secret
                        .annotation("cert-manager.io/issuer-kind")
                        .unwrap_or("Issuer");
                    e.issuer = Some(format!("{kind}/{issuer}"));
                }
                out.push(e);
                by_secret.insert(key, out.len() - 1);
                out.len() - 1
            }
        };
        if let Some(leaf) = certs.first() {
            out[index].apply_certificate(leaf);
        }
    }

    // Secrets served by Ingresses and Gateways that the input does not hold.
    for (key, first) in &usage.first {
        if by_secret.contains_key(key) {
            continue;
        }
        let object = &inventory.objects()[*first];
        let mut e = CertificateEntry::new(EntryKind::Reference, object);
        e.secret = Some(key.1.clone());
        e.renewal = object
            .annotation("cert-manager.io/cluster-issuer")
            .map(|i| format!("cert-manager ingress-shim, ClusterIssuer/{i}"))
            .or_else(|| {
                object
                    .annotation("cert-manager.io/issuer")
                    .map(|i| format!("cert-manager ingress-shim, Issuer/{i}"))
            });
        e.issuer = e
            .renewal
            .as_deref()
            .and_then(|r| r.rsplit(", ").next())
            .map(str::to_owned);
        out.push(e);
        by_secret.insert(key.clone(), out.len() - 1);
    }

    for (key, &index) in &by_secret {
        if let Some(users) = usage.users.get(key) {
            out[index].used_by = users.iter().cloned().collect();
        }
        if let Some(hosts) = usage.hosts.get(key) {
            for h in hosts {
                if !out[index].hosts.contains(h) {
                    out[index].hosts.push(h.clone());
                }
            }
        }
    }

    for kind in ["ClusterIssuer", "Issuer"] {
        for issuer in inventory
            .of_kind(kind)
            .filter(|o| certmanager::is_issuer(o))
        {
            let mut e = CertificateEntry::new(EntryKind::Issuer, issuer);
            let (what, detail) = certmanager::issuer_type(issuer);
            e.issuer = Some(match &detail {
                Some(d) if what != "CA" => format!("{what} {d}"),
                _ => what.clone(),
            });
            if what == "CA" {
                e.secret = detail;
                if let Some(secret) = e.secret.as_deref().and_then(|s| {
                    // A ClusterIssuer's CA Secret lives in cert-manager's namespace; match by name.
                    inventory.of_kind("Secret").find(|o| {
                        o.name() == s
                            && (kind == "ClusterIssuer" || o.namespace() == issuer.namespace())
                    })
                }) && let Some(ca) = x509::secret_certificates(secret).0.first()
                {
                    e.subject = Some(ca.subject.clone());
                    e.key = Some(ca.key.clone());
                    e.not_before = Some(certmanager::rfc3339(ca.not_before));
                    e.not_after = Some(certmanager::rfc3339(ca.not_after));
                }
            }
            out.push(e);
        }
    }

    for kind in [
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "APIService",
    ] {
        for object in inventory.of_kind(kind) {
            let bundles: Vec<&str> = if kind == "APIService" {
                object
                    .root
                    .path(&["spec", "caBundle"])
                    .and_then(Node::as_str)
                    .into_iter()
                    .collect()
            } else {
                object
                    .root
                    .get("webhooks")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|w| w.path(&["clientConfig", "caBundle"]).and_then(Node::as_str))
                    .collect()
            };
            let mut seen = BTreeSet::new();
            for bundle in bundles {
                if !seen.insert(bundle) {
                    continue;
                }
                let Some(bytes) = crate::content::decode_base64(bundle) else {
                    continue;
                };
                for ca in x509::parse_pem_certificates(&bytes) {
                    let mut e = CertificateEntry::new(EntryKind::CaBundle, object);
                    e.apply_certificate(&ca);
                    e.used_by = vec![format!("{}", object.id)];
                    out.push(e);
                }
            }
        }
    }

    out.sort_by(|a, b| {
        (
            a.kind,
            &a.object.namespace,
            &a.object.name,
            &a.secret,
            &a.not_after,
        )
            .cmp(&(
                b.kind,
                &b.object.namespace,
                &b.object.name,
                &b.secret,
                &b.not_after,
            ))
    });
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use kubepci_k8s::{KindFilter, load};

    use super::*;
    use crate::x509::tests::cert_file;

    fn b64(bytes: &[u8]) -> String {
        data_encoding::BASE64.encode(bytes)
    }

    #[test]
    fn lists_certificates_secrets_references_issuers_and_bundles() {
        let good = b64(&cert_file("good-ecdsa.pem"));
        let text = format!(
            "apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {{name: letsencrypt}}
spec:
  acme: {{server: https://acme-v02.api.letsencrypt.org/directory}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {{name: pay, namespace: payments}}
spec:
  secretName: pay-tls
  dnsNames: [pay.example.com]
  issuerRef: {{name: letsencrypt, kind: ClusterIssuer}}
  privateKey: {{algorithm: ECDSA}}
status:
  notAfter: \"2026-08-01T00:00:00Z\"
---
apiVersion: v1
kind: Secret
metadata: {{name: pay-tls, namespace: payments}}
type: kubernetes.io/tls
data: {{tls.crt: {good}, tls.key: \"\"}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: checkout, namespace: payments}}
spec:
  tls:
    - {{hosts: [pay.example.com], secretName: pay-tls}}
    - {{hosts: [shop.example.com], secretName: shop-tls}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {{name: kubepci}}
webhooks:
  - name: validate.kubepci.io
    clientConfig: {{caBundle: {good}}}
"
        );
        let loaded = load("t.yaml", text.as_bytes(), &KindFilter::All, None);
        let inventory = Inventory::new(loaded.objects, &BTreeMap::new());
        let rows = certificates(&inventory);
        let summary: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{:?} {} secret={:?} hosts={:?} issuer={:?} key={:?} notAfter={:?} usedBy={:?}",
                    r.kind,
                    r.object,
                    r.secret,
                    r.hosts,
                    r.issuer,
                    r.key.as_ref().map(KeyInfo::describe),
                    r.not_after,
                    r.used_by
                )
            })
            .collect();
        insta::assert_snapshot!(summary.join("\n"));
    }
}
