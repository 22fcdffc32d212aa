use kubepci_model::Position;

/// A problem with one document of the input. Loading goes on with the next document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{}:{}: {kind}", position.line, position.column)]
pub struct InputError {
    /// The file as named on the command line (`-` for stdin).
    pub file: String,
    /// Where the problem is.
    pub position: Position,
    /// What the problem is.
    pub kind: InputErrorKind,
}

/// What went wrong with a document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InputErrorKind {
    /// The YAML does not parse.
    #[error("invalid YAML: {0}")]
    Yaml(String),
    /// The JSON does not parse.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A mapping names the same key twice (Kubernetes rejects this too).
    #[error("duplicate key `{0}`")]
    DuplicateKey(String),
    /// Nesting deeper than the limit.
    #[error("document nests deeper than {0} levels")]
    TooDeep(usize),
    /// Alias expansion or size beyond the limit.
    #[error("document expands to more than {0} values")]
    TooLarge(usize),
    /// A YAML alias names no anchor, or a mapping key is not a scalar.
    #[error("unsupported YAML: {0}")]
    Unsupported(String),
    /// The file is not valid UTF-8.
    #[error("file is not valid UTF-8")]
    NotUtf8,
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(String),
    /// An object's `apiVersion`, `kind` or `metadata` has the wrong type.
    #[error("malformed object: {0}")]
    MalformedObject(String),
}
