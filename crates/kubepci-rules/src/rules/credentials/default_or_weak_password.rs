use super::{WORKLOADS_AND_CONFIG, credential_flags};
use crate::content::{Place, container_values, data_values};
use crate::credentials::{credential_name, embedded_credentials, weak_password};
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags credentials set to a vendor default or trivially weak password: `admin`,
    /// `changeme`, `postgres`, `prom-operator`, `Harbor12345`, `minioadmin`, a repeated
    /// character, a digit or keyboard sequence, a default word with digits appended. It reads
    /// credential-named env values, `--password=…` style flags in `command` and `args`,
    /// credential-named keys of ConfigMaps and Secrets (`data` decoded, `stringData` as is)
    /// and `password = …` lines of configuration files embedded in them.
    ///
    /// Findings name the field and the kind of weakness, never the value.
    ///
    /// ## Why is this bad?
    /// Vendor default passwords are the first thing an attacker tries: PCI DSS 2.2.2 requires
    /// them to be changed before a system goes live, and 8.6.2 forbids hard-coding passwords
    /// of application and system accounts. A chart's default password is public the day the
    /// chart is.
    ///
    /// ## How to fix
    /// Generate a strong random password per environment, keep it in a secret store
    /// (External Secrets, Sealed Secrets, the CSI secret store) and reference it with
    /// `valueFrom.secretKeyRef` or a mounted Secret.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata: {name: db, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: db}}
    ///   serviceName: db
    ///   template:
    ///     metadata: {labels: {app: db}}
    ///     spec:
    ///       containers:
    ///         - name: postgres
    ///           image: postgres:16.4
    ///           env:
    ///             - {name: POSTGRES_PASSWORD, value: postgres}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata: {name: db, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: db}}
    ///   serviceName: db
    ///   template:
    ///     metadata: {labels: {app: db}}
    ///     spec:
    ///       containers:
    ///         - name: postgres
    ///           image: postgres:16.4
    ///           env:
    ///             - name: POSTGRES_PASSWORD
    ///               valueFrom: {secretKeyRef: {name: db-credentials, key: password}}
    /// ```
    pub(crate) struct DefaultOrWeakPassword {
        id: "KP3001",
        name: "default-or-weak-password",
        summary: "Credential set to a vendor default or trivially weak password",
        severity: Critical,
        target: Target::Kinds(WORKLOADS_AND_CONFIG),
        pci: ["2.2.2", "8.6.2"],
        tags: [],
    }
}

impl Rule for DefaultOrWeakPassword {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if let Some(pod) = PodTemplate::of(object) {
            for container in pod.containers() {
                for text in container_values(&container) {
                    // Arguments are read below as flags.
                    if !matches!(text.place, Place::Env { .. }) {
                        continue;
                    }
                    if text.place.key().and_then(credential_name).is_some()
                        && let Some(label) = weak_password(&text.text)
                    {
                        cx.report(
                            text.pointer.clone(),
                            format!("{} is set to {label}", text.place.describe()),
                        );
                    }
                }
                for field in ["command", "args"] {
                    let items = container.get(&[field]).map(Node::items).unwrap_or_default();
                    let mut reported = Vec::new();
                    for flag in credential_flags(items) {
                        if let Some(label) = weak_password(flag.value)
                            && !reported.contains(&flag.index)
                        {
                            reported.push(flag.index);
                            cx.report(
                                container.pointer_to(&[field]).index(flag.index),
                                format!(
                                    "{field}[{}] of {} sets `{}` to {label}",
                                    flag.index,
                                    container.describe(),
                                    flag.name
                                ),
                            );
                        }
                    }
                }
            }
            return;
        }
        for text in data_values(object) {
            let place = text.place.describe();
            if text.place.key().and_then(credential_name).is_some()
                && let Some(label) = weak_password(&text.text)
            {
                cx.report(text.pointer, format!("{place} is set to {label}"));
                continue;
            }
            let weak: Vec<String> = embedded_credentials(&text.text)
                .filter(|a| weak_password(a.value).is_some())
                .map(|a| format!("`{}` (line {})", a.key, a.line))
                .collect();
            if !weak.is_empty() {
                cx.report(
                    text.pointer,
                    format!(
                        "{place} sets {} to a vendor default or trivially weak password",
                        weak.join(", ")
                    ),
                );
            }
        }
    }
}
