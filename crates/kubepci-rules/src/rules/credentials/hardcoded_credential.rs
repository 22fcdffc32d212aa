use super::credential_flags;
use crate::credentials::{
    credential_name, is_literal_credential, known_token, url_has_password, weak_password,
};
use crate::rules::prelude::*;

/// What a literal value of a container field gives away, if anything.
pub(super) fn literal_credential(name: Option<&str>, value: &str) -> Option<String> {
    if let Some(label) = known_token(value) {
        return Some(format!("holds {label}"));
    }
    if url_has_password(value) {
        return Some("holds a URL with an embedded password".to_owned());
    }
    // Weak and default values are KP3001's findings.
    if name.and_then(credential_name).is_some()
        && is_literal_credential(name, value)
        && weak_password(value).is_none()
    {
        return Some(format!(
            "holds a literal credential ({} characters)",
            value.trim().chars().count()
        ));
    }
    None
}

declare_rule! {
    /// ## What it does
    /// Flags credentials written into a pod spec: credential-named env variables
    /// (`*_PASSWORD`, `*_TOKEN`, `*_SECRET`, `API_KEY`, …) with a literal `value` instead of
    /// `valueFrom.secretKeyRef`, credential flags in `command`/`args` (`--password=…`,
    /// `--token …`, `API_KEY=…` in scripts), URLs with an embedded password, and well-known
    /// token formats (AWS access key IDs, GitHub, GitLab, Slack and Stripe tokens) in any env
    /// value or argument.
    ///
    /// References (`$(VAR)`, `${VAR}`), templates, placeholders, file paths and settings about
    /// a credential (`PASSWORD_FILE`, `TOKEN_TTL`, `SECRET_NAME`) are not credentials and pass.
    /// Vendor default and weak values are KP3001's findings.
    ///
    /// ## Why is this bad?
    /// A credential in a pod spec is in Git, in every rendered manifest, in the API server's
    /// etcd in clear, in `kubectl get -o yaml` output and in audit logs; it cannot be rotated
    /// without a deployment and is readable by everyone who can read the workload. PCI DSS
    /// 8.6.2 forbids hard-coded passwords of application and system accounts.
    ///
    /// ## How to fix
    /// Move the value into a Secret (fed from a secret store) and reference it with
    /// `valueFrom.secretKeyRef`, or better mount it as a file; pass `--password-file` instead
    /// of `--password`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: registry.example.com/api:2.0.1
    ///           env:
    ///             - {name: DB_PASSWORD, value: "Xk2-v9Lq-77aP"}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///         - name: api
    ///           image: registry.example.com/api:2.0.1
    ///           env:
    ///             - {name: DB_PASSWORD_FILE, value: /var/run/secrets/db/password}
    ///           volumeMounts:
    ///             - {name: db, mountPath: /var/run/secrets/db, readOnly: true}
    ///       volumes:
    ///         - name: db
    ///           secret: {secretName: db-credentials}
    /// ```
    pub(crate) struct HardcodedCredential {
        id: "KP3003",
        name: "hardcoded-credential",
        summary: "Credential written into a pod spec",
        severity: High,
        target: Target::PodTemplates,
        pci: ["8.6.2"],
        tags: [],
    }
}

impl Rule for HardcodedCredential {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        for container in pod.containers() {
            let env = container.get(&["env"]).map(Node::items).unwrap_or_default();
            for (i, var) in env.iter().enumerate() {
                let name = var.get("name").and_then(Node::as_str);
                let Some(value) = var.get("value").and_then(Node::scalar_text) else {
                    continue;
                };
                if let Some(what) = literal_credential(name, &value) {
                    cx.report(
                        container.pointer_to(&["env"]).index(i).key("value"),
                        format!(
                            "env `{}` of {} {what}; reference a Secret instead",
                            name.unwrap_or_default(),
                            container.describe()
                        ),
                    );
                }
            }
            for field in ["command", "args"] {
                let items = container.get(&[field]).map(Node::items).unwrap_or_default();
                let flags = credential_flags(items);
                for (i, item) in items.iter().enumerate() {
                    let Some(text) = item.as_str() else { continue };
                    let what = known_token(text)
                        .map(|label| format!("holds {label}"))
                        .or_else(|| {
                            url_has_password(text)
                                .then(|| "holds a URL with an embedded password".to_owned())
                        })
                        .or_else(|| {
                            flags
                                .iter()
                                .find(|f| {
                                    f.index == i
                                        && is_literal_credential(Some(f.name), f.value)
                                        && weak_password(f.value).is_none()
                                })
                                .map(|f| format!("passes a literal value for `{}`", f.name))
                        });
                    if let Some(what) = what {
                        cx.report(
                            container.pointer_to(&[field]).index(i),
                            format!("{field}[{i}] of {} {what}", container.describe()),
                        );
                    }
                }
            }
        }
    }
}
