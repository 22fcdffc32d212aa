use crate::rules::prelude::*;
use crate::support::image::ImageRef;

declare_rule! {
    /// ## What it does
    /// Flags containers (including init and ephemeral containers) whose image has no tag or
    /// the tag `latest`, and no digest. Unrendered template references (`${IMAGE}`,
    /// `{{ .Values.image }}`) are skipped.
    ///
    /// ## Why is this bad?
    /// `latest` (which an untagged reference means) points at whatever was pushed last: two
    /// nodes can run different code under the same manifest, a rollback does not roll back,
    /// and nobody can say which version of a component is deployed. PCI DSS 6.5.1 requires
    /// changes to production to follow a controlled procedure and 6.3.2 an inventory of the
    /// software in use; neither holds when the version is decided at pull time.
    ///
    /// ## How to fix
    /// Reference an immutable version: a release tag (`:2.4.1`) or, better, a digest
    /// (`@sha256:…`), which your CI can resolve when it renders the manifests.
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
    ///         - {name: api, image: registry.example.com/api:latest}
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
    pub(crate) struct ImageLatestTag {
        id: "KP5001",
        name: "image-latest-tag",
        summary: "Image uses the latest tag or no tag",
        severity: Medium,
        target: Target::PodTemplates,
        pci: ["6.5.1", "6.3.2"],
        tags: [],
    }
}

impl Rule for ImageLatestTag {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        for container in pod.containers() {
            let Some(image) = container.image().and_then(ImageRef::parse) else {
                continue;
            };
            if image.is_pinned() {
                continue;
            }
            let message = match image.tag {
                None => format!(
                    "{} image `{}` has no tag and runs whatever `latest` is at pull time",
                    container.describe(),
                    image.full_name()
                ),
                Some("latest") => format!(
                    "{} image `{}` uses the mutable `latest` tag",
                    container.describe(),
                    image.full_name()
                ),
                Some(_) => continue,
            };
            cx.report(container.pointer_to(&["image"]), message);
        }
    }
}
