use crate::rules::prelude::*;
use crate::support::image::ImageRef;

declare_rule! {
    /// ## What it does
    /// Flags workloads (in any namespace, system namespaces included) that run Helm v2's
    /// Tiller: an image named `tiller` (`gcr.io/kubernetes-helm/tiller`,
    /// `ghcr.io/helm/tiller`), or the labels `app: helm` and `name: tiller` Helm put on it.
    ///
    /// ## Why is this bad?
    /// Tiller is an in-cluster service with cluster-admin rights that, by default, accepts
    /// unauthenticated gRPC requests from any pod: one compromised pod installs whatever it
    /// likes. Helm v2 has been unsupported since 2020. PCI DSS 2.2.4 requires unnecessary
    /// services to be removed, 2.2.5 insecure ones to be justified and secured.
    ///
    /// ## How to fix
    /// Migrate releases to Helm 3 (`helm-2to3`), which needs no in-cluster component, and
    /// delete the Tiller Deployment, Service and service account.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: tiller-deploy, namespace: kube-system}
    /// spec:
    ///   selector: {matchLabels: {app: helm, name: tiller}}
    ///   template:
    ///     metadata: {labels: {app: helm, name: tiller}}
    ///     spec:
    ///       containers:
    ///         - {name: tiller, image: gcr.io/kubernetes-helm/tiller:v2.17.0}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: chartmuseum, namespace: tools}
    /// spec:
    ///   selector: {matchLabels: {app: chartmuseum}}
    ///   template:
    ///     metadata: {labels: {app: chartmuseum}}
    ///     spec:
    ///       containers:
    ///         - {name: chartmuseum, image: ghcr.io/helm/chartmuseum:v0.16.2}
    /// ```
    pub(crate) struct HelmTiller {
        id: "KP7012",
        name: "helm-tiller",
        summary: "Helm v2 Tiller is deployed",
        severity: High,
        target: Target::Kinds(&[
            "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
            "ReplicationController", "Job", "CronJob",
        ]),
        pci: ["2.2.4", "2.2.5"],
        tags: [],
    }
}

impl Rule for HelmTiller {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        let Some(pod) = PodTemplate::of(object) else {
            return;
        };
        let by_image = pod.containers().find(|c| {
            c.image()
                .and_then(ImageRef::parse)
                .is_some_and(|i| i.basename() == "tiller")
        });
        if let Some(container) = by_image {
            cx.report(
                container.pointer_to(&["image"]),
                format!(
                    "{} runs Helm v2 Tiller: cluster-admin behind an unauthenticated gRPC port",
                    container.describe()
                ),
            );
        } else if pod.label("app") == Some("helm") && pod.label("name") == Some("tiller") {
            cx.report(
                pod.metadata_pointer.key("labels"),
                "workload is labelled as Helm v2 Tiller: cluster-admin behind an unauthenticated gRPC port",
            );
        }
    }
}
