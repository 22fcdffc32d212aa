//! Vendor defaults and credentials (PCI DSS 2.2.2, 3.6.1, 7.2.5, 8.2.2, 8.6.2, 8.6.3):
//! default and weak passwords, hard-coded credentials, keys and Secrets in plain
//! configuration, and service-account hygiene.

mod credential_in_configmap;
mod default_or_weak_password;
mod default_service_account_bound;
mod default_service_account_used;
mod empty_password_allowed;
mod hardcoded_credential;
mod legacy_service_account_token;
mod plaintext_secret_in_manifest;
mod private_key_in_plain_config;
mod secret_in_env_var;
mod service_account_token_automount;

pub(crate) use credential_in_configmap::CredentialInConfigMap;
pub(crate) use default_or_weak_password::DefaultOrWeakPassword;
pub(crate) use default_service_account_bound::DefaultServiceAccountBound;
pub(crate) use default_service_account_used::DefaultServiceAccountUsed;
pub(crate) use empty_password_allowed::EmptyPasswordAllowed;
pub(crate) use hardcoded_credential::HardcodedCredential;
pub(crate) use legacy_service_account_token::LegacyServiceAccountToken;
pub(crate) use plaintext_secret_in_manifest::PlaintextSecretInManifest;
pub(crate) use private_key_in_plain_config::PrivateKeyInPlainConfig;
pub(crate) use secret_in_env_var::SecretInEnvVar;
pub(crate) use service_account_token_automount::ServiceAccountTokenAutomount;

use crate::credentials::credential_name;
use kubepci_model::Node;

/// Every pod-template kind plus ConfigMap and Secret: the objects that carry credentials.
pub(crate) const WORKLOADS_AND_CONFIG: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "ConfigMap",
    "Secret",
];

/// A credential passed on a command line: the item of `command`/`args` that holds the value,
/// the flag or variable name, and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FlagValue<'a> {
    pub(crate) index: usize,
    pub(crate) name: &'a str,
    pub(crate) value: &'a str,
}

fn unquote(value: &str) -> &str {
    let v = value.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner;
        }
    }
    v.trim_matches(|c| matches!(c, '"' | '\'' | ';' | ',' | ')' | '\\'))
}

/// Credentials on a command line: `--password=x`, `--password x` (in one item or two),
/// and `PASSWORD=x` assignments inside `sh -c` scripts.
pub(crate) fn credential_flags(items: &[Node]) -> Vec<FlagValue<'_>> {
    let mut out = Vec::new();
    let texts: Vec<Option<&str>> = items.iter().map(Node::as_str).collect();
    for (index, text) in texts.iter().enumerate() {
        let Some(text) = text else { continue };
        let tokens: Vec<&str> = text.split_ascii_whitespace().collect();
        for (t, token) in tokens.iter().enumerate() {
            let dashed = token.starts_with('-');
            let bare = token.trim_start_matches('-');
            if let Some((name, value)) = bare.split_once('=') {
                // `NAME=value` without dashes only inside scripts (several tokens).
                if (dashed || tokens.len() > 1) && credential_name(name).is_some() {
                    out.push(FlagValue {
                        index,
                        name,
                        value: unquote(value),
                    });
                }
            } else if dashed && token.starts_with("--") && credential_name(bare).is_some() {
                let next = if t + 1 < tokens.len() {
                    Some((index, tokens[t + 1]))
                } else if tokens.len() == 1 {
                    texts
                        .get(index + 1)
                        .copied()
                        .flatten()
                        .map(|n| (index + 1, n))
                } else {
                    None
                };
                if let Some((at, value)) = next
                    && !value.starts_with('-')
                {
                    out.push(FlagValue {
                        index: at,
                        name: bare,
                        value: unquote(value),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use kubepci_model::{Position, Value};

    use super::*;

    fn items(args: &[&str]) -> Vec<Node> {
        args.iter()
            .map(|a| Node::new(Value::Str((*a).into()), Position::default()))
            .collect()
    }

    #[test]
    fn flags_in_every_form() {
        let args = items(&[
            "--db-password=hunter2",
            "--token",
            "abc",
            "--verbose",
            "mysql --password 's3c' && API_KEY=k1 run",
            "--password-file=/etc/pw",
        ]);
        let got: Vec<(usize, &str, &str)> = credential_flags(&args)
            .iter()
            .map(|f| (f.index, f.name, f.value))
            .collect();
        assert_eq!(
            got,
            [
                (0, "db-password", "hunter2"),
                (2, "token", "abc"),
                (4, "password", "s3c"),
                (4, "API_KEY", "k1"),
            ]
        );
    }
}
