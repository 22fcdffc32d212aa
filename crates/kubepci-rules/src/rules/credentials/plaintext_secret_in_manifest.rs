use crate::content::{data_values, is_live_object};
use crate::credentials::{is_placeholder, private_key_block, words};
use crate::rules::prelude::*;

/// Last words of Secret keys that hold public or non-secret material.
const PUBLIC_KEY_WORDS: &[&str] = &[
    "user",
    "username",
    "login",
    "host",
    "hostname",
    "port",
    "database",
    "db",
    "dbname",
    "endpoint",
    "region",
    "bucket",
    "namespace",
    "email",
    "crt",
    "cert",
    "certificate",
    "ca",
    "bundle",
    "issuer",
    "audience",
    "scheme",
    "protocol",
    "driver",
    "url",
];

/// Whether a Docker config (`.dockerconfigjson`, `.dockercfg`) carries registry credentials.
fn docker_config_has_credentials(text: &str) -> bool {
    [
        "\"auth\"",
        "\"password\"",
        "\"identitytoken\"",
        "\"registrytoken\"",
    ]
    .iter()
    .any(|key| {
        text.match_indices(key).any(|(at, _)| {
            let rest = text[at + key.len()..].trim_start();
            rest.strip_prefix(':')
                .map(str::trim_start)
                .is_some_and(|v| v.starts_with('"') && !v.starts_with("\"\""))
        })
    })
}

/// Whether a Secret value is sensitive: not empty or a placeholder, not public material
/// (a certificate, a user name, a host), not an empty Docker config.
fn is_sensitive(key: &str, value: &str) -> bool {
    if key == ".dockerconfigjson" || key == ".dockercfg" {
        return docker_config_has_credentials(value);
    }
    // Structured values (JSON, YAML documents) are judged by content, not as placeholders.
    let structured = value.trim_start().starts_with(['{', '[']);
    if (!structured && is_placeholder(value)) || value.trim().is_empty() {
        return false;
    }
    if value.contains("-----BEGIN CERTIFICATE-----") && private_key_block(value).is_none() {
        return false;
    }
    let words = words(key);
    let last = words.last().map(String::as_str).unwrap_or_default();
    if PUBLIC_KEY_WORDS.contains(&last) {
        // A URL key is public only without a password in it.
        return last == "url" && crate::credentials::url_has_password(value);
    }
    true
}

declare_rule! {
    /// ## What it does
    /// Flags `Secret` objects written in manifests with sensitive values in `data` or
    /// `stringData`. It ignores Secrets read from a live cluster (they carry `uid` or
    /// `resourceVersion`), service-account token Secrets (the control plane fills them),
    /// empty and placeholder values (`""`, `${PASSWORD}`, `REPLACE_ME`), public material
    /// (`ca.crt`, `tls.crt`, certificates, user names, hosts, ports) and Docker configs without
    /// registry credentials.
    ///
    /// ## Why is this bad?
    /// `data` is base64, not encryption: a Secret committed to Git is a password in Git, in
    /// every clone, fork and CI log, for ever. PCI DSS 3.6.1.2 allows keys to be stored only
    /// in approved forms and 8.6.2 forbids hard-coded passwords.
    ///
    /// ## How to fix
    /// Commit a `SealedSecret`, a SOPS-encrypted file or an `ExternalSecret` that the cluster
    /// resolves from a secret store; rotate every credential that was ever committed.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: db-credentials, namespace: payments}
    /// type: Opaque
    /// stringData:
    ///   username: payments
    ///   password: Xk2-v9Lq-77aP
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: external-secrets.io/v1
    /// kind: ExternalSecret
    /// metadata: {name: db-credentials, namespace: payments}
    /// spec:
    ///   secretStoreRef: {name: vault, kind: ClusterSecretStore}
    ///   target: {name: db-credentials}
    ///   data:
    ///     - secretKey: password
    ///       remoteRef: {key: payments/db, property: password}
    /// ```
    pub(crate) struct PlaintextSecretInManifest {
        id: "KP3007",
        name: "plaintext-secret-in-manifest",
        summary: "Secret with plaintext values committed in a manifest",
        severity: High,
        target: Target::Kinds(&["Secret"]),
        pci: ["3.6.1.2", "8.6.2"],
        tags: [],
    }
}

impl Rule for PlaintextSecretInManifest {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if is_live_object(object)
            || object.root.get("type").and_then(Node::as_str)
                == Some("kubernetes.io/service-account-token")
        {
            return;
        }
        let mut first = None;
        let mut keys = Vec::new();
        for text in data_values(object) {
            let key = text.place.key().unwrap_or_default();
            if is_sensitive(key, &text.text) {
                keys.push(format!("`{key}`"));
                if first.is_none() {
                    let field = if text.pointer.as_str().starts_with("/stringData") {
                        "stringData"
                    } else {
                        "data"
                    };
                    first = Some(JsonPointer::root().key(field));
                }
            }
        }
        if let Some(pointer) = first {
            let n = keys.len();
            cx.report(
                pointer,
                format!(
                    "Secret carries {n} plaintext value{} ({}) in the manifest; commit a SealedSecret, SOPS file or ExternalSecret instead",
                    if n == 1 { "" } else { "s" },
                    keys.join(", ")
                ),
            );
        }
    }
}
