//! `kubepci init`: a compliant starting point for a PCI DSS cardholder-data environment.
//!
//! [`generate`] writes nothing: it returns the files (path and contents) for the binary to
//! write. The templates live in `templates/`, each commented with the requirements it serves;
//! a test requires that `kubepci scan` of the output has no finding.
//!
//! | file | PCI DSS v4.0.1 |
//! |---|---|
//! | `00-namespace.yaml`: CDE namespace with scope and Pod Security `restricted` labels, LimitRange, ResourceQuota | 1.3, 2.2.6, 12.5.1 |
//! | `10-network-policies.yaml`: default-deny ingress and egress, DNS allowance | 1.3.1, 1.3.2, 1.4.1 |
//! | `control-plane/audit-policy.yaml`: API server audit policy | 10.2.1–10.2.1.7, 10.2.2, 3.5.1 |
//! | `control-plane/audit-webhook-kubeconfig.yaml`: audit webhook to `kubepci audit serve` | 10.3.3, 10.5.1 |
//! | `control-plane/encryption-config.yaml`: Secrets encrypted at rest with KMS v2 | 3.5.1, 3.6.1, 8.3.2 |

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The CDE namespace.
    pub namespace: String,
    /// The URL of `kubepci audit serve`'s audit endpoint.
    pub audit_url: String,
    /// The KMS v2 plugin's endpoint.
    pub kms_endpoint: String,
    /// The KMS provider's name (it is part of the stored keys: never change it later).
    pub kms_name: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            namespace: "payments".into(),
            audit_url: "https://kubepci-audit.kubepci-system.svc:8443/v1/k8s-audit".into(),
            kms_endpoint: "unix:///var/run/kmsplugin/socket.sock".into(),
            kms_name: "kubepci-kms".into(),
        }
    }
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the output directory.
    pub path: &'static str,
    /// Contents.
    pub contents: String,
}

/// Why the options cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// The namespace is not a DNS label (RFC 1123).
    #[error("namespace `{0}` is not a DNS label (lower-case letters, digits and '-', at most 63)")]
    Namespace(String),
    /// The audit URL is not an https URL.
    #[error("audit URL `{0}` must be an https:// URL (the audit webhook carries credentials)")]
    AuditUrl(String),
    /// The KMS endpoint is not a unix socket.
    #[error("KMS endpoint `{0}` must be a unix:// socket path (KMS v2 plugins listen on one)")]
    KmsEndpoint(String),
    /// The KMS provider's name is not usable.
    #[error(
        "KMS provider name `{0}` must be non-empty and contain only letters, digits, '-', '_' and '.'"
    )]
    KmsName(String),
}

const TEMPLATES: &[(&str, &str)] = &[
    (
        "00-namespace.yaml",
        include_str!("../templates/namespace.yaml"),
    ),
    (
        "10-network-policies.yaml",
        include_str!("../templates/network-policies.yaml"),
    ),
    (
        "control-plane/audit-policy.yaml",
        include_str!("../templates/control-plane/audit-policy.yaml"),
    ),
    (
        "control-plane/audit-webhook-kubeconfig.yaml",
        include_str!("../templates/control-plane/audit-webhook-kubeconfig.yaml"),
    ),
    (
        "control-plane/encryption-config.yaml",
        include_str!("../templates/control-plane/encryption-config.yaml"),
    ),
    ("README.md", include_str!("../templates/README.md")),
];

fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Characters that would break out of a YAML plain scalar or a Markdown table cell.
fn is_plain(text: &str) -> bool {
    !text.is_empty()
        && text.chars().all(|c| {
            c.is_ascii_graphic()
                && !matches!(
                    c,
                    '#' | '\'' | '"' | '|' | '{' | '}' | '[' | ']' | ',' | '&' | '*' | '!' | '`'
                )
        })
}

fn validate(options: &Options) -> Result<(), InitError> {
    if !is_dns_label(&options.namespace) {
        return Err(InitError::Namespace(options.namespace.clone()));
    }
    let host = options
        .audit_url
        .strip_prefix("https://")
        .unwrap_or_default();
    if host.is_empty() || host.starts_with('/') || !is_plain(&options.audit_url) {
        return Err(InitError::AuditUrl(options.audit_url.clone()));
    }
    let socket = options
        .kms_endpoint
        .strip_prefix("unix:///")
        .unwrap_or_default();
    if socket.is_empty() || !is_plain(&options.kms_endpoint) {
        return Err(InitError::KmsEndpoint(options.kms_endpoint.clone()));
    }
    if options.kms_name.is_empty()
        || !options
            .kms_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(InitError::KmsName(options.kms_name.clone()));
    }
    Ok(())
}

/// The baseline's files.
///
/// # Errors
/// When an option is not usable (see [`InitError`]).
pub fn generate(options: &Options) -> Result<Vec<GeneratedFile>, InitError> {
    validate(options)?;
    Ok(TEMPLATES
        .iter()
        .map(|(path, template)| GeneratedFile {
            path,
            contents: template
                .replace("{{namespace}}", &options.namespace)
                .replace("{{audit_url}}", &options.audit_url)
                .replace("{{kms_endpoint}}", &options.kms_endpoint)
                .replace("{{kms_name}}", &options.kms_name),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_validated() {
        assert!(generate(&Options::default()).is_ok());
        let with = |f: fn(&mut Options)| {
            let mut o = Options::default();
            f(&mut o);
            generate(&o)
        };
        assert!(matches!(
            with(|o| o.namespace = "Payments".into()),
            Err(InitError::Namespace(_))
        ));
        assert!(matches!(
            with(|o| o.namespace = "-x".into()),
            Err(InitError::Namespace(_))
        ));
        assert!(matches!(
            with(|o| o.audit_url = "http://audit:8443".into()),
            Err(InitError::AuditUrl(_))
        ));
        assert!(matches!(
            with(|o| o.audit_url = "https://a\nb".into()),
            Err(InitError::AuditUrl(_))
        ));
        assert!(matches!(
            with(|o| o.kms_endpoint = "tcp://kms:1".into()),
            Err(InitError::KmsEndpoint(_))
        ));
        assert!(matches!(
            with(|o| o.kms_name = "a b".into()),
            Err(InitError::KmsName(_))
        ));
    }

    #[test]
    fn every_placeholder_is_filled() {
        for file in generate(&Options::default()).expect("valid") {
            assert!(!file.contents.contains("{{"), "{}", file.path);
        }
    }
}
