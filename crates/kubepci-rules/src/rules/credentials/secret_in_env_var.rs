use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags containers in in-scope namespaces (`cde`, `connected`, unscoped) that read a
    /// Secret into environment variables: `env[].valueFrom.secretKeyRef` and
    /// `envFrom[].secretRef`.
    ///
    /// ## Why is this bad?
    /// Environment variables leak: they are inherited by every child process, printed by
    /// crash handlers and debug endpoints, visible in `/proc/<pid>/environ` to anything in the
    /// pod, and cannot be rotated without a restart. A Secret mounted as a file has none of
    /// these problems and is updated in place. PCI DSS 8.6.2 and 3.6.1 ask that passwords and
    /// keys be protected against disclosure.
    ///
    /// ## How to fix
    /// Mount the Secret as a read-only volume and let the application read the file (most
    /// images accept a `*_FILE` variable pointing at it).
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
    ///             - name: DB_PASSWORD
    ///               valueFrom: {secretKeyRef: {name: db-credentials, key: password}}
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
    pub(crate) struct SecretInEnvVar {
        id: "KP3004",
        name: "secret-in-env-var",
        summary: "Secret consumed through environment variables",
        severity: Low,
        target: Target::PodTemplates,
        pci: ["8.6.2", "3.6.1"],
        tags: [],
    }
}

impl Rule for SecretInEnvVar {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        if !cx.scope().in_scope() {
            return;
        }
        for container in pod.containers() {
            let env = container.get(&["env"]).map(Node::items).unwrap_or_default();
            for (i, var) in env.iter().enumerate() {
                if let Some(secret) = var.path(&["valueFrom", "secretKeyRef"]) {
                    let name = var.get("name").and_then(Node::as_str).unwrap_or_default();
                    let from = secret
                        .get("name")
                        .and_then(Node::as_str)
                        .unwrap_or_default();
                    cx.report(
                        container
                            .pointer_to(&["env"])
                            .index(i)
                            .key("valueFrom")
                            .key("secretKeyRef"),
                        format!(
                            "env `{name}` of {} reads Secret `{from}`; mount it as a file instead",
                            container.describe()
                        ),
                    );
                }
            }
            let env_from = container
                .get(&["envFrom"])
                .map(Node::items)
                .unwrap_or_default();
            for (i, source) in env_from.iter().enumerate() {
                if let Some(secret) = source.get("secretRef") {
                    let from = secret
                        .get("name")
                        .and_then(Node::as_str)
                        .unwrap_or_default();
                    cx.report(
                        container.pointer_to(&["envFrom"]).index(i).key("secretRef"),
                        format!(
                            "{} loads every key of Secret `{from}` into its environment; mount it as a file instead",
                            container.describe()
                        ),
                    );
                }
            }
        }
    }
}
