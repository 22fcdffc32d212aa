use super::dashboard::{flag, is_dashboard, is_on};
use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags Kubernetes Dashboard containers (in any namespace, system namespaces included)
    /// started with `--enable-skip-login` or `--enable-insecure-login`.
    ///
    /// ## Why is this bad?
    /// Skip-login puts a "Skip" button on the login page that opens the Dashboard with the
    /// Dashboard's own service account, so anyone who reaches it acts without authenticating,
    /// often with wide permissions (the Tesla cluster compromise started this way).
    /// Insecure login accepts credentials over plain HTTP. PCI DSS 8.3.1 requires all access
    /// to be authenticated; 2.2.4 and 2.2.5 that unnecessary and insecure functions be off.
    ///
    /// ## How to fix
    /// Remove both flags; sign in with a bearer token or through an authenticating proxy, and
    /// give the Dashboard's own service account no permissions beyond its needs.
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
    ///           args: [--auto-generate-certificates, --enable-skip-login]
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
    ///           args: [--auto-generate-certificates]
    /// ```
    pub(crate) struct DashboardSkipLogin {
        id: "KP7010",
        name: "dashboard-skip-login",
        summary: "Kubernetes Dashboard allows access without login",
        severity: Critical,
        target: Target::Kinds(&[
            "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
            "ReplicationController", "Job", "CronJob",
        ]),
        pci: ["8.3.1", "2.2.4", "2.2.5"],
        tags: [],
    }
}

impl Rule for DashboardSkipLogin {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        let Some(pod) = PodTemplate::of(object) else {
            return;
        };
        for container in pod.containers().filter(is_dashboard) {
            for (name, what) in [
                ("enable-skip-login", "lets anyone skip the login page"),
                ("enable-insecure-login", "accepts logins over plain HTTP"),
            ] {
                if let Some((value, pointer)) = flag(&container, name)
                    && is_on(value)
                {
                    cx.report(
                        pointer,
                        format!("Kubernetes Dashboard runs with --{name}: it {what}"),
                    );
                }
            }
        }
    }
}
