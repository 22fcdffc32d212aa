use crate::rules::prelude::*;
use crate::support::component::{find_components, list_names};

/// Detectors that write alerts on the node unless told otherwise (commercial agents send
/// them to their own backend by design).
const NODE_LOCAL_DETECTORS: &[&str] = &["falco", "tetragon", "kubearmor"];

/// Falco outputs that take alerts off the node.
const FALCO_REMOTE_OUTPUTS: &[&str] = &["http_output", "program_output", "grpc_output"];

declare_rule! {
    /// ## What it does
    /// Flags the DaemonSet of an open-source runtime detector (Falco, Tetragon, KubeArmor)
    /// whose alerts stay on the node: no alert forwarder from `platform.alertForwarders`
    /// (Falcosidekick) runs in the input, no log-forwarder DaemonSet from
    /// `platform.logForwarders` collects container output, and (for Falco) no ConfigMap
    /// `falco.yaml` in its namespace enables `http_output`, `program_output` or `grpc_output`.
    ///
    /// ## Why is this bad?
    /// An alert nobody receives is no detection. PCI DSS 5.3.4 requires the anti-malware
    /// mechanism's logs to be retained, and 10.4.1.1 automated review of security events;
    /// both need the alerts in a central place, not in a container's stdout on one node.
    ///
    /// ## How to fix
    /// Deploy Falcosidekick (or enable Falco's `http_output` towards your alerting), or run a
    /// log forwarder DaemonSet that ships container output to the central log store.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: falco, namespace: falco}
    /// spec:
    ///   selector: {matchLabels: {app.kubernetes.io/name: falco}}
    ///   template:
    ///     metadata: {labels: {app.kubernetes.io/name: falco}}
    ///     spec:
    ///       containers:
    ///         - {name: falco, image: docker.io/falcosecurity/falco:0.41.0}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: falco, namespace: falco}
    /// spec:
    ///   selector: {matchLabels: {app.kubernetes.io/name: falco}}
    ///   template:
    ///     metadata: {labels: {app.kubernetes.io/name: falco}}
    ///     spec:
    ///       containers:
    ///         - {name: falco, image: docker.io/falcosecurity/falco:0.41.0}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: falco-falcosidekick, namespace: falco}
    /// spec:
    ///   selector: {matchLabels: {app.kubernetes.io/name: falcosidekick}}
    ///   template:
    ///     metadata: {labels: {app.kubernetes.io/name: falcosidekick}}
    ///     spec:
    ///       containers:
    ///         - {name: falcosidekick, image: docker.io/falcosecurity/falcosidekick:2.31.1}
    /// ```
    pub(crate) struct DetectorAlertsNotForwarded {
        id: "KP5102",
        name: "detector-alerts-not-forwarded",
        summary: "Runtime detector alerts never leave the node",
        severity: Medium,
        target: Target::Inventory(&["DaemonSet", "Deployment", "StatefulSet", "ConfigMap"]),
        admission: ScanOnly,
        pci: ["5.3.4", "10.4.1.1"],
        tags: [],
    }
}

impl Rule for DetectorAlertsNotForwarded {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let platform = &cx.settings.platform;
        let local: Vec<String> = platform
            .runtime_detectors
            .iter()
            .filter(|n| NODE_LOCAL_DETECTORS.contains(&n.as_str()))
            .cloned()
            .collect();
        let detectors = find_components(cx.inventory, &["DaemonSet"], &local);
        if detectors.is_empty() {
            return;
        }
        let forwarded = !find_components(
            cx.inventory,
            &["Deployment", "DaemonSet", "StatefulSet"],
            &platform.alert_forwarders,
        )
        .is_empty()
            || !find_components(cx.inventory, &["DaemonSet"], &platform.log_forwarders).is_empty();
        if forwarded {
            return;
        }
        for (object, name) in detectors {
            if name == "falco" && falco_outputs_remote(cx, object.namespace()) {
                continue;
            }
            cx.report_on(
                object,
                JsonPointer::root().key("metadata").key("name"),
                format!(
                    "runtime detector {name} keeps its alerts on the node: no alert forwarder ({}), no log-forwarder DaemonSet, no remote output enabled",
                    list_names(&platform.alert_forwarders)
                ),
            );
        }
    }
}

/// Whether a `falco.yaml` ConfigMap in `namespace` enables an output that leaves the node.
fn falco_outputs_remote(cx: &Context<'_>, namespace: Option<&str>) -> bool {
    cx.inventory
        .of_kind("ConfigMap")
        .filter(|c| c.namespace() == namespace)
        .filter_map(|c| c.root.get("data"))
        .flat_map(|d| {
            ["falco.yaml", "falco.yml"]
                .into_iter()
                .filter_map(|k| d.get(k).and_then(Node::as_str))
        })
        .any(|text| {
            FALCO_REMOTE_OUTPUTS
                .iter()
                .any(|key| section_enabled(text, key))
        })
}

/// Whether a top-level YAML section `key:` of `text` contains `enabled: true`.
fn section_enabled(text: &str, key: &str) -> bool {
    let mut inside = false;
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            inside = line
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'));
            continue;
        }
        if inside {
            let trimmed = line.trim();
            if let Some(value) = trimmed.strip_prefix("enabled:") {
                let value = value.split('#').next().unwrap_or_default().trim();
                if value == "true" {
                    return true;
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::section_enabled;

    #[test]
    fn finds_enabled_sections() {
        let text = "json_output: true\nhttp_output:\n  enabled: true # on\n  url: http://x\nprogram_output:\n  enabled: false\n";
        assert!(section_enabled(text, "http_output"));
        assert!(!section_enabled(text, "program_output"));
        assert!(!section_enabled(text, "grpc_output"));
        assert!(!section_enabled(
            "http_output_x:\n  enabled: true\n",
            "http_output"
        ));
    }
}
