//! Verifying an image: resolve, fetch every signature artifact, check each against the
//! policy's signers, decide, remember.

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime};

use kubepci_rules::settings::{SignaturePolicy, SignerRequirement};
use kubepci_rules::signatures::{ImageVerification, Outcome};
use oci_client::Reference;
use oci_client::manifest::{ImageIndexEntry, OciDescriptor};
use serde::Deserialize;

use crate::cache::Cache;
use crate::credentials::Credentials;
use crate::error::{PolicyError, RegistryError};
use crate::media_types::{COSE, JWS, NOTARY_SIGNATURE, SIGSTORE_BUNDLE_PREFIX};
use crate::registry::{Manifest, Registry, RegistryOptions};
use crate::trust::{TrustPolicy, TrustedPolicy};
use crate::{bundle, cosign, notation};

/// Referrers beyond this many are not read (an image has a handful of signatures).
const MAX_REFERRERS: usize = 32;

/// One signature artifact checked against one signer (or against nothing, when the
/// artifact itself is unusable).
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    format: &'static str,
    signer: Option<usize>,
    result: Result<(), String>,
}

impl Attempt {
    pub(crate) fn new(format: &'static str, signer: usize, result: Result<(), String>) -> Self {
        Self {
            format,
            signer: Some(signer),
            result,
        }
    }

    pub(crate) fn failed(format: &'static str, signer: Option<usize>, reason: String) -> Self {
        Self {
            format,
            signer,
            result: Err(reason),
        }
    }

    /// Why it failed, if it did.
    pub(crate) fn reason(&self) -> Option<&str> {
        self.result.as_ref().err().map(String::as_str)
    }
}

/// A verification result, as cached by digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) outcome: Outcome,
    pub(crate) signers: Vec<String>,
    pub(crate) reason: Option<String>,
}

/// The verification of one image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// What was found: digest, outcome, signers or reason.
    pub verification: ImageVerification,
    /// Whether the signatures came from the cache (no signature was fetched).
    pub cached: bool,
}

/// Verifies images against the signing policy. Share one per process: it holds the
/// registry connections, tokens and the result cache.
#[derive(Debug)]
pub struct Verifier {
    trust: TrustPolicy,
    registry: Registry,
    cache: Cache,
    deadline: Duration,
}

impl Verifier {
    /// A verifier over a loaded policy and a registry client.
    #[must_use]
    pub fn new(trust: TrustPolicy, registry: Registry) -> Self {
        let settings = trust.settings();
        let cache = Cache::new(
            Duration::from_secs(u64::from(settings.cache.ttl_seconds)),
            usize::try_from(settings.cache.max_entries).unwrap_or(usize::MAX),
        );
        let deadline = Duration::from_secs(u64::from(settings.registry.timeout_seconds.max(1)));
        Self {
            trust,
            registry,
            cache,
            deadline,
        }
    }

    /// Loads the policy's files (keys, roots, credentials, registry CA) and builds the
    /// registry client.
    ///
    /// # Errors
    /// Any file that cannot be read or does not hold what it should.
    pub fn from_settings(settings: &SignaturePolicy) -> Result<Self, PolicyError> {
        let trust = TrustPolicy::load(settings)?;
        let credentials = match &settings.registry.credentials {
            Some(path) => Credentials::from_file(path)?,
            None => Credentials::default(),
        };
        let mut ca_pem = Vec::new();
        for path in &settings.registry.ca_files {
            let pem = std::fs::read(path).map_err(|source| PolicyError::Read {
                path: path.clone(),
                source,
            })?;
            crate::crypto::certificates_from_pem(&pem).map_err(|message| PolicyError::Invalid {
                path: path.clone(),
                message,
            })?;
            ca_pem.push(pem);
        }
        let registry = Registry::new(RegistryOptions {
            credentials,
            ca_pem,
            timeout: Duration::from_secs(u64::from(settings.registry.timeout_seconds.max(1))),
        })?;
        Ok(Self::new(trust, registry))
    }

    /// The policy it verifies against.
    #[must_use]
    pub fn policy(&self) -> &SignaturePolicy {
        self.trust.settings()
    }

    /// Verifies one image reference as a pod spec writes it. `None` when no policy covers
    /// the image (nothing to verify).
    pub async fn verify(&self, image: &str) -> Option<Verdict> {
        let (index, policy) = self.trust.policy_for(image)?;
        let start = Instant::now();
        let (digest, decision, cached) =
            match tokio::time::timeout(self.deadline, self.verify_with(index, policy, image)).await
            {
                Ok(found) => found,
                Err(_) => (
                    None,
                    Decision {
                        outcome: Outcome::Unavailable,
                        signers: Vec::new(),
                        reason: Some(format!(
                            "verification did not finish within {} s (registry time-out)",
                            self.deadline.as_secs()
                        )),
                    },
                    false,
                ),
            };
        tracing::info!(
            image,
            digest = digest.as_deref().unwrap_or("-"),
            policy = %policy.name,
            outcome = ?decision.outcome,
            cached,
            elapsed_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX),
            "image signature verification"
        );
        Some(Verdict {
            verification: ImageVerification {
                image: image.to_owned(),
                digest,
                policy: policy.name.clone(),
                outcome: decision.outcome,
                signers: decision.signers,
                reason: decision.reason,
            },
            cached,
        })
    }

    /// Verifies several images concurrently; the result lists those a policy covers, in
    /// input order.
    pub async fn verify_all(&self, images: &[&str]) -> Vec<Verdict> {
        futures_util::future::join_all(images.iter().map(|i| self.verify(i)))
            .await
            .into_iter()
            .flatten()
            .collect()
    }

    async fn verify_with(
        &self,
        index: usize,
        policy: &TrustedPolicy,
        image: &str,
    ) -> (Option<String>, Decision, bool) {
        let reference = match Registry::reference(image) {
            Ok(r) => r,
            Err(e) => return (None, rejected(e.to_string()), false),
        };
        // A digest reference needs no registry round-trip when its result is cached.
        let pinned = reference.digest().map(str::to_owned);
        if let Some(digest) = &pinned
            && let Some(hit) = self.cache.get(index, digest, Instant::now())
        {
            return (pinned, hit, true);
        }
        let manifest = match self.registry.manifest(&reference).await {
            Ok(m) => m,
            Err(e) => return (pinned, from_registry_error(&e, image), false),
        };
        let digest = manifest.digest.clone();
        if pinned.is_none()
            && let Some(hit) = self.cache.get(index, &digest, Instant::now())
        {
            return (Some(digest), hit, true);
        }
        let at_digest = reference.clone_with_digest(digest.clone());
        let decision = match self.collect(&at_digest, &manifest, policy).await {
            Ok(attempts) => decide(policy, &attempts, &digest, reference.tag()),
            Err(e) => from_registry_error(&e, image),
        };
        if decision.outcome != Outcome::Unavailable {
            self.cache
                .insert(index, &digest, decision.clone(), Instant::now());
        }
        (Some(digest), decision, false)
    }

    /// Every signature artifact of the digest, checked.
    async fn collect(
        &self,
        reference: &Reference,
        manifest: &Manifest,
        policy: &TrustedPolicy,
    ) -> Result<Vec<Attempt>, RegistryError> {
        let digest = &manifest.digest;
        let (cosign_sigs, referrers) = futures_util::future::join(
            cosign::fetch(&self.registry, reference, digest),
            self.registry.referrers(reference),
        )
        .await;
        let mut attempts = Vec::new();
        let mut unavailable = None;
        match cosign_sigs {
            Ok(sigs) => {
                for sig in &sigs {
                    attempts.extend(with_fallback(
                        cosign::check(sig, digest, &policy.signers),
                        "cosign signature",
                        "the policy names no cosign key or keyless identity",
                    ));
                }
            }
            Err(e) if e.is_unavailable() => unavailable = Some(e),
            Err(e) => attempts.push(Attempt::failed("cosign signature", None, e.to_string())),
        }
        match referrers {
            Ok(entries) => {
                let checked = futures_util::future::join_all(
                    entries
                        .iter()
                        .filter(|e| is_signature(e))
                        .take(MAX_REFERRERS)
                        .map(|e| self.check_referrer(reference, manifest, e, policy)),
                )
                .await;
                for result in checked {
                    match result {
                        Ok(found) => attempts.extend(found),
                        Err(e) if e.is_unavailable() => unavailable = Some(e),
                        Err(e) => attempts.push(Attempt::failed("referrer", None, e.to_string())),
                    }
                }
            }
            Err(e) if e.is_unavailable() => unavailable = Some(e),
            Err(e) => attempts.push(Attempt::failed("referrers", None, e.to_string())),
        }
        // A missing answer only matters if what was found does not already suffice.
        match unavailable {
            Some(e) if !satisfies(policy, &attempts) => Err(e),
            _ => Ok(attempts),
        }
    }

    async fn check_referrer(
        &self,
        reference: &Reference,
        manifest: &Manifest,
        entry: &ImageIndexEntry,
        policy: &TrustedPolicy,
    ) -> Result<Vec<Attempt>, RegistryError> {
        #[derive(Deserialize)]
        struct Artifact {
            #[serde(default)]
            layers: Vec<OciDescriptor>,
            #[serde(default)]
            subject: Option<OciDescriptor>,
        }
        let kind = entry.artifact_type.as_deref().unwrap_or_default();
        let format = if kind == NOTARY_SIGNATURE {
            "Notary Project signature"
        } else {
            "Sigstore bundle"
        };
        let at = reference.clone_with_digest(entry.digest.clone());
        let artifact = self.registry.manifest(&at).await?;
        let Ok(parsed) = serde_json::from_slice::<Artifact>(&artifact.bytes) else {
            return Ok(vec![Attempt::failed(
                format,
                None,
                "its manifest is malformed".into(),
            )]);
        };
        if parsed.subject.as_ref().map(|s| s.digest.as_str()) != Some(manifest.digest.as_str()) {
            return Ok(vec![Attempt::failed(
                format,
                None,
                format!("its manifest's subject is not {}", manifest.digest),
            )]);
        }
        let Some(layer) = parsed.layers.first() else {
            return Ok(vec![Attempt::failed(
                format,
                None,
                "its manifest has no layer".into(),
            )]);
        };
        if kind == NOTARY_SIGNATURE {
            if layer.media_type == COSE {
                return Ok(vec![Attempt::failed(
                    format,
                    None,
                    "it is a COSE envelope; kubepci verifies the JWS envelope".into(),
                )]);
            }
            if layer.media_type != JWS {
                return Ok(vec![Attempt::failed(
                    format,
                    None,
                    format!("unknown envelope type {}", layer.media_type),
                )]);
            }
            let envelope = self
                .registry
                .blob(reference, layer, notation::MAX_ENVELOPE_BYTES)
                .await?;
            Ok(with_fallback(
                notation::check(
                    &envelope,
                    &manifest.digest,
                    &manifest.media_type,
                    manifest.bytes.len(),
                    &policy.signers,
                    SystemTime::now(),
                ),
                format,
                "the policy names no Notary Project trust store",
            ))
        } else {
            let json = self
                .registry
                .blob(reference, layer, bundle::MAX_BUNDLE_BYTES)
                .await?;
            Ok(with_fallback(
                bundle::check(&json, &manifest.digest, &manifest.bytes, &policy.signers),
                format,
                "the policy names no cosign key or keyless identity",
            ))
        }
    }
}

fn is_signature(entry: &ImageIndexEntry) -> bool {
    entry
        .artifact_type
        .as_deref()
        .is_some_and(|t| t == NOTARY_SIGNATURE || t.starts_with(SIGSTORE_BUNDLE_PREFIX))
}

/// A signature no signer of the policy could even try still says why it did not count.
fn with_fallback(attempts: Vec<Attempt>, format: &'static str, reason: &str) -> Vec<Attempt> {
    if attempts.is_empty() {
        vec![Attempt::failed(format, None, reason.to_owned())]
    } else {
        attempts
    }
}

fn satisfied(attempts: &[Attempt]) -> BTreeSet<usize> {
    attempts
        .iter()
        .filter(|a| a.result.is_ok())
        .filter_map(|a| a.signer)
        .collect()
}

fn satisfies(policy: &TrustedPolicy, attempts: &[Attempt]) -> bool {
    let done = satisfied(attempts);
    match policy.require {
        SignerRequirement::Any => !done.is_empty(),
        SignerRequirement::All => (0..policy.signers.len()).all(|i| done.contains(&i)),
    }
}

fn rejected(reason: String) -> Decision {
    Decision {
        outcome: Outcome::Rejected,
        signers: Vec::new(),
        reason: Some(reason),
    }
}

fn from_registry_error(error: &RegistryError, image: &str) -> Decision {
    if error.is_unavailable() {
        Decision {
            outcome: Outcome::Unavailable,
            signers: Vec::new(),
            reason: Some(error.to_string()),
        }
    } else if let RegistryError::NotFound { .. } = error {
        rejected(format!(
            "image `{image}` does not exist in the registry ({error})"
        ))
    } else {
        rejected(error.to_string())
    }
}

/// The policy's verdict over every attempt.
fn decide(
    policy: &TrustedPolicy,
    attempts: &[Attempt],
    digest: &str,
    tag: Option<&str>,
) -> Decision {
    let done = satisfied(attempts);
    let labels = |set: &mut dyn Iterator<Item = usize>| -> Vec<String> {
        set.filter_map(|i| policy.signers.get(i).map(|s| s.label().to_owned()))
            .collect()
    };
    if satisfies(policy, attempts) {
        return Decision {
            outcome: Outcome::Verified,
            signers: labels(&mut done.iter().copied()),
            reason: None,
        };
    }
    let named = match tag {
        Some(tag) => format!("{digest} (what tag `{tag}` names now)"),
        None => digest.to_owned(),
    };
    if attempts.is_empty() {
        return rejected(format!(
            "no signature signs {named}: no `{}` tag and no Sigstore bundle or Notary Project signature among its referrers",
            cosign::signature_tag(digest)
        ));
    }
    let mut reasons: Vec<String> = Vec::new();
    for attempt in attempts {
        if let Some(reason) = attempt.reason() {
            let line = format!("{}: {reason}", attempt.format);
            if !reasons.contains(&line) {
                reasons.push(line);
            }
        }
    }
    let shown = reasons.len().min(4);
    let mut reason = match policy.require {
        SignerRequirement::All if !done.is_empty() => {
            let missing: Vec<usize> = (0..policy.signers.len())
                .filter(|i| !done.contains(i))
                .collect();
            format!(
                "{named} lacks a verified signature by {}",
                labels(&mut missing.into_iter()).join(", ")
            )
        }
        _ => format!("no signature by a signer of the policy verifies for {named}"),
    };
    reason.push_str(": ");
    reason.push_str(&reasons[..shown].join("; "));
    if reasons.len() > shown {
        reason.push_str(&format!(" (and {} more)", reasons.len() - shown));
    }
    rejected(reason)
}
