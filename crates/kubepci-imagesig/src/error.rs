//! Errors: a policy that cannot be loaded, and a registry that cannot be asked.

/// The signing policy cannot be loaded (at start-up, never at verification time).
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A key, certificate or credentials file cannot be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A file does not hold what its key says it holds.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The policy itself is inconsistent (see `SignaturePolicy::validate`).
    #[error("{0}")]
    Policy(String),
}

/// A registry could not answer a question about an image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// Time-out, refused connection, TLS failure or a server error: the registry could not be
    /// asked. Where signatures are required this fails closed unless configured otherwise.
    #[error("registry {registry} is unavailable: {message}")]
    Unavailable {
        /// The registry host.
        registry: String,
        /// What happened.
        message: String,
    },
    /// The registry refused the credentials (or asked for some and none were configured).
    #[error("registry {registry} refused access to {repository}: {message}")]
    Unauthorized {
        /// The registry host.
        registry: String,
        /// The repository.
        repository: String,
        /// What the registry said.
        message: String,
    },
    /// The manifest or blob does not exist.
    #[error("{what} not found in {registry}/{repository}")]
    NotFound {
        /// The registry host.
        registry: String,
        /// The repository.
        repository: String,
        /// The tag, digest or blob asked for.
        what: String,
    },
    /// The registry answered something the distribution spec does not allow, or content
    /// that does not match its digest, or that is larger than accepted.
    #[error("registry {registry}: {message}")]
    Protocol {
        /// The registry host.
        registry: String,
        /// What is wrong.
        message: String,
    },
    /// The reference names no image this crate can look up.
    #[error("`{reference}` is not a valid image reference: {message}")]
    Reference {
        /// The reference as written.
        reference: String,
        /// Why.
        message: String,
    },
}

impl RegistryError {
    /// Whether the registry could not be asked at all (the failure mode applies), rather than
    /// answering that something is missing or wrong.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        matches!(self, RegistryError::Unavailable { .. })
    }
}
