//! The signing policy with its keys, roots and identities loaded: what verification checks
//! signatures against. Loading reads every file once, at start-up; a missing or malformed
//! file is an error then, never a silent pass later.

use std::path::Path;

use kubepci_rules::settings::{SignaturePolicy, Signer, SignerRequirement};

use crate::crypto::{CertificatePool, PublicKey, certificates_from_pem};
use crate::error::PolicyError;
use crate::identity::{TrustedIdentity, Wildcard};

/// One signer with its material loaded.
#[derive(Debug, Clone)]
pub(crate) enum TrustedSigner {
    /// A cosign public key.
    Key { label: String, key: PublicKey },
    /// A keyless identity under Fulcio roots, logged in Rekor.
    Keyless {
        label: String,
        issuer: String,
        subject: Wildcard,
        fulcio: CertificatePool,
        rekor: PublicKey,
    },
    /// Notary Project: roots and accepted identities.
    Notation {
        label: String,
        roots: CertificatePool,
        identities: Vec<TrustedIdentity>,
    },
}

impl TrustedSigner {
    pub(crate) fn label(&self) -> &str {
        match self {
            TrustedSigner::Key { label, .. }
            | TrustedSigner::Keyless { label, .. }
            | TrustedSigner::Notation { label, .. } => label,
        }
    }
}

/// One policy with its signers loaded.
#[derive(Debug, Clone)]
pub(crate) struct TrustedPolicy {
    pub(crate) name: String,
    pub(crate) require: SignerRequirement,
    pub(crate) signers: Vec<TrustedSigner>,
}

/// The signing policy, loaded.
#[derive(Debug, Clone)]
pub struct TrustPolicy {
    pub(crate) settings: SignaturePolicy,
    pub(crate) policies: Vec<TrustedPolicy>,
}

fn read(path: &str) -> Result<Vec<u8>, PolicyError> {
    std::fs::read(Path::new(path)).map_err(|source| PolicyError::Read {
        path: path.to_owned(),
        source,
    })
}

fn invalid(path: &str) -> impl Fn(String) -> PolicyError + '_ {
    move |message| PolicyError::Invalid {
        path: path.to_owned(),
        message,
    }
}

fn load_signer(signer: &Signer) -> Result<TrustedSigner, PolicyError> {
    let label = signer.describe();
    Ok(match signer {
        Signer::CosignKey { public_key } => TrustedSigner::Key {
            label,
            key: PublicKey::from_pem(&read(public_key)?).map_err(invalid(public_key))?,
        },
        Signer::Keyless {
            issuer,
            subject,
            fulcio_roots,
            rekor_key,
        } => {
            let certs =
                certificates_from_pem(&read(fulcio_roots)?).map_err(invalid(fulcio_roots))?;
            TrustedSigner::Keyless {
                label,
                issuer: issuer.clone(),
                subject: Wildcard::new(subject).map_err(PolicyError::Policy)?,
                fulcio: CertificatePool::from_certificates(certs).map_err(invalid(fulcio_roots))?,
                rekor: PublicKey::from_pem(&read(rekor_key)?).map_err(invalid(rekor_key))?,
            }
        }
        Signer::Notation {
            trust_store,
            trusted_identities,
        } => {
            if trust_store.is_empty() {
                return Err(PolicyError::Policy(format!(
                    "{label}: the trust store is empty"
                )));
            }
            let mut certs = Vec::new();
            for path in trust_store {
                certs.extend(certificates_from_pem(&read(path)?).map_err(invalid(path))?);
            }
            let identities = trusted_identities
                .iter()
                .map(|t| TrustedIdentity::parse(t))
                .collect::<Result<Vec<_>, _>>()
                .map_err(PolicyError::Policy)?;
            if identities.is_empty() {
                return Err(PolicyError::Policy(format!(
                    "{label}: no trusted identity (write `*` to accept any certificate of the trust store)"
                )));
            }
            TrustedSigner::Notation {
                label,
                roots: CertificatePool::from_certificates(certs)
                    .map_err(|m| PolicyError::Policy(format!("notation trust store: {m}")))?,
                identities,
            }
        }
    })
}

impl TrustPolicy {
    /// Loads every policy's keys, roots and identities.
    ///
    /// # Errors
    /// An inconsistent policy, or a file that cannot be read or does not hold a key or
    /// certificates.
    pub fn load(settings: &SignaturePolicy) -> Result<Self, PolicyError> {
        settings.validate().map_err(PolicyError::Policy)?;
        let policies = settings
            .policies
            .iter()
            .map(|p| {
                Ok(TrustedPolicy {
                    name: p.name.clone(),
                    require: p.require,
                    signers: p
                        .signers
                        .iter()
                        .map(load_signer)
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect::<Result<Vec<_>, PolicyError>>()?;
        Ok(Self {
            settings: settings.clone(),
            policies,
        })
    }

    /// The settings it was loaded from.
    #[must_use]
    pub fn settings(&self) -> &SignaturePolicy {
        &self.settings
    }

    /// The index and policy that covers `image` (as written in a pod spec).
    pub(crate) fn policy_for(&self, image: &str) -> Option<(usize, &TrustedPolicy)> {
        let wanted = self.settings.policy_for(image)?;
        self.settings
            .policies
            .iter()
            .position(|p| std::ptr::eq(p, wanted))
            .and_then(|i| self.policies.get(i).map(|p| (i, p)))
    }
}
