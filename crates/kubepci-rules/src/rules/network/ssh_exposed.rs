use crate::rules::prelude::*;

/// Whether a command or argument starts an SSH daemon.
fn is_sshd(word: &str) -> bool {
    let base = word.rsplit('/').next().unwrap_or(word);
    base == "sshd" || base == "dropbear"
}

declare_rule! {
    /// ## What it does
    /// Flags, in in-scope namespaces, Services whose `port` or numeric `targetPort` is 22,
    /// containers declaring `containerPort: 22`, and containers whose command or arguments
    /// start an SSH daemon (`sshd`, `dropbear`).
    ///
    /// ## Why is this bad?
    /// An SSH server in a container is an interactive administrative entry point that
    /// bypasses the cluster's access control, audit log and immutable-image practice. PCI
    /// DSS 2.2.4 allows only the services a component needs; 1.2.5 requires each open port
    /// to be justified. Use `kubectl exec` (audited) or a bastion instead.
    ///
    /// ## How to fix
    /// Remove the SSH server and port; debug through `kubectl debug`/`exec` under RBAC and
    /// the audit log.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: legacy, namespace: payments}
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///         - name: app
    ///           image: registry.example.com/legacy:1.0.0
    ///           command: [/usr/sbin/sshd, -D]
    ///           ports: [{containerPort: 22}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: legacy, namespace: payments}
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///         - name: app
    ///           image: registry.example.com/legacy:1.0.0
    ///           ports: [{containerPort: 8080}]
    /// ```
    pub(crate) struct SshExposed {
        id: "KP2018",
        name: "ssh-exposed",
        summary: "SSH server or port in a workload",
        severity: Medium,
        target: Target::Kinds(&[
            "Service",
            "Pod",
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "ReplicationController",
            "Job",
            "CronJob",
        ]),
        pci: ["2.2.4", "1.2.5"],
        tags: [],
    }
}

impl Rule for SshExposed {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if !cx.scope().in_scope() {
            return;
        }
        if object.kind() == "Service" {
            let ports_ptr = JsonPointer::root().key("spec").key("ports");
            let ports = object
                .root
                .pointer(&ports_ptr)
                .map(Node::items)
                .unwrap_or_default();
            for (i, port) in ports.iter().enumerate() {
                for field in ["port", "targetPort"] {
                    if port
                        .get(field)
                        .filter(|n| matches!(n.value, kubepci_model::Value::Int(22)))
                        .is_some()
                    {
                        cx.report(
                            ports_ptr.index(i).key(field),
                            format!("Service {field} 22 exposes SSH"),
                        );
                        break;
                    }
                }
            }
            return;
        }
        let Some(pod) = PodTemplate::of(object) else {
            return;
        };
        for c in pod.containers() {
            for field in ["command", "args"] {
                let words = c.get(&[field]).map(Node::items).unwrap_or_default();
                if let Some(i) = words.iter().position(|w| w.as_str().is_some_and(is_sshd)) {
                    cx.report(
                        c.pointer_to(&[field]).index(i),
                        format!("{} starts an SSH daemon", c.describe()),
                    );
                }
            }
            let ports = c.get(&["ports"]).map(Node::items).unwrap_or_default();
            for (i, port) in ports.iter().enumerate() {
                if port.get("containerPort").and_then(Node::as_i64) == Some(22) {
                    cx.report(
                        c.pointer_to(&["ports"]).index(i).key("containerPort"),
                        format!("{} declares SSH port 22", c.describe()),
                    );
                }
            }
        }
    }
}
