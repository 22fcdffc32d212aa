//! Loading Kubernetes manifests and viewing them as Kubernetes objects.
//!
//! - [`load`]: bytes of a file or of stdin → [`Object`]s that keep their file and line, plus
//!   input errors (a document that does not parse is reported with file:line and the load goes
//!   on) and counts of skipped documents. Multi-document YAML, JSON, `kind: List` and
//!   `kubectl get -o json` output are understood.
//! - [`source`]: files, directories (recursive: `.yaml`, `.yml`, `.json`) and stdin → inputs.
//! - [`PodTemplate`]: the pod spec inside every pod-template kind, its containers and their
//!   *effective* security context (pod-level values inherited where Kubernetes inherits them).
//! - [`Inventory`]: every loaded object plus the PCI scope of every namespace.
//!
//! The parsers are bounded: documents nesting deeper than [`MAX_DEPTH`] or expanding aliases
//! beyond [`MAX_NODES`] are input errors, never a stack overflow or an out-of-memory.

mod error;
mod inventory;
mod json;
mod load;
mod object;
mod scalar;
pub mod source;
mod workload;
mod yaml;

pub use error::{InputError, InputErrorKind};
pub use inventory::{
    Inventory, LabelKeys, NamespaceInfo, SCOPE_LABEL, SECURITY_LEVEL_LABEL, STORES_CHD_LABEL,
    ScopeSource, ZONE_LABEL,
};
pub use load::{KindFilter, LoadStats, Loaded, load};
pub use object::{Object, is_cluster_scoped};
pub use workload::{Container, ContainerKind, POD_TEMPLATE_KINDS, PodTemplate, SecurityContext};
pub use yaml::{MAX_DEPTH, MAX_NODES};
