//! The scan's side: which images of an inventory need verifying, and verifying them from
//! synchronous code.

use std::collections::BTreeSet;

use kubepci_k8s::{Inventory, POD_TEMPLATE_KINDS, PodTemplate};
use kubepci_rules::Settings;
use kubepci_rules::signatures::{ImageVerifications, Requirement};

use crate::verifier::Verifier;

/// The distinct image references of the inventory's pod templates (containers, init and
/// ephemeral containers) that a signing policy covers in a namespace whose scope asks for
/// verification. Exempt namespaces are skipped, as the pod-template rules skip them.
#[must_use]
pub fn images_to_verify(inventory: &Inventory, settings: &Settings) -> Vec<String> {
    let policy = &settings.images.signatures;
    let mut images = BTreeSet::new();
    for kind in POD_TEMPLATE_KINDS {
        for object in inventory.of_kind(kind) {
            if object
                .id
                .namespace
                .as_deref()
                .is_some_and(|ns| settings.is_exempt_namespace(ns))
                || policy.requirement(inventory.scope_of(object)) == Requirement::None
            {
                continue;
            }
            let Some(pod) = PodTemplate::of(object) else {
                continue;
            };
            for container in pod.containers() {
                if let Some(image) = container.image()
                    && policy.policy_for(image).is_some()
                {
                    images.insert(image.to_owned());
                }
            }
        }
    }
    images.into_iter().collect()
}

/// Verifies `images` on a runtime of its own (for synchronous callers such as the CLI).
///
/// # Errors
/// The runtime cannot be started.
pub fn verify_blocking(
    verifier: &Verifier,
    images: &[String],
) -> std::io::Result<ImageVerifications> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let refs: Vec<&str> = images.iter().map(String::as_str).collect();
    let verdicts = runtime.block_on(verifier.verify_all(&refs));
    Ok(verdicts
        .into_iter()
        .map(|v| v.verification)
        .collect::<Vec<_>>()
        .into())
}
