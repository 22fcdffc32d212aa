//! The image-signature policy as rules and verifiers read it: which policy covers an image,
//! what a namespace's scope requires, and the verification results a scan hands to KP5009.
//!
//! Verification itself (registries, signature formats, cryptography) lives in the
//! `kubepci-imagesig` crate; this module is pure so that the rules stay free of I/O.

use std::collections::BTreeMap;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use kubepci_model::Scope;
use serde::{Deserialize, Serialize};

use crate::settings::{
    ImageSigningPolicy, OutsideRequiredScope, RegistryErrorMode, SignaturePolicy,
};
use crate::support::image::{ImageRef, normalise_prefix};

/// The compiled image globs of one policy.
#[derive(Debug, Clone)]
pub(crate) struct ImagePatterns(GlobSet);

fn compile(patterns: &[String]) -> Result<ImagePatterns, String> {
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        let normalised = normalise_prefix(pattern);
        if normalised.is_empty() {
            return Err(format!("image pattern `{pattern}` is empty"));
        }
        let glob = GlobBuilder::new(&normalised)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("image pattern `{pattern}`: {}", e.kind()))?;
        set.add(glob);
    }
    set.build()
        .map(ImagePatterns)
        .map_err(|e| format!("image patterns: {e}"))
}

/// What a namespace's scope asks of an image's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    /// Nothing is checked.
    None,
    /// A failed verification is a warning.
    Warn,
    /// A failed verification denies the image.
    Required,
}

impl SignaturePolicy {
    /// Whether any policy is configured (nothing is required or verified otherwise).
    #[must_use]
    pub fn is_active(&self) -> bool {
        !self.policies.is_empty()
    }

    /// Checks every policy: a name, at least one image glob and one signer, valid globs.
    ///
    /// # Errors
    /// A message naming the faulty policy.
    pub fn validate(&self) -> Result<(), String> {
        for (i, policy) in self.policies.iter().enumerate() {
            let name = if policy.name.is_empty() {
                format!("images.signatures.policies[{i}]")
            } else {
                format!("images.signatures policy `{}`", policy.name)
            };
            if policy.images.is_empty() {
                return Err(format!("{name} lists no images"));
            }
            if policy.signers.is_empty() {
                return Err(format!("{name} lists no signers"));
            }
            compile(&policy.images).map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(())
    }

    fn compiled(&self) -> &[ImagePatterns] {
        self.compiled.get_or_init(|| {
            self.policies
                .iter()
                // Invalid globs were reported by `validate`; here they match nothing.
                .map(|p| compile(&p.images).unwrap_or(ImagePatterns(GlobSet::empty())))
                .collect()
        })
    }

    /// The first policy whose image globs match `image` (a reference as written in a pod
    /// spec), or `None` for an image no policy covers or a reference that names no image.
    #[must_use]
    pub fn policy_for(&self, image: &str) -> Option<&ImageSigningPolicy> {
        let image = ImageRef::parse(image)?;
        let name = image.full_name();
        self.compiled()
            .iter()
            .position(|patterns| patterns.0.is_match(&name))
            .and_then(|i| self.policies.get(i))
    }

    /// What a namespace of `scope` requires.
    #[must_use]
    pub fn requirement(&self, scope: Scope) -> Requirement {
        if !self.is_active() {
            Requirement::None
        } else if self.required.covers(scope) {
            Requirement::Required
        } else if self.elsewhere == OutsideRequiredScope::Warn {
            Requirement::Warn
        } else {
            Requirement::None
        }
    }

    /// Whether an unreachable registry denies where signatures are required.
    #[must_use]
    pub fn fails_closed(&self) -> bool {
        self.registry.on_error == RegistryErrorMode::Deny
    }
}

/// The result of verifying one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The policy's signers signed this digest.
    Verified,
    /// The registry answered, and the signatures do not satisfy the policy.
    Rejected,
    /// The registry could not be asked (time-out, refused connection, server error).
    Unavailable,
}

impl Outcome {
    /// `verified`, `rejected` or `unavailable`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Verified => "verified",
            Outcome::Rejected => "rejected",
            Outcome::Unavailable => "unavailable",
        }
    }
}

/// What verifying one image reference found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImageVerification {
    /// The reference as the pod spec writes it.
    pub image: String,
    /// The digest it resolved to (`sha256:…`), when the registry answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The policy that applied.
    pub policy: String,
    /// Verified, rejected or unavailable.
    pub outcome: Outcome,
    /// The signers whose signatures verified (see [`crate::settings::Signer::describe`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signers: Vec<String>,
    /// Why the image was rejected or could not be verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Verification results by image reference, as `kubepci scan --verify-images` hands them to
/// the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<ImageVerification>", into = "Vec<ImageVerification>")]
pub struct ImageVerifications(BTreeMap<String, ImageVerification>);

impl From<Vec<ImageVerification>> for ImageVerifications {
    fn from(list: Vec<ImageVerification>) -> Self {
        Self(list.into_iter().map(|v| (v.image.clone(), v)).collect())
    }
}

impl From<ImageVerifications> for Vec<ImageVerification> {
    fn from(v: ImageVerifications) -> Self {
        v.0.into_values().collect()
    }
}

impl ImageVerifications {
    /// The result for an image reference as written.
    #[must_use]
    pub fn get(&self, image: &str) -> Option<&ImageVerification> {
        self.0.get(image)
    }

    /// Every result, by image reference.
    pub fn iter(&self) -> impl Iterator<Item = &ImageVerification> {
        self.0.values()
    }

    /// Whether no image was verified (verification did not run).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{SignatureScope, Signer};

    fn policy(images: &[&str]) -> SignaturePolicy {
        let mut p = SignaturePolicy::default();
        let one = ImageSigningPolicy {
            name: "payments".into(),
            images: images.iter().map(|s| (*s).to_owned()).collect(),
            signers: vec![Signer::CosignKey {
                public_key: "cosign.pub".into(),
            }],
            ..ImageSigningPolicy::default()
        };
        p.policies.push(one);
        p
    }

    #[test]
    fn globs_match_normalised_names_segment_by_segment() {
        let p = policy(&["registry.pay.example/payments/*", "nginx"]);
        assert!(
            p.policy_for("registry.pay.example/payments/api:1")
                .is_some()
        );
        assert!(
            p.policy_for("REGISTRY.pay.example/payments/api@sha256:ab")
                .is_some()
        );
        assert!(
            p.policy_for("registry.pay.example/payments/team/api:1")
                .is_none(),
            "`*` stays within one segment"
        );
        assert!(
            p.policy_for("registry.pay.example.evil.io/payments/api")
                .is_none()
        );
        assert!(
            p.policy_for("nginx:1.27").is_some(),
            "docker.io/library/nginx"
        );
        assert!(p.policy_for("docker.io/library/nginx").is_some());
        let deep = policy(&["registry.pay.example/**"]);
        assert!(deep.policy_for("registry.pay.example/a/b/c:1").is_some());
        assert!(deep.policy_for("${IMAGE}").is_none());
    }

    #[test]
    fn scope_decides_what_is_required() {
        let mut p = policy(&["registry.pay.example/**"]);
        assert_eq!(p.requirement(Scope::Cde), Requirement::Required);
        assert_eq!(p.requirement(Scope::Connected), Requirement::Warn);
        p.required = SignatureScope::InScope;
        assert_eq!(p.requirement(Scope::Unscoped), Requirement::Required);
        assert_eq!(p.requirement(Scope::OutOfScope), Requirement::Warn);
        p.elsewhere = OutsideRequiredScope::Off;
        assert_eq!(p.requirement(Scope::OutOfScope), Requirement::None);
        assert_eq!(
            SignaturePolicy::default().requirement(Scope::Cde),
            Requirement::None,
            "nothing is required without a policy"
        );
    }

    #[test]
    fn invalid_policies_are_reported() {
        assert!(policy(&["registry.pay.example/[a"]).validate().is_err());
        assert!(policy(&[]).validate().is_err());
        let mut p = policy(&["a.example/**"]);
        p.policies[0].signers.clear();
        assert!(
            p.validate()
                .is_err_and(|e| e.contains("payments") && e.contains("signers"))
        );
        assert!(policy(&["a.example/**"]).validate().is_ok());
    }

    #[test]
    fn verifications_round_trip_as_a_list() {
        let list = vec![ImageVerification {
            image: "registry.pay.example/payments/api:1".into(),
            digest: Some("sha256:ab".into()),
            policy: "payments".into(),
            outcome: Outcome::Verified,
            signers: vec!["cosign key cosign.pub".into()],
            reason: None,
        }];
        let v = ImageVerifications::from(list.clone());
        assert_eq!(
            v.get("registry.pay.example/payments/api:1")
                .map(|v| v.outcome),
            Some(Outcome::Verified)
        );
        assert_eq!(Vec::from(v), list);
    }
}
