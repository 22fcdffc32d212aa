use super::weak_ciphers;
use crate::rules::prelude::*;

fn old_version(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_uppercase().as_str(),
        "VERSIONTLS10"
            | "VERSIONTLS11"
            | "TLSV1_0"
            | "TLSV1_1"
            | "1.0"
            | "1.1"
            | "TLSV1"
            | "TLSV1.1"
    )
}

declare_rule! {
    /// ## What it does
    /// Flags TLS policies of proxies other than ingress-nginx that accept TLS 1.0 or 1.1 or
    /// enable weak cipher suites: Traefik `TLSOption` (`spec.minVersion`,
    /// `spec.cipherSuites`), Istio `Gateway` servers (`tls.minProtocolVersion`,
    /// `tls.cipherSuites`) and Envoy Gateway `ClientTrafficPolicy` (`spec.tls.minVersion`,
    /// `spec.tls.ciphers`).
    ///
    /// ## Why is this bad?
    /// TLS 1.0 and 1.1 and RC4, 3DES, export, NULL or anonymous suites are not strong
    /// cryptography (PCI DSS 4.2.1); 12.3.3 requires the protocols and cipher suites in use to
    /// be reviewed. An edge proxy that accepts them lets a client, or an attacker in the
    /// middle, negotiate them.
    ///
    /// ## How to fix
    /// Set the minimum version to TLS 1.2 (`VersionTLS12`, `TLSV1_2`, `"1.2"`) and list only
    /// ECDHE suites with AES-GCM or ChaCha20, or leave the proxy's strong default.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: traefik.io/v1alpha1
    /// kind: TLSOption
    /// metadata: {name: default, namespace: traefik}
    /// spec:
    ///   minVersion: VersionTLS10
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: traefik.io/v1alpha1
    /// kind: TLSOption
    /// metadata: {name: default, namespace: traefik}
    /// spec:
    ///   minVersion: VersionTLS12
    /// ```
    pub(crate) struct TlsPolicyAllowsOldVersions {
        id: "KP4005",
        name: "tls-policy-allows-old-versions",
        summary: "Proxy TLS policy accepts TLS 1.0/1.1 or weak ciphers",
        severity: High,
        target: Target::Kinds(&["TLSOption", "Gateway", "ClientTrafficPolicy"]),
        pci: ["4.2.1", "12.3.3"],
        tags: [],
    }
}

impl TlsPolicyAllowsOldVersions {
    fn check_fields(
        cx: &mut Context<'_>,
        node: Option<&Node>,
        base: &JsonPointer,
        version_key: &str,
        cipher_key: &str,
        what: &str,
    ) {
        let Some(node) = node else { return };
        if let Some(v) = node.get(version_key).and_then(Node::scalar_text)
            && old_version(&v)
        {
            cx.report(
                base.key(version_key),
                format!("{what} accepts {v}: TLS before 1.2 is not strong cryptography"),
            );
        }
        let ciphers: Vec<String> = node
            .get(cipher_key)
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .flat_map(weak_ciphers)
            .collect();
        if !ciphers.is_empty() {
            cx.report(
                base.key(cipher_key),
                format!("{what} enables weak cipher suites: {}", ciphers.join(", ")),
            );
        }
    }
}

impl Rule for TlsPolicyAllowsOldVersions {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        let spec = object.root.get("spec");
        let spec_ptr = JsonPointer::root().key("spec");
        match (object.kind(), object.group()) {
            ("TLSOption", "traefik.io" | "traefik.containo.us") => {
                Self::check_fields(
                    cx,
                    spec,
                    &spec_ptr,
                    "minVersion",
                    "cipherSuites",
                    "Traefik TLSOption",
                );
            }
            ("ClientTrafficPolicy", "gateway.envoyproxy.io") => {
                let tls = spec.and_then(|s| s.get("tls"));
                Self::check_fields(
                    cx,
                    tls,
                    &spec_ptr.key("tls"),
                    "minVersion",
                    "ciphers",
                    "Envoy Gateway ClientTrafficPolicy",
                );
            }
            ("Gateway", "networking.istio.io") => {
                let servers = spec
                    .and_then(|s| s.get("servers"))
                    .map(Node::items)
                    .unwrap_or_default();
                for (i, server) in servers.iter().enumerate() {
                    let base = spec_ptr.key("servers").index(i).key("tls");
                    Self::check_fields(
                        cx,
                        server.get("tls"),
                        &base,
                        "minProtocolVersion",
                        "cipherSuites",
                        &format!("Istio Gateway server {}", i + 1),
                    );
                }
            }
            _ => {}
        }
    }
}
