//! Which images need verifying (of an inventory for a scan, of one object at admission), and
//! verifying them from synchronous code.

use std::collections::BTreeSet;

use kubepci_k8s::{Inventory, Object, POD_TEMPLATE_KINDS, PodTemplate};
use kubepci_model::JsonPointer;
use kubepci_rules::Settings;
use kubepci_rules::settings::SignaturePolicy;
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

/// The images of one object's pod template (Pod, or any pod-template kind) that a signing
/// policy covers, each with the JSON pointer of its `image` field; in spec order, a
/// reference used twice listed once per container.
#[must_use]
pub fn covered_images(object: &Object, policy: &SignaturePolicy) -> Vec<(String, JsonPointer)> {
    let Some(pod) = PodTemplate::of(object) else {
        return Vec::new();
    };
    pod.containers()
        .filter_map(|c| {
            let image = c.image()?;
            policy
                .policy_for(image)
                .map(|_| (image.to_owned(), c.pointer_to(&["image"])))
        })
        .collect()
}

/// `image` pinned to `digest`: `repo:tag@sha256:…` keeps the tag for people and makes the
/// runtime pull the digest; an existing digest is replaced.
#[must_use]
pub fn pinned(image: &str, digest: &str) -> String {
    let name = image.split_once('@').map_or(image, |(name, _)| name);
    format!("{name}@{digest}")
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
