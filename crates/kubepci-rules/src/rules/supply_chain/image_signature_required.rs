use crate::rules::prelude::*;
use crate::signatures::Requirement;
use crate::support::image::ImageRef;

declare_rule! {
    /// ## What it does
    /// Where signatures are required (`images.signatures.required`, default `cde`, once
    /// `images.signatures.policies` names a policy), flags containers whose image no
    /// image-signing policy covers: no policy names the signers its signature must come
    /// from, so neither the admission webhook nor `kubepci scan --verify-images` can verify
    /// it. The rule does not run while no policy is configured.
    ///
    /// ## Why is this bad?
    /// A signature (cosign, Notary Project) proves the image came out of the approved build
    /// pipeline unmodified. An image outside every signing policy cannot be verified at
    /// admission, so anything pushed anywhere can run in the cardholder-data environment,
    /// bypassing change control (PCI DSS 6.5.1) and the inventory of approved software (6.3.2).
    ///
    /// ## How to fix
    /// Build, sign and push the image through a signed repository, or (after approving it)
    /// add its repository to the `images` of the policy naming the key or keyless identity
    /// that signs it.
    ///
    /// ## Configuration
    /// ```yaml
    /// images:
    ///   signatures:
    ///     required: cde
    ///     policies:
    ///       - name: signed-images
    ///         images: [registry.example.com/signed/**]
    ///         signers:
    ///           - cosignKey: {publicKey: keys/cosign.pub}
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
        summary: "Image no signing policy covers where signatures are required",
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
        if policy.requirement(cx.scope()) != Requirement::Required {
            return;
        }
        for container in pod.containers() {
            let Some(written) = container.image() else {
                continue;
            };
            let Some(image) = ImageRef::parse(written) else {
                continue;
            };
            if policy.policy_for(written).is_none() {
                cx.report(
                    container.pointer_to(&["image"]),
                    format!(
                        "{} image `{}` matches no image-signing policy, so nothing verifies its signature",
                        container.describe(),
                        image.full_name()
                    ),
                );
            }
        }
    }
}
