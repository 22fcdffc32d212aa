use crate::rules::prelude::*;
use crate::support::image::ImageRef;

declare_rule! {
    /// ## What it does
    /// Flags containers in `cde` namespaces whose image is not pinned by digest
    /// (`image@sha256:…`).
    ///
    /// ## Why is this bad?
    /// A tag is a mutable pointer: whoever can push to the registry can change what runs in
    /// the cardholder-data environment without touching a manifest, past code review and the
    /// admission webhook. A digest names exactly the image that was built, scanned and approved,
    /// which is what change control (PCI DSS 6.5.1) and the software inventory (6.3.2) need.
    ///
    /// ## How to fix
    /// Pin the image by digest (`registry.example.com/api:2.4.1@sha256:…` keeps the tag for
    /// readers); resolve digests in CI (`crane digest`, `kustomize edit set image`, Renovate).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.4.1}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments, labels: {kubepci.io/scope: cde}}
    /// ---
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
    ///           image: registry.example.com/api:2.4.1@sha256:3b1c4f8d2e0a9b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c
    /// ```
    pub(crate) struct ImageWithoutDigest {
        id: "KP5002",
        name: "image-without-digest",
        summary: "CDE image not pinned by digest",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["6.5.1", "6.3.2"],
        tags: [],
    }
}

impl Rule for ImageWithoutDigest {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        if !cx.scope().is_cde() {
            return;
        }
        for container in pod.containers() {
            let Some(image) = container.image().and_then(ImageRef::parse) else {
                continue;
            };
            if !image.is_pinned() {
                cx.report(
                    container.pointer_to(&["image"]),
                    format!(
                        "{} image `{}` in the CDE is not pinned by digest",
                        container.describe(),
                        image.full_name()
                    ),
                );
            }
        }
    }
}
