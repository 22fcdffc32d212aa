//! Registry credentials from a `.dockerconfigjson` file (the content of a
//! `kubernetes.io/dockerconfigjson` Secret, or `~/.docker/config.json`).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use oci_client::secrets::RegistryAuth;
use serde::Deserialize;

use crate::error::PolicyError;

/// Credentials by registry host. Its `Debug` output never shows a secret.
#[derive(Clone, Default)]
pub struct Credentials {
    by_host: BTreeMap<String, Secret>,
}

#[derive(Clone)]
enum Secret {
    Basic { username: String, password: String },
    Bearer(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("registries", &self.by_host.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, DockerAuth>,
}

#[derive(Deserialize)]
struct DockerAuth {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default, rename = "registrytoken")]
    registry_token: Option<String>,
}

/// `https://index.docker.io/v1/` → `docker.io`; `registry.example.com:5000/` →
/// `registry.example.com:5000`.
pub(crate) fn normalise_host(key: &str) -> String {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = key
        .split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_owned()
        }
        _ => host,
    }
}

impl Credentials {
    /// Parses a `.dockerconfigjson` document. `origin` names it in errors.
    ///
    /// # Errors
    /// Malformed JSON, or an `auth` that is not base64 of `user:password`.
    pub fn parse(origin: &str, json: &[u8]) -> Result<Self, PolicyError> {
        let invalid = |message: String| PolicyError::Invalid {
            path: origin.to_owned(),
            message,
        };
        let config: DockerConfig = serde_json::from_slice(json)
            .map_err(|e| invalid(format!("not a .dockerconfigjson document: {e}")))?;
        let mut by_host = BTreeMap::new();
        for (key, entry) in config.auths {
            let host = normalise_host(&key);
            let secret = if let Some(token) = entry.registry_token.filter(|t| !t.is_empty()) {
                Secret::Bearer(token)
            } else if let (Some(username), Some(password)) = (&entry.username, &entry.password) {
                Secret::Basic {
                    username: username.clone(),
                    password: password.clone(),
                }
            } else if let Some(auth) = entry.auth.filter(|a| !a.is_empty()) {
                let decoded = B64
                    .decode(auth.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| invalid(format!("the `auth` of {key} is not base64 text")))?;
                let (username, password) = decoded
                    .split_once(':')
                    .ok_or_else(|| invalid(format!("the `auth` of {key} is not user:password")))?;
                Secret::Basic {
                    username: username.to_owned(),
                    password: password.to_owned(),
                }
            } else {
                continue;
            };
            by_host.insert(host, secret);
        }
        Ok(Self { by_host })
    }

    /// Reads a `.dockerconfigjson` file.
    ///
    /// # Errors
    /// An unreadable file or one [`Credentials::parse`] rejects.
    pub fn from_file(path: &str) -> Result<Self, PolicyError> {
        let bytes = std::fs::read(path).map_err(|source| PolicyError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &bytes)
    }

    /// The authentication to use with a registry host (anonymous when none is configured).
    pub(crate) fn auth_for(&self, registry: &str) -> RegistryAuth {
        match self.by_host.get(&normalise_host(registry)) {
            Some(Secret::Basic { username, password }) => {
                RegistryAuth::Basic(username.clone(), password.clone())
            }
            Some(Secret::Bearer(token)) => RegistryAuth::Bearer(token.clone()),
            None => RegistryAuth::Anonymous,
        }
    }

    /// Whether no registry has credentials.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_host.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_username_password_and_tokens_are_read() {
        let json = format!(
            r#"{{"auths": {{
                "https://index.docker.io/v1/": {{"auth": "{}"}},
                "registry.pay.example:5000": {{"username": "ci", "password": "p4ss"}},
                "ghcr.example": {{"registrytoken": "tok"}},
                "empty.example": {{}}
            }}}}"#,
            B64.encode("alice:s3cret")
        );
        let creds = Credentials::parse("config.json", json.as_bytes()).expect("valid");
        assert!(
            matches!(creds.auth_for("index.docker.io"), RegistryAuth::Basic(u, p) if u == "alice" && p == "s3cret")
        );
        assert!(
            matches!(creds.auth_for("REGISTRY.pay.example:5000"), RegistryAuth::Basic(u, _) if u == "ci")
        );
        assert!(matches!(creds.auth_for("ghcr.example"), RegistryAuth::Bearer(t) if t == "tok"));
        assert!(matches!(
            creds.auth_for("empty.example"),
            RegistryAuth::Anonymous
        ));
        assert!(matches!(
            creds.auth_for("other.example"),
            RegistryAuth::Anonymous
        ));
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let creds = Credentials::parse(
            "c",
            br#"{"auths": {"r.example": {"username": "ci", "password": "hunter2-secret"}}}"#,
        )
        .expect("valid");
        let shown = format!("{creds:?}");
        assert!(shown.contains("r.example"));
        assert!(
            !shown.contains("hunter2") && !shown.contains("ci\""),
            "{shown}"
        );
    }

    #[test]
    fn malformed_files_are_errors() {
        assert!(Credentials::parse("c", b"{").is_err());
        assert!(Credentials::parse("c", br#"{"auths": {"r": {"auth": "!!"}}}"#).is_err());
        let no_colon = format!(
            r#"{{"auths": {{"r": {{"auth": "{}"}}}}}}"#,
            B64.encode("nocolon")
        );
        assert!(Credentials::parse("c", no_colon.as_bytes()).is_err());
    }
}
