use crate::rules::prelude::*;
use crate::support::image::ImageRef;

declare_rule! {
    /// ## What it does
    /// Flags containers in in-scope namespaces whose image is referenced by tag (no digest)
    /// and whose effective `imagePullPolicy` is not `Always`: set to `IfNotPresent` or
    /// `Never`, or unset with a version tag (Kubernetes then defaults to `IfNotPresent`).
    /// Images pinned by digest pass whatever the policy.
    ///
    /// ## Why is this bad?
    /// With `IfNotPresent` a node reuses whatever image it already holds under that tag: a
    /// re-pushed tag is not picked up, and a pod can start from an image another workload
    /// pulled with other registry credentials, without the registry checking that this pod may
    /// use it. Pulling every time (or pinning the digest) keeps image identity and access
    /// re-validated (PCI DSS 6.5.1, 7.2.5).
    ///
    /// ## How to fix
    /// Pin the image by digest, or set `imagePullPolicy: Always` (or enable the
    /// `AlwaysPullImages` admission plugin).
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
    ///         - name: api
    ///           image: registry.example.com/api:2.4.1
    ///           imagePullPolicy: IfNotPresent
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
    ///         - name: api
    ///           image: registry.example.com/api:2.4.1
    ///           imagePullPolicy: Always
    /// ```
    pub(crate) struct ImagePullPolicy {
        id: "KP5004",
        name: "image-pull-policy-not-always",
        summary: "Tag-referenced image not pulled on every start",
        severity: Low,
        target: Target::PodTemplates,
        pci: ["6.5.1", "7.2.5"],
        tags: [],
    }
}

impl Rule for ImagePullPolicy {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        if !cx.scope().in_scope() {
            return;
        }
        for container in pod.containers() {
            let Some(image) = container.image().and_then(ImageRef::parse) else {
                continue;
            };
            if image.is_pinned() {
                continue;
            }
            let explicit = container.get(&["imagePullPolicy"]).and_then(Node::as_str);
            let effective = explicit.unwrap_or(match image.tag {
                None | Some("latest") => "Always",
                Some(_) => "IfNotPresent",
            });
            if effective == "Always" {
                continue;
            }
            let message = match explicit {
                Some(policy) => format!(
                    "{} pulls tag-referenced image `{}` with imagePullPolicy {policy}",
                    container.describe(),
                    image.full_name()
                ),
                None => format!(
                    "{} sets no imagePullPolicy: tag-referenced image `{}` defaults to IfNotPresent",
                    container.describe(),
                    image.full_name()
                ),
            };
            cx.report(container.pointer_to(&["imagePullPolicy"]), message);
        }
    }
}
