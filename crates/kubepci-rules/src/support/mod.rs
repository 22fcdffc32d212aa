//! Building blocks shared by rules: image references, label selectors, scheduling
//! (tolerations, node affinity), the whole-cluster heuristic, component matching and the RBAC
//! index. Each is pure and cheap; indexes over the whole input are built once per inventory
//! through [`Inventory::derived`](kubepci_k8s::Inventory::derived).

pub(crate) mod admission;
pub(crate) mod base64;
pub(crate) mod cluster;
pub(crate) mod component;
pub(crate) mod image;
pub(crate) mod rbac;
pub(crate) mod schedule;
pub(crate) mod selector;
pub(crate) mod subject;
pub(crate) mod workloads;
