use serde::Serialize;

/// PCI scope of a namespace (label `kubepci.io/scope`), or of a cluster-scoped object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Stores, processes or transmits cardholder data.
    Cde,
    /// Can reach the CDE or affect its security.
    Connected,
    /// Proven out of scope.
    OutOfScope,
    /// No scope declared: treated as `connected` until segmentation is proven (the PCI default).
    Unscoped,
    /// A cluster-scoped object (ClusterRole, Node, …): it affects every namespace.
    Cluster,
}

impl Scope {
    /// The label value or report name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Cde => "cde",
            Scope::Connected => "connected",
            Scope::OutOfScope => "out-of-scope",
            Scope::Unscoped => "unscoped",
            Scope::Cluster => "cluster",
        }
    }

    /// Parses a `kubepci.io/scope` label value. `unscoped` and `cluster` are not label values.
    #[must_use]
    pub fn from_label(value: &str) -> Option<Self> {
        match value {
            "cde" => Some(Scope::Cde),
            "connected" => Some(Scope::Connected),
            "out-of-scope" => Some(Scope::OutOfScope),
            _ => None,
        }
    }

    /// Whether PCI requirements apply: everything except a proven `out-of-scope`.
    #[must_use]
    pub const fn in_scope(self) -> bool {
        !matches!(self, Scope::OutOfScope)
    }

    /// Whether the namespace holds the cardholder-data environment itself.
    #[must_use]
    pub const fn is_cde(self) -> bool {
        matches!(self, Scope::Cde)
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
