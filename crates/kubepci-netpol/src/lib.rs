//! Kubernetes NetworkPolicy semantics, evaluated exactly, and the reachability matrix they
//! produce: which workloads can open connections to which workloads and ports, what can be
//! reached from outside the cluster, and whether anything crosses the boundary of the
//! cardholder-data environment (CDE).
//!
//! - [`Network::build`] reads an [`Inventory`](kubepci_k8s::Inventory): namespaces (labels,
//!   PCI scope, zone), workloads (the owning object of every pod template, its pod labels
//!   and container ports), NetworkPolicies (validated and defaulted as the API server does;
//!   invalid ones have no effect and are listed), Cilium/Calico/AdminNetworkPolicy objects
//!   (plain default-denies are analysed as their NetworkPolicy equivalent; anything else
//!   marks the namespaces it may affect as *unanalysed*), Services and the exposures that
//!   let traffic in from outside (LoadBalancer, NodePort, externalIPs, Ingress, Gateway API
//!   routes, hostPort, hostNetwork).
//! - [`Evaluator`] answers, for any pair of workloads, the set of ports a connection is
//!   allowed on (egress of the source **and** ingress of the destination), and what
//!   addresses outside the cluster may connect in or be reached.
//! - [`Report`] is the whole matrix with the verdict, rendered as a table, versioned JSON or
//!   Graphviz DOT; [`find_breaches`] computes only the paths across the CDE boundary.
//!
//! The crate is pure: no I/O, no async, deterministic output. docs/segmentation.md describes
//! the model, what "outside the cluster" means and what is not analysed.

mod crd;
mod eval;
mod exposure;
mod ip;
mod model;
mod policy;
mod ports;
mod ranges;
mod report;
mod selector;

pub use eval::Evaluator;
pub use exposure::{Exposure, ExposureKind, Service, ServicePort, ServiceType, TargetPort};
pub use ip::{Cidr, IpSet};
pub use model::{
    ContainerPort, DEFAULT_NAMESPACE, DEFAULT_POD_CIDRS, INPUT_KINDS, InvalidPolicy,
    NAMESPACE_NAME_LABEL, Namespace, Network, Options, PRIVATE_CIDRS, Workload,
};
pub use policy::{
    Direction, Peer, Policy, PolicyError, PolicyOrigin, PolicyRule, PortMatch, PortSpec,
    is_network_policy, is_valid_port_name,
};
pub use ports::{PORT_MAX, PORT_MIN, PortRange, PortSet, Protocol};
pub use report::{
    Breach, BreachKind, Connection, FoundBreach, Inbound, InvalidEntry, NamespaceEntry, Outbound,
    REPORT_VERSION, Report, Status, Verdict, Via, WorkloadEntry, find_breaches,
};
pub use selector::{Expression, Labels, Operator, Selector, labels_of};
