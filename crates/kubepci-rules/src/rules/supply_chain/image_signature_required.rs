use crate::rules::prelude::*;
use crate::settings::SignatureScope;
use crate::support::image::{ImageRef, first_prefix};

declare_rule! {
    /// ## What it does
    /// When `images.signatures.required` is `cde` (or `in-scope`), flags containers in those
    /// namespaces whose image is outside `images.signatures.registries`, the registries whose
    /// images are signed and whose signatures the admission webhook verifies. The rule does not
    /// run while signatures are not required.
    ///
    /// ## Why is this bad?
    /// A signature (cosign, Notation) proves the image came out of the approved build
    /// pipeline unmodified. An image outside the signed registries cannot be verified at
    /// admission, so anything pushed anywhere can run in the cardholder-data environment,
    /// bypassing change control (PCI DSS 6.5.1) and the inventory of approved software (6.3.2).
    ///
    /// ## How to fix
    /// Build, sign and push the image through the signed registry, or (after approving it)
    /// add its registry to `images.signatures.registries` together with the key or keyless
    /// identity that signs it.
    ///
    /// ## Configuration
    /// ```yaml
    /// images:
    ///   signatures:
    ///     required: cde
    ///     registries: [registry.example.com/signed/]
    ///     publicKeys: [k8s://kubepci/cosign-public-key]
    /// ```
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
    ///         - {name: api, image: registry.example.com/unsigned/api:2.4.1}
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
    ///         - {name: api, image: registry.example.com/signed/api:2.4.1}
    /// ```
    pub(crate) struct ImageSignatureRequired {
        id: "KP5005",
        name: "image-outside-signed-registries",
        summary: "Image outside the signed registries where signatures are required",
        severity: High,
        target: Target::PodTemplates,
        pci: ["6.5.1", "6.3.2"],
        tags: [],
    }
}

impl Rule for ImageSignatureRequired {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        let policy = &cx.settings.images.signatures;
        let applies = match policy.required {
            SignatureScope::Off => false,
            SignatureScope::Cde => cx.scope().is_cde(),
            SignatureScope::InScope => cx.scope().in_scope(),
        };
        if !applies {
            return;
        }
        for container in pod.containers() {
            let Some(image) = container.image().and_then(ImageRef::parse) else {
                continue;
            };
            if first_prefix(&image, &policy.registries).is_none() {
                cx.report(
                    container.pointer_to(&["image"]),
                    format!(
                        "{} image `{}` is outside the signed registries, so its signature cannot be verified",
                        container.describe(),
                        image.full_name()
                    ),
                );
            }
        }
    }
}
