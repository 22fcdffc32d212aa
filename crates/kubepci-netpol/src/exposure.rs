//! How traffic from outside the cluster can arrive at a workload, before NetworkPolicy:
//! LoadBalancer and NodePort Services, external IPs, Ingress and Gateway API routes (through
//! their proxy), host ports and the host network.

use std::collections::HashMap;

use kubepci_k8s::{Inventory, Object};
use kubepci_model::{JsonPointer, Node};
use serde::Serialize;

use crate::ip::IpSet;
use crate::model::{DEFAULT_NAMESPACE, Network, Workload};
use crate::ports::{PortSet, Protocol};
use crate::selector::{Labels, labels_of};

/// `spec.type` of a Service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceType {
    /// `ClusterIP` (the default).
    ClusterIp,
    /// `NodePort`.
    NodePort,
    /// `LoadBalancer`.
    LoadBalancer,
    /// `ExternalName`.
    ExternalName,
}

/// A Service's `targetPort`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetPort {
    /// A number.
    Number(u16),
    /// A container port name.
    Name(String),
}

/// One entry of a Service's `ports`.
#[derive(Clone, Debug)]
pub struct ServicePort {
    /// `name`.
    pub name: Option<String>,
    /// `port`.
    pub port: u16,
    /// `targetPort` (default: `port`).
    pub target: TargetPort,
    /// `protocol` (default TCP).
    pub protocol: Protocol,
    /// Where it is written.
    pub pointer: JsonPointer,
}

/// A Service and the workloads it selects.
#[derive(Clone, Debug)]
pub struct Service<'a> {
    /// The object.
    pub object: &'a Object,
    /// Its namespace.
    pub namespace: usize,
    /// `spec.type`.
    pub service_type: ServiceType,
    /// `spec.selector` (empty: the Service selects no pod).
    pub selector: Labels,
    /// `spec.ports`.
    pub ports: Vec<ServicePort>,
    /// `spec.externalIPs`.
    pub external_ips: Vec<String>,
    /// `spec.loadBalancerSourceRanges`, when set and valid.
    pub source_ranges: Option<IpSet>,
    /// Workloads it selects (indices into [`Network::workloads`]).
    pub backends: Vec<usize>,
}

impl ServicePort {
    /// The pod ports this Service port forwards to on one workload.
    #[must_use]
    pub fn target_on(&self, workload: &Workload<'_>) -> PortSet {
        match &self.target {
            TargetPort::Number(n) => PortSet::single(self.protocol, *n),
            TargetPort::Name(name) => workload
                .named_ports(name, self.protocol)
                .fold(PortSet::none(), |acc, p| {
                    acc.union(&PortSet::single(self.protocol, p))
                }),
        }
    }
}

/// How an exposure reaches the workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ExposureKind {
    /// A `LoadBalancer` Service.
    LoadBalancer,
    /// A `NodePort` Service.
    NodePort,
    /// A Service with `externalIPs`.
    ExternalIp,
    /// An Ingress (through the ingress controller).
    Ingress,
    /// A Gateway API route (through the gateway).
    Route,
    /// A container `hostPort`.
    HostPort,
    /// `hostNetwork: true`.
    HostNetwork,
}

impl ExposureKind {
    /// Whether traffic arrives through a proxy (ingress controller, gateway) whose own
    /// address is the source NetworkPolicy sees.
    #[must_use]
    pub const fn is_proxied(self) -> bool {
        matches!(self, ExposureKind::Ingress | ExposureKind::Route)
    }

    /// How reports name it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ExposureKind::LoadBalancer => "LoadBalancer",
            ExposureKind::NodePort => "NodePort",
            ExposureKind::ExternalIp => "externalIPs",
            ExposureKind::Ingress => "Ingress",
            ExposureKind::Route => "Route",
            ExposureKind::HostPort => "hostPort",
            ExposureKind::HostNetwork => "hostNetwork",
        }
    }
}

/// One way traffic from outside the cluster can reach a workload, before NetworkPolicy.
#[derive(Clone, Debug)]
pub struct Exposure<'a> {
    /// The workload (index into [`Network::workloads`]).
    pub workload: usize,
    /// How.
    pub kind: ExposureKind,
    /// The object that declares it (Service, Ingress, route, or the workload itself).
    pub object: &'a Object,
    /// Where it is declared.
    pub pointer: JsonPointer,
    /// The pod ports traffic arrives on.
    pub ports: PortSet,
    /// Source addresses the path admits; `None` when the traffic arrives through a proxy.
    pub sources: Option<IpSet>,
    /// A short description (`LoadBalancer 443→TCP/8443`, `host shop.example.com/`).
    pub detail: String,
}

pub(crate) fn services<'a>(net: &Network<'a>, inventory: &'a Inventory) -> Vec<Service<'a>> {
    // Workloads by (namespace, label, value): a selector's first label narrows the search.
    let mut by_label: HashMap<(usize, &str, &str), Vec<usize>> = HashMap::new();
    for (w, workload) in net.workloads.iter().enumerate() {
        for (k, v) in &workload.labels {
            by_label
                .entry((workload.namespace, k.as_str(), v.as_str()))
                .or_default()
                .push(w);
        }
    }
    let mut out = Vec::new();
    for object in inventory.of_kind("Service") {
        if object.api_version() != "v1" {
            continue;
        }
        let Some(namespace) = net.namespace_of(object) else {
            continue;
        };
        let spec = object.root.get("spec");
        let get = |key: &str| spec.and_then(|s| s.get(key));
        let service_type = match get("type").and_then(Node::as_str) {
            Some("NodePort") => ServiceType::NodePort,
            Some("LoadBalancer") => ServiceType::LoadBalancer,
            Some("ExternalName") => ServiceType::ExternalName,
            _ => ServiceType::ClusterIp,
        };
        let selector = labels_of(get("selector"));
        let ports_ptr = JsonPointer::root().key("spec").key("ports");
        let ports = get("ports")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let port = p
                    .get("port")
                    .and_then(Node::as_i64)
                    .and_then(|n| u16::try_from(n).ok())?;
                let target = match p.get("targetPort").map(|t| &t.value) {
                    Some(kubepci_model::Value::Int(n)) => {
                        TargetPort::Number(u16::try_from(*n).ok().filter(|n| *n > 0)?)
                    }
                    Some(kubepci_model::Value::Str(s)) => match s.parse::<u16>() {
                        Ok(n) => TargetPort::Number(n),
                        Err(_) => TargetPort::Name(s.to_string()),
                    },
                    _ => TargetPort::Number(port),
                };
                Some(ServicePort {
                    name: p.get("name").and_then(Node::as_str).map(str::to_owned),
                    port,
                    target,
                    protocol: p
                        .get("protocol")
                        .and_then(Node::as_str)
                        .and_then(Protocol::parse)
                        .unwrap_or(Protocol::Tcp),
                    pointer: ports_ptr.index(i),
                })
            })
            .collect();
        let external_ips = get("externalIPs")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .map(str::to_owned)
            .collect();
        let ranges: Vec<&str> = get("loadBalancerSourceRanges")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .map(str::trim)
            .collect();
        let source_ranges = if ranges.is_empty() {
            None
        } else {
            IpSet::from_cidrs(&ranges).ok()
        };
        let backends = match selector.iter().next() {
            Some((k, v)) if service_type != ServiceType::ExternalName => by_label
                .get(&(namespace, k.as_str(), v.as_str()))
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .copied()
                .filter(|&w| {
                    selector
                        .iter()
                        .all(|(k, v)| net.workloads[w].labels.get(k) == Some(v))
                })
                .collect(),
            _ => Vec::new(),
        };
        out.push(Service {
            object,
            namespace,
            service_type,
            selector,
            ports,
            external_ips,
            source_ranges,
            backends,
        });
    }
    out
}

pub(crate) fn collect<'a>(net: &Network<'a>, inventory: &'a Inventory) -> Vec<Exposure<'a>> {
    let mut out = Vec::new();
    let by_name: HashMap<(usize, &str), usize> = net
        .services()
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.namespace, s.object.name()), i))
        .collect();
    for service in net.services() {
        service_exposures(net, service, &mut out);
    }
    for object in inventory.of_kind("Ingress") {
        if object.group() != "networking.k8s.io" && object.group() != "extensions" {
            continue;
        }
        ingress_exposures(net, object, &by_name, &mut out);
    }
    for kind in ["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"] {
        for object in inventory.of_kind(kind) {
            if object.group() == "gateway.networking.k8s.io" {
                route_exposures(net, object, &by_name, &mut out);
            }
        }
    }
    for (w, workload) in net.workloads.iter().enumerate() {
        if workload.host_network {
            out.push(Exposure {
                workload: w,
                kind: ExposureKind::HostNetwork,
                object: workload.object,
                pointer: workload.template.pointer(&["hostNetwork"]),
                ports: PortSet::all(),
                sources: Some(IpSet::all()),
                detail: "hostNetwork: listens on the node's addresses".to_owned(),
            });
        }
        for port in &workload.ports {
            if let Some(host_port) = port.host_port {
                out.push(Exposure {
                    workload: w,
                    kind: ExposureKind::HostPort,
                    object: workload.object,
                    pointer: port.pointer.key("hostPort"),
                    ports: PortSet::single(port.protocol, port.port),
                    sources: Some(IpSet::all()),
                    detail: format!("hostPort {host_port}→{}/{}", port.protocol, port.port),
                });
            }
        }
    }
    out
}

fn service_exposures<'a>(net: &Network<'a>, service: &Service<'a>, out: &mut Vec<Exposure<'a>>) {
    let spec = JsonPointer::root().key("spec");
    let mut kinds = Vec::new();
    match service.service_type {
        ServiceType::LoadBalancer => kinds.push((
            ExposureKind::LoadBalancer,
            spec.key("type"),
            service.source_ranges.clone().unwrap_or_else(IpSet::all),
        )),
        ServiceType::NodePort => {
            kinds.push((ExposureKind::NodePort, spec.key("type"), IpSet::all()))
        }
        ServiceType::ClusterIp | ServiceType::ExternalName => {}
    }
    if !service.external_ips.is_empty() {
        kinds.push((
            ExposureKind::ExternalIp,
            spec.key("externalIPs"),
            IpSet::all(),
        ));
    }
    for (kind, pointer, sources) in kinds {
        for &w in &service.backends {
            let workload = &net.workloads[w];
            let mut ports = PortSet::none();
            let mut mapping = Vec::new();
            for p in &service.ports {
                let target = p.target_on(workload);
                if !target.is_empty() {
                    mapping.push(format!("{}→{}", p.port, target));
                }
                ports.add(&target);
            }
            if ports.is_empty() {
                continue;
            }
            out.push(Exposure {
                workload: w,
                kind,
                object: service.object,
                pointer: pointer.clone(),
                ports,
                sources: Some(sources.clone()),
                detail: format!("{} {}", kind.as_str(), mapping.join(", ")),
            });
        }
    }
}

/// A Service port referenced by number or name.
#[derive(Clone, Copy)]
enum PortRef<'n> {
    Number(u16),
    Name(&'n str),
}

fn backend_ports(
    net: &Network<'_>,
    service: &Service<'_>,
    port: Option<PortRef<'_>>,
    w: usize,
) -> PortSet {
    service
        .ports
        .iter()
        .filter(|p| match port {
            None => true,
            Some(PortRef::Number(n)) => p.port == n,
            Some(PortRef::Name(name)) => p.name.as_deref() == Some(name),
        })
        .fold(PortSet::none(), |acc, p| {
            acc.union(&p.target_on(&net.workloads[w]))
        })
}

#[allow(clippy::too_many_arguments)]
fn push_proxied<'a>(
    net: &Network<'a>,
    service: &Service<'a>,
    port: Option<PortRef<'_>>,
    kind: ExposureKind,
    object: &'a Object,
    pointer: JsonPointer,
    detail: &str,
    out: &mut Vec<Exposure<'a>>,
) {
    for &w in &service.backends {
        let ports = backend_ports(net, service, port, w);
        if ports.is_empty() {
            continue;
        }
        out.push(Exposure {
            workload: w,
            kind,
            object,
            pointer: pointer.clone(),
            ports,
            sources: None,
            detail: detail.to_owned(),
        });
    }
}

fn ingress_exposures<'a>(
    net: &Network<'a>,
    object: &'a Object,
    by_name: &HashMap<(usize, &str), usize>,
    out: &mut Vec<Exposure<'a>>,
) {
    let Some(ns) = net.namespace_of(object) else {
        return;
    };
    let spec_ptr = JsonPointer::root().key("spec");
    let Some(spec) = object.root.get("spec") else {
        return;
    };
    let class = spec
        .get("ingressClassName")
        .and_then(Node::as_str)
        .or_else(|| object.annotation("kubernetes.io/ingress.class"));
    let class = class.map_or_else(String::new, |c| format!(", class {c}"));
    let mut backends: Vec<(&Node, JsonPointer, String)> = Vec::new();
    for key in ["defaultBackend", "backend"] {
        if let Some(b) = spec.get(key) {
            backends.push((b, spec_ptr.key(key), "default backend".to_owned()));
        }
    }
    for (i, rule) in spec
        .get("rules")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let host = rule
            .get("host")
            .and_then(Node::as_str)
            .filter(|h| !h.is_empty())
            .unwrap_or("*");
        for (j, path) in rule
            .path(&["http", "paths"])
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if let Some(b) = path.get("backend") {
                let p = path.get("path").and_then(Node::as_str).unwrap_or("/");
                backends.push((
                    b,
                    spec_ptr
                        .key("rules")
                        .index(i)
                        .key("http")
                        .key("paths")
                        .index(j)
                        .key("backend"),
                    format!("host {host}{p}"),
                ));
            }
        }
    }
    for (backend, pointer, what) in backends {
        // networking.k8s.io/v1: service.{name, port.{number|name}}; v1beta1: serviceName,
        // servicePort.
        let (name, port_node) = match backend.get("service") {
            Some(s) => (
                s.get("name").and_then(Node::as_str),
                s.get("port")
                    .and_then(|p| p.get("number").or_else(|| p.get("name"))),
            ),
            None => (
                backend.get("serviceName").and_then(Node::as_str),
                backend.get("servicePort"),
            ),
        };
        let Some(&svc) = name.and_then(|n| by_name.get(&(ns, n))) else {
            continue;
        };
        let port = port_node.and_then(|p| match &p.value {
            kubepci_model::Value::Int(n) => u16::try_from(*n).ok().map(PortRef::Number),
            kubepci_model::Value::Str(s) => Some(PortRef::Name(s)),
            _ => None,
        });
        let detail = format!("{what}{class}");
        push_proxied(
            net,
            &net.services()[svc],
            port,
            ExposureKind::Ingress,
            object,
            pointer,
            &detail,
            out,
        );
    }
}

fn route_exposures<'a>(
    net: &Network<'a>,
    object: &'a Object,
    by_name: &HashMap<(usize, &str), usize>,
    out: &mut Vec<Exposure<'a>>,
) {
    let route_ns = object.namespace().unwrap_or(DEFAULT_NAMESPACE);
    let gateways: Vec<String> = object
        .root
        .path(&["spec", "parentRefs"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| {
            let name = p.get("name").and_then(Node::as_str)?;
            let ns = p
                .get("namespace")
                .and_then(Node::as_str)
                .unwrap_or(route_ns);
            Some(format!("{ns}/{name}"))
        })
        .collect();
    let via = if gateways.is_empty() {
        "no parent gateway".to_owned()
    } else {
        format!("gateway {}", gateways.join(", "))
    };
    let rules_ptr = JsonPointer::root().key("spec").key("rules");
    for (i, rule) in object
        .root
        .path(&["spec", "rules"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        for (j, backend) in rule
            .get("backendRefs")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let kind = backend
                .get("kind")
                .and_then(Node::as_str)
                .unwrap_or("Service");
            let group = backend.get("group").and_then(Node::as_str).unwrap_or("");
            if kind != "Service" || !(group.is_empty() || group == "core") {
                continue;
            }
            let ns = backend
                .get("namespace")
                .and_then(Node::as_str)
                .unwrap_or(route_ns);
            let Some(ns) = net.namespace_index(ns) else {
                continue;
            };
            let Some(&svc) = backend
                .get("name")
                .and_then(Node::as_str)
                .and_then(|n| by_name.get(&(ns, n)))
            else {
                continue;
            };
            let port = backend
                .get("port")
                .and_then(Node::as_i64)
                .and_then(|p| u16::try_from(p).ok())
                .map(PortRef::Number);
            let detail = via.clone();
            push_proxied(
                net,
                &net.services()[svc],
                port,
                ExposureKind::Route,
                object,
                rules_ptr.index(i).key("backendRefs").index(j),
                &detail,
                out,
            );
        }
    }
}
