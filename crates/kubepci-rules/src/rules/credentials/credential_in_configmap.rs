use crate::content::data_values;
use crate::credentials::{
    credential_name, embedded_credentials, is_literal_credential, known_token, url_has_password,
    weak_password,
};
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags credentials stored in ConfigMaps: credential-named keys (`password`, `apiKey`,
    /// `client-secret`, `DB_TOKEN`, …) with a literal value, `password = …` or
    /// `"token": "…"` lines of configuration files kept in a ConfigMap, URLs with an embedded
    /// password and well-known token formats (AWS, GitHub, GitLab, Slack, Stripe, Google).
    ///
    /// Placeholders, references (`${DB_PASSWORD}`), file paths and settings about a credential
    /// (`password_file`, `token_ttl`) pass. Vendor default and weak values are KP3001's
    /// findings; private keys are KP3006's.
    ///
    /// ## Why is this bad?
    /// ConfigMaps are not secret: they are readable by anyone with `get configmaps` in the
    /// namespace (a permission handed out freely), are not encrypted at rest by the API
    /// server's encryption configuration unless configured, and are printed by every
    /// debugging tool. PCI DSS 8.6.2 forbids hard-coded passwords, 3.6.1 requires keys to be
    /// protected against disclosure.
    ///
    /// ## How to fix
    /// Move the credential into a Secret sourced from a secret store and mount it; keep the
    /// rest of the configuration in the ConfigMap and point the application at the secret
    /// file (`password_file = /var/run/secrets/db/password`) or an environment reference.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: api-config, namespace: payments}
    /// data:
    ///   application.properties: |
    ///     spring.datasource.url=jdbc:postgresql://db:5432/pay
    ///     spring.datasource.password=Xk2-v9Lq-77aP
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: api-config, namespace: payments}
    /// data:
    ///   application.properties: |
    ///     spring.datasource.url=jdbc:postgresql://db:5432/pay
    ///     spring.datasource.password=${DB_PASSWORD}
    /// ```
    pub(crate) struct CredentialInConfigMap {
        id: "KP3005",
        name: "credential-in-configmap",
        summary: "Credential stored in a ConfigMap",
        severity: High,
        target: Target::Kinds(&["ConfigMap"]),
        pci: ["8.6.2", "3.6.1"],
        tags: [],
    }
}

impl Rule for CredentialInConfigMap {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        for text in data_values(object) {
            let place = text.place.describe();
            let value = &*text.text;
            if let Some(label) = known_token(value) {
                cx.report(text.pointer, format!("{place} holds {label}"));
                continue;
            }
            if url_has_password(value) {
                cx.report(
                    text.pointer,
                    format!("{place} holds a URL with an embedded password"),
                );
                continue;
            }
            if text.place.key().and_then(credential_name).is_some()
                && is_literal_credential(text.place.key(), value)
                && weak_password(value).is_none()
            {
                cx.report(
                    text.pointer,
                    format!(
                        "{place} holds a literal credential ({} characters)",
                        value.trim().chars().count()
                    ),
                );
                continue;
            }
            let keys: Vec<String> = embedded_credentials(value)
                .filter(|a| {
                    is_literal_credential(Some(a.key), a.value) && weak_password(a.value).is_none()
                })
                .map(|a| format!("`{}` (line {})", a.key, a.line))
                .collect();
            if !keys.is_empty() {
                cx.report(
                    text.pointer,
                    format!("{place} assigns literal credentials to {}", keys.join(", ")),
                );
            }
        }
    }
}
