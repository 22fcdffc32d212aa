use super::dashboard::{flag, is_dashboard};
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags Kubernetes Dashboard containers whose `--token-ttl` is `0` (sessions never
    /// expire) or above 900 seconds. Without the flag the Dashboard uses 900 seconds, which
    /// passes.
    ///
    /// ## Why is this bad?
    /// The token TTL is the Dashboard's idle timeout: a browser left open keeps an
    /// administrative session alive. PCI DSS 8.2.8 requires re-authentication after at most
    /// 15 minutes of inactivity.
    ///
    /// ## How to fix
    /// Remove `--token-ttl` or set it to 900 or less.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: kubernetes-dashboard, namespace: kubernetes-dashboard}
    /// spec:
    ///   selector: {matchLabels: {k8s-app: kubernetes-dashboard}}
    ///   template:
    ///     metadata: {labels: {k8s-app: kubernetes-dashboard}}
    ///     spec:
    ///       containers:
    ///         - name: kubernetes-dashboard
    ///           image: docker.io/kubernetesui/dashboard:v2.7.0
    ///           args: [--auto-generate-certificates, --token-ttl=43200]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: kubernetes-dashboard, namespace: kubernetes-dashboard}
    /// spec:
    ///   selector: {matchLabels: {k8s-app: kubernetes-dashboard}}
    ///   template:
    ///     metadata: {labels: {k8s-app: kubernetes-dashboard}}
    ///     spec:
    ///       containers:
    ///         - name: kubernetes-dashboard
    ///           image: docker.io/kubernetesui/dashboard:v2.7.0
    ///           args: [--auto-generate-certificates, --token-ttl=900]
    /// ```
    pub(crate) struct DashboardSessionTimeout {
        id: "KP7011",
        name: "dashboard-session-timeout",
        summary: "Kubernetes Dashboard sessions outlive 15 minutes idle",
        severity: Medium,
        target: Target::Kinds(&[
            "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
            "ReplicationController", "Job", "CronJob",
        ]),
        pci: ["8.2.8"],
        tags: [],
    }
}

impl Rule for DashboardSessionTimeout {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        let Some(pod) = PodTemplate::of(object) else {
            return;
        };
        for container in pod.containers().filter(is_dashboard) {
            let Some((Some(value), pointer)) = flag(&container, "token-ttl") else {
                continue;
            };
            match value.parse::<i64>() {
                Ok(0) => cx.report(pointer, "Kubernetes Dashboard runs with --token-ttl=0: sessions never expire"),
                Ok(ttl) if ttl > 900 => cx.report(
                    pointer,
                    format!("Kubernetes Dashboard sessions last {ttl} s idle (--token-ttl), more than 15 minutes"),
                ),
                _ => {}
            }
        }
    }
}
