use crate::content::data_values;
use crate::rules::prelude::*;

/// Env variables of database images that switch authentication off, and the values that do.
const ENV_SWITCHES: &[(&str, &str)] = &[
    (
        "MYSQL_ALLOW_EMPTY_PASSWORD",
        "lets MySQL's root account log in without a password",
    ),
    (
        "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD",
        "lets MariaDB's root account log in without a password",
    ),
    (
        "MARIADB_ALLOW_EMPTY_PASSWORD",
        "lets MariaDB's root account log in without a password",
    ),
    (
        "ALLOW_EMPTY_PASSWORD",
        "lets the image run without a password",
    ),
];

/// Command-line flags that switch authentication off.
const FLAGS: &[(&str, &str)] = &[
    (
        "--skip-grant-tables",
        "turns MySQL/MariaDB authentication off",
    ),
    ("--noauth", "turns MongoDB authentication off"),
];

fn truthy(value: &str) -> bool {
    !matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "" | "no" | "false" | "0" | "off"
    )
}

/// Whether a `pg_hba.conf` line grants network access with the `trust` method.
fn trusts_network(line: &str) -> bool {
    let fields: Vec<&str> = line.split_whitespace().collect();
    matches!(fields.first(), Some(&("host" | "hostssl" | "hostnossl")))
        && fields.last() == Some(&"trust")
}

declare_rule! {
    /// ## What it does
    /// Flags configuration that lets a database accept logins without a password: the
    /// `MYSQL_ALLOW_EMPTY_PASSWORD`, `MARIADB_ALLOW_EMPTY_ROOT_PASSWORD` and Bitnami
    /// `ALLOW_EMPTY_PASSWORD` switches, `POSTGRES_HOST_AUTH_METHOD=trust`, Elasticsearch's
    /// `xpack.security.enabled=false`, the `--skip-grant-tables` and `--noauth` flags, and
    /// `pg_hba.conf` lines in ConfigMaps that trust network clients.
    ///
    /// ## Why is this bad?
    /// An empty password is the weakest vendor default of all: anyone who reaches the port is
    /// the database administrator. PCI DSS 2.2.2 requires default accounts to be secured and
    /// 8.3.1 requires every access to be authenticated.
    ///
    /// ## How to fix
    /// Remove the switch and set a strong password from a Secret (`MYSQL_ROOT_PASSWORD`
    /// through `valueFrom.secretKeyRef`); use `scram-sha-256` instead of `trust` in
    /// `pg_hba.conf`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: mysql, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: mysql}}
    ///   template:
    ///     metadata: {labels: {app: mysql}}
    ///     spec:
    ///       containers:
    ///         - name: mysql
    ///           image: mysql:8.4.2
    ///           env:
    ///             - {name: MYSQL_ALLOW_EMPTY_PASSWORD, value: "yes"}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: mysql, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: mysql}}
    ///   template:
    ///     metadata: {labels: {app: mysql}}
    ///     spec:
    ///       containers:
    ///         - name: mysql
    ///           image: mysql:8.4.2
    ///           env:
    ///             - name: MYSQL_ROOT_PASSWORD
    ///               valueFrom: {secretKeyRef: {name: mysql-root, key: password}}
    /// ```
    pub(crate) struct EmptyPasswordAllowed {
        id: "KP3002",
        name: "empty-password-allowed",
        summary: "Database configured to accept logins without a password",
        severity: Critical,
        target: Target::Kinds(super::WORKLOADS_AND_CONFIG),
        pci: ["2.2.2", "8.3.1"],
        tags: [],
    }
}

impl Rule for EmptyPasswordAllowed {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if let Some(pod) = PodTemplate::of(object) {
            for container in pod.containers() {
                let env = container.get(&["env"]).map(Node::items).unwrap_or_default();
                for (i, var) in env.iter().enumerate() {
                    let name = var.get("name").and_then(Node::as_str).unwrap_or_default();
                    let Some(value) = var.get("value").and_then(Node::scalar_text) else {
                        continue;
                    };
                    let what =
                        if let Some((_, what)) = ENV_SWITCHES.iter().find(|(n, _)| *n == name) {
                            truthy(&value).then_some(*what)
                        } else if name == "POSTGRES_HOST_AUTH_METHOD" {
                            value
                                .trim()
                                .eq_ignore_ascii_case("trust")
                                .then_some("makes PostgreSQL trust every client without a password")
                        } else if name == "xpack.security.enabled" {
                            value
                                .trim()
                                .eq_ignore_ascii_case("false")
                                .then_some("turns Elasticsearch authentication off")
                        } else {
                            None
                        };
                    if let Some(what) = what {
                        cx.report(
                            container.pointer_to(&["env"]).index(i).key("value"),
                            format!("env `{name}` of {} {what}", container.describe()),
                        );
                    }
                }
                for field in ["command", "args"] {
                    let items = container.get(&[field]).map(Node::items).unwrap_or_default();
                    for (i, item) in items.iter().enumerate() {
                        let Some(text) = item.as_str() else { continue };
                        if let Some((flag, what)) = FLAGS
                            .iter()
                            .find(|(flag, _)| text.split_ascii_whitespace().any(|t| t == *flag))
                        {
                            cx.report(
                                container.pointer_to(&[field]).index(i),
                                format!(
                                    "{field}[{i}] of {} passes `{flag}`, which {what}",
                                    container.describe()
                                ),
                            );
                        }
                    }
                }
            }
            return;
        }
        for text in data_values(object) {
            if let Some(line) = text.text.lines().position(|l| trusts_network(l.trim())) {
                cx.report(
                    text.pointer,
                    format!(
                        "{} holds a pg_hba.conf line (line {}) that trusts network clients without a password",
                        text.place.describe(),
                        line + 1
                    ),
                );
            }
        }
    }
}
