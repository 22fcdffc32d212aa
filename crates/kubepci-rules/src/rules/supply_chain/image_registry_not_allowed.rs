use crate::rules::prelude::*;
use crate::support::image::{ImageRef, first_prefix};

declare_rule! {
    /// ## What it does
    /// Flags containers in in-scope namespaces (everything except `out-of-scope`) whose image
    /// does not come from a registry listed in `images.allowedRegistries`. Prefixes match at a
    /// `/` boundary only (`registry.example.com/` does not match
    /// `registry.example.com.evil.io/…`), and Docker Hub short names are compared as
    /// `docker.io/library/…`. The rule does not run while the list is empty.
    ///
    /// ## Why is this bad?
    /// Images from arbitrary registries bypass the pipeline that scans, signs and patches
    /// images: nobody tracks their vulnerabilities (PCI DSS 6.3.3), they enter production
    /// outside change control (6.5.1), and a typo-squatted or compromised public image runs
    /// with the workload's credentials. An allowlist of approved registries is part of the
    /// configuration standard (2.2.1).
    ///
    /// ## How to fix
    /// Mirror the image into an approved registry (and scan it there), or add the registry to
    /// `images.allowedRegistries` after approving it.
    ///
    /// ## Configuration
    /// ```yaml
    /// images:
    ///   allowedRegistries: [registry.example.com/]
    /// ```
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///         - {name: api, image: registry.example.com.evil.io/api:2.4.1}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///         - {name: api, image: registry.example.com/api:2.4.1}
    /// ```
    pub(crate) struct ImageRegistryNotAllowed {
        id: "KP5003",
        name: "image-registry-not-allowed",
        summary: "Image from a registry outside the allowlist",
        severity: High,
        target: Target::PodTemplates,
        pci: ["6.3.3", "6.5.1", "2.2.1"],
        tags: [],
    }
}

impl Rule for ImageRegistryNotAllowed {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        let allowed = &cx.settings.images.allowed_registries;
        if allowed.is_empty() || !cx.scope().in_scope() {
            return;
        }
        for container in pod.containers() {
            let Some(image) = container.image().and_then(ImageRef::parse) else {
                continue;
            };
            if first_prefix(&image, allowed).is_none() {
                cx.report(
                    container.pointer_to(&["image"]),
                    format!(
                        "{} image `{}` is not from an allowed registry ({})",
                        container.describe(),
                        image.full_name(),
                        allowed.join(", ")
                    ),
                );
            }
        }
    }
}
