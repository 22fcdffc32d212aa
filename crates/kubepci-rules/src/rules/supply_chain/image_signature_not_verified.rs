use kubepci_model::Severity;

use crate::rules::prelude::*;
use crate::signatures::{Outcome, Requirement};

declare_rule! {
    /// ## What it does
    /// With `kubepci scan --verify-images`, flags containers whose image's signature did not
    /// verify against its image-signing policy (`images.signatures.policies`): no signature
    /// at all, a signature by a key or identity the policy does not name, a signature over
    /// another digest (the tag was moved after signing), a broken certificate chain or
    /// transparency-log entry, or a registry that could not be asked. The finding carries the
    /// reason. Where signatures are required (`images.signatures.required`, default `cde`)
    /// the finding is high; elsewhere it is a medium warning (`elsewhere: warn`). Images
    /// that verified are listed in the scan's output with their digest and signer.
    ///
    /// The rule reads what the scan found in the registries; without `--verify-images` it
    /// reports nothing.
    ///
    /// ## Why is this bad?
    /// Only a verified signature proves that the image running in the cardholder-data
    /// environment is the one the build pipeline produced and approved (PCI DSS 6.5.1,
    /// change control) and that it was not modified since (11.5.2, change detection for
    /// critical content). An image that fails verification may have been tampered with,
    /// built outside the pipeline, or replaced in the registry under the same tag.
    ///
    /// ## How to fix
    /// Sign the image's digest in the build pipeline with the policy's key or keyless
    /// identity (`cosign sign --key cosign.key registry/repo@sha256:…`, or `notation sign`)
    /// and pin the workload to that digest. If the tag was moved, find out who pushed the new
    /// image before signing it.
    ///
    /// ## Configuration
    /// ```yaml
    /// images:
    ///   signatures:
    ///     required: cde
    ///     policies:
    ///       - name: payments-images
    ///         images: [registry.example.com/payments/**]
    ///         signers:
    ///           - cosignKey: {publicKey: keys/cosign.pub}
    /// # What `kubepci scan --verify-images` found in the registry (set by the scan itself,
    /// # not a key of kubepci.yaml):
    /// imageVerifications:
    ///   - image: registry.example.com/payments/api:2.4.1
    ///     digest: sha256:9f2b7c1e5a3d4b6c8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d
    ///     policy: payments-images
    ///     outcome: rejected
    ///     reason: no signature by cosign key keys/cosign.pub signs this digest
    ///   - image: registry.example.com/payments/api:2.4.2
    ///     digest: sha256:1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d
    ///     policy: payments-images
    ///     outcome: verified
    ///     signers: [cosign key keys/cosign.pub]
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
    ///         - {name: api, image: registry.example.com/payments/api:2.4.1}
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
    ///         - {name: api, image: registry.example.com/payments/api:2.4.2}
    /// ```
    pub(crate) struct ImageSignatureNotVerified {
        id: "KP5009",
        name: "image-signature-not-verified",
        summary: "Image whose signature does not verify against its signing policy",
        severity: High,
        target: Target::PodTemplates,
        pci: ["11.5.2", "6.5.1"],
        tags: [],
    }
}

impl Rule for ImageSignatureNotVerified {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_pod(&self, pod: &PodTemplate<'_>, cx: &mut Context<'_>) {
        let verifications = &cx.settings.image_verifications;
        if verifications.is_empty() {
            return;
        }
        let policy = &cx.settings.images.signatures;
        let requirement = policy.requirement(cx.scope());
        if requirement == Requirement::None {
            return;
        }
        for container in pod.containers() {
            let Some(found) = container.image().and_then(|i| verifications.get(i)) else {
                continue;
            };
            let what = match found.outcome {
                Outcome::Verified => continue,
                Outcome::Rejected => "failed signature verification",
                Outcome::Unavailable => "could not be verified",
            };
            let note = match (requirement, found.outcome) {
                (Requirement::Required, Outcome::Unavailable) if !policy.fails_closed() => {
                    Some("a warning: registry errors are set to warn")
                }
                (Requirement::Required, _) => None,
                _ => Some("a warning outside the scope where signatures are required"),
            };
            let digest = found
                .digest
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            let reason = found.reason.as_deref().unwrap_or("no reason recorded");
            let message = format!(
                "{} image `{}`{digest} {what} against policy `{}`: {reason}{}",
                container.describe(),
                found.image,
                found.policy,
                note.map(|n| format!(" ({n})")).unwrap_or_default(),
            );
            let pointer = container.pointer_to(&["image"]);
            if note.is_none() {
                cx.report(pointer, message);
            } else {
                cx.report_at(Severity::Medium, pointer, message);
            }
        }
    }
}
