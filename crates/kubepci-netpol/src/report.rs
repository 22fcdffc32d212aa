//! The segmentation report: the reachability matrix, what reaches in from outside the cluster
//! and out to it, the paths that cross the CDE boundary and the verdict; rendered as a
//! table, versioned JSON (docs/segmentation.md) or Graphviz DOT.

use std::fmt::Write as _;

use kubepci_model::Scope;
use serde::Serialize;

use crate::eval::Evaluator;
use crate::ip::IpSet;
use crate::model::Network;
use crate::policy::Direction;
use crate::ports::{PortRange, PortSet};

/// Version of the JSON format. Bumped on any incompatible change.
pub const REPORT_VERSION: u32 = 1;

/// The whole report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// Whether the CDE is segmented.
    pub verdict: Verdict,
    /// Every namespace.
    pub namespaces: Vec<NamespaceEntry>,
    /// Every workload.
    pub workloads: Vec<WorkloadEntry>,
    /// Allowed connections between workloads (pairs with no allowed port are left out).
    pub connections: Vec<Connection>,
    /// Connections from outside the cluster.
    pub inbound: Vec<Inbound>,
    /// Connections to outside the cluster.
    pub outbound: Vec<Outbound>,
    /// Paths that cross the CDE boundary.
    pub breaches: Vec<Breach>,
    /// NetworkPolicies the API server would reject (they have no effect).
    pub invalid_policies: Vec<InvalidEntry>,
}

/// The verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// `segmented`, `breached`, `unproven` or `no-cde`.
    pub status: Status,
    /// One sentence.
    pub summary: String,
}

/// The verdict's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Nothing out of scope and nothing outside (but DMZ exposures) reaches the CDE, and the
    /// CDE reaches nothing out of scope.
    Segmented,
    /// Some path crosses the CDE boundary.
    Breached,
    /// No crossing path was proven, but policies kubepci does not analyse affect namespaces
    /// that matter (paths through them follow from the Kubernetes policies alone).
    Unproven,
    /// No workload is in a `cde` namespace.
    NoCde,
}

impl Status {
    /// The JSON spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Segmented => "segmented",
            Status::Breached => "breached",
            Status::Unproven => "unproven",
            Status::NoCde => "no-cde",
        }
    }
}

/// One namespace.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceEntry {
    /// Name.
    pub name: String,
    /// PCI scope.
    pub scope: Scope,
    /// Zone label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Whether the zone is a DMZ.
    pub dmz: bool,
    /// Whether every policy affecting it was analysed.
    pub analysed: bool,
    /// Why not.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unanalysed: Vec<String>,
    /// Its workloads.
    pub workloads: usize,
    /// Whether every pod is isolated for ingress / egress (a default-deny or equivalent).
    pub default_deny: Isolation,
}

/// Per-direction flags.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Isolation {
    /// Ingress.
    pub ingress: bool,
    /// Egress.
    pub egress: bool,
}

/// One workload.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadEntry {
    /// `namespace/name` (the kind is added when two workloads share a name).
    pub id: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Kind of the owning object.
    pub kind: String,
    /// PCI scope of its namespace.
    pub scope: Scope,
    /// Whether some policy selects it, per direction.
    pub isolated: Isolation,
    /// `hostNetwork: true`.
    pub host_network: bool,
    /// Labelled as a store of cardholder data.
    pub stores_chd: bool,
}

/// An allowed connection between two workloads.
#[derive(Debug, Clone, Serialize)]
pub struct Connection {
    /// Source workload id.
    pub from: String,
    /// Destination workload id.
    pub to: String,
    /// Destination ports.
    pub ports: Vec<PortRange>,
}

/// How traffic from outside arrives.
#[derive(Debug, Clone, Serialize)]
pub struct Via {
    /// `LoadBalancer`, `NodePort`, `externalIPs`, `Ingress`, `Route`, `hostPort` or
    /// `hostNetwork`.
    pub kind: &'static str,
    /// The declaring object (`Kind namespace/name`).
    pub object: String,
    /// Details (Service ports, host and path, gateway).
    pub detail: String,
}

/// Connections from outside the cluster to a workload.
#[derive(Debug, Clone, Serialize)]
pub struct Inbound {
    /// Destination workload id.
    pub to: String,
    /// The path.
    pub via: Via,
    /// Destination (pod) ports reached.
    pub ports: Vec<PortRange>,
    /// Source CIDRs that get through; absent when traffic is relayed by a proxy (ingress
    /// controller or gateway), whose own reach decides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<String>>,
}

/// Connections from a workload to outside the cluster.
#[derive(Debug, Clone, Serialize)]
pub struct Outbound {
    /// Source workload id.
    pub from: String,
    /// Destination CIDRs.
    pub destinations: Vec<String>,
    /// Destination ports.
    pub ports: Vec<PortRange>,
}

/// What kind of boundary a breach crosses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BreachKind {
    /// An out-of-scope workload can connect to a CDE workload.
    OutOfScopeToCde,
    /// A CDE workload can connect to an out-of-scope workload.
    CdeToOutOfScope,
    /// Something outside the cluster can connect to a CDE workload outside a DMZ.
    OutsideToCde,
}

/// A path across the CDE boundary.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Breach {
    /// The boundary crossed.
    pub kind: BreachKind,
    /// Source workload id, or `outside`.
    pub from: String,
    /// Destination workload id.
    pub to: String,
    /// Destination ports.
    pub ports: Vec<PortRange>,
    /// For `outside-to-cde`: the path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<Via>,
    /// Whether an end's namespace has policies kubepci does not analyse (the path follows
    /// from the Kubernetes policies alone).
    pub unanalysed: bool,
}

/// An invalid NetworkPolicy.
#[derive(Debug, Clone, Serialize)]
pub struct InvalidEntry {
    /// `namespace/name`.
    pub policy: String,
    /// Why the API server would reject it.
    pub reason: String,
}

/// A crossing found by [`find_breaches`], with indices for rules that report on objects.
#[derive(Debug, Clone)]
pub struct FoundBreach {
    /// The boundary crossed.
    pub kind: BreachKind,
    /// Source workload (`None`: outside the cluster).
    pub from: Option<usize>,
    /// Destination workload.
    pub to: usize,
    /// Destination ports.
    pub ports: PortSet,
    /// For `outside-to-cde`: the exposure (index into [`Network::exposures`]).
    pub exposure: Option<usize>,
    /// Whether an end's namespace is not fully analysed.
    pub unanalysed: bool,
}

/// Every path across the CDE boundary. Costs `|CDE| × |out-of-scope|` pair evaluations plus
/// one per exposure of a CDE workload.
#[must_use]
pub fn find_breaches(eval: &Evaluator<'_, '_>) -> Vec<FoundBreach> {
    let net = eval.network();
    let scope = |w: usize| net.namespace_of_workload(w).scope;
    let analysed = |w: usize| net.namespace_of_workload(w).is_analysed();
    let cde: Vec<usize> = (0..net.workloads.len())
        .filter(|&w| scope(w).is_cde())
        .collect();
    let out_of_scope: Vec<usize> = (0..net.workloads.len())
        .filter(|&w| scope(w) == Scope::OutOfScope)
        .collect();
    let mut out = Vec::new();
    for &o in &out_of_scope {
        for &c in &cde {
            for (kind, from, to) in [
                (BreachKind::OutOfScopeToCde, o, c),
                (BreachKind::CdeToOutOfScope, c, o),
            ] {
                let ports = eval.allowed(from, to);
                if !ports.is_empty() {
                    out.push(FoundBreach {
                        kind,
                        from: Some(from),
                        to,
                        ports,
                        exposure: None,
                        unanalysed: !analysed(from) || !analysed(to),
                    });
                }
            }
        }
    }
    for (i, exposure) in net.exposures().iter().enumerate() {
        let to = exposure.workload;
        let ns = net.namespace_of_workload(to);
        if !ns.scope.is_cde() || ns.is_dmz(&net.options) {
            continue;
        }
        if let Some((ports, _)) = eval.through(exposure) {
            out.push(FoundBreach {
                kind: BreachKind::OutsideToCde,
                from: None,
                to,
                ports,
                exposure: Some(i),
                unanalysed: !analysed(to),
            });
        }
    }
    out.sort_by_key(|b| (b.kind, b.to, b.from, b.exposure));
    out
}

fn via(net: &Network<'_>, exposure: usize) -> Via {
    let e = &net.exposures()[exposure];
    Via {
        kind: e.kind.as_str(),
        object: crate::model::object_name(e.object),
        detail: e.detail.clone(),
    }
}

impl Report {
    /// Computes the report: every ordered pair of workloads, every exposure, every egress
    /// rule towards outside the cluster.
    #[must_use]
    pub fn compute(net: &Network<'_>) -> Report {
        let eval = Evaluator::new(net);
        let n = net.workloads.len();
        let id = |w: usize| net.workloads[w].id.clone();
        let mut connections = Vec::new();
        for src in 0..n {
            for dst in 0..n {
                let ports = eval.allowed(src, dst);
                if !ports.is_empty() {
                    connections.push(Connection {
                        from: id(src),
                        to: id(dst),
                        ports: ports.ranges(),
                    });
                }
            }
        }
        let mut inbound = Vec::new();
        for (i, exposure) in net.exposures().iter().enumerate() {
            if let Some((ports, sources)) = eval.through(exposure) {
                inbound.push(Inbound {
                    to: id(exposure.workload),
                    via: via(net, i),
                    ports: ports.ranges(),
                    sources: sources.as_ref().map(IpSet::to_cidrs),
                });
            }
        }
        let mut outbound = Vec::new();
        for src in 0..n {
            for (ips, ports) in eval.egress_to_outside(src) {
                outbound.push(Outbound {
                    from: id(src),
                    destinations: ips.to_cidrs(),
                    ports: ports.ranges(),
                });
            }
        }
        let breaches: Vec<Breach> = find_breaches(&eval)
            .into_iter()
            .map(|b| Breach {
                kind: b.kind,
                from: b.from.map_or_else(|| "outside".to_owned(), id),
                to: id(b.to),
                ports: b.ports.ranges(),
                via: b.exposure.map(|e| via(net, e)),
                unanalysed: b.unanalysed,
            })
            .collect();
        let namespaces: Vec<NamespaceEntry> = net
            .namespaces
            .iter()
            .enumerate()
            .map(|(i, ns)| NamespaceEntry {
                name: ns.name.clone(),
                scope: ns.scope,
                zone: ns.zone.clone(),
                dmz: ns.is_dmz(&net.options),
                analysed: ns.is_analysed(),
                unanalysed: ns.unanalysed.clone(),
                workloads: net.workloads_in(i).len(),
                default_deny: Isolation {
                    ingress: !ns.isolated_by[Direction::Ingress as usize].is_empty(),
                    egress: !ns.isolated_by[Direction::Egress as usize].is_empty(),
                },
            })
            .collect();
        let workloads = net
            .workloads
            .iter()
            .enumerate()
            .map(|(w, workload)| WorkloadEntry {
                id: workload.id.clone(),
                namespace: net.namespaces[workload.namespace].name.clone(),
                name: workload.object.name().to_owned(),
                kind: workload.object.kind().to_owned(),
                scope: net.namespaces[workload.namespace].scope,
                isolated: Isolation {
                    ingress: net.is_isolated(w, Direction::Ingress),
                    egress: net.is_isolated(w, Direction::Egress),
                },
                host_network: workload.host_network,
                stores_chd: workload.stores_chd,
            })
            .collect();
        let verdict = verdict(net, &breaches);
        Report {
            version: REPORT_VERSION,
            verdict,
            namespaces,
            workloads,
            connections,
            inbound,
            outbound,
            breaches,
            invalid_policies: net
                .invalid_policies
                .iter()
                .map(|p| InvalidEntry {
                    policy: format!(
                        "{}/{}",
                        p.object
                            .namespace()
                            .unwrap_or(crate::model::DEFAULT_NAMESPACE),
                        p.object.name()
                    ),
                    reason: p.reason.clone(),
                })
                .collect(),
        }
    }

    /// The report as pretty-printed JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn verdict(net: &Network<'_>, breaches: &[Breach]) -> Verdict {
    let cde_workloads = net
        .workloads
        .iter()
        .filter(|w| net.namespaces[w.namespace].scope.is_cde())
        .count();
    if cde_workloads == 0 {
        return Verdict {
            status: Status::NoCde,
            summary: "no workload runs in a namespace labelled `kubepci.io/scope: cde`; there is no CDE to segment".to_owned(),
        };
    }
    let proven: Vec<&Breach> = breaches.iter().filter(|b| !b.unanalysed).collect();
    if !proven.is_empty() {
        let count = |k: BreachKind| proven.iter().filter(|b| b.kind == k).count();
        let mut parts = Vec::new();
        for (kind, text) in [
            (
                BreachKind::OutOfScopeToCde,
                "from out-of-scope workloads into the CDE",
            ),
            (
                BreachKind::CdeToOutOfScope,
                "from the CDE to out-of-scope workloads",
            ),
            (
                BreachKind::OutsideToCde,
                "from outside the cluster into the CDE",
            ),
        ] {
            let n = count(kind);
            if n > 0 {
                parts.push(format!("{} {text}", plural(n, "path", "paths")));
            }
        }
        return Verdict {
            status: Status::Breached,
            summary: format!("the CDE is not segmented: {}", parts.join("; ")),
        };
    }
    let unanalysed: Vec<&str> = net
        .namespaces
        .iter()
        .enumerate()
        .filter(|(i, ns)| {
            !ns.is_analysed()
                && (ns.scope.is_cde() || ns.scope == Scope::OutOfScope)
                && !net.workloads_in(*i).is_empty()
        })
        .map(|(_, ns)| ns.name.as_str())
        .collect();
    if !unanalysed.is_empty() || !breaches.is_empty() {
        let possible = if breaches.is_empty() {
            "no path crosses the CDE boundary under the Kubernetes policies".to_owned()
        } else {
            format!(
                "{} may cross the CDE boundary under the Kubernetes policies",
                plural(breaches.len(), "path", "paths")
            )
        };
        return Verdict {
            status: Status::Unproven,
            summary: format!(
                "{possible}, but policies kubepci does not analyse affect namespace(s) {}",
                unanalysed.join(", ")
            ),
        };
    }
    let out_of_scope = net
        .workloads
        .iter()
        .filter(|w| net.namespaces[w.namespace].scope == Scope::OutOfScope)
        .count();
    let reach = match out_of_scope {
        0 => "there is no out-of-scope workload".to_owned(),
        1 => "the one out-of-scope workload can neither reach the CDE nor be reached from it"
            .to_owned(),
        n => format!(
            "none of the {n} out-of-scope workloads can reach the CDE or be reached from it"
        ),
    };
    Verdict {
        status: Status::Segmented,
        summary: format!(
            "{reach}, and nothing outside the cluster reaches the CDE's {} except through a DMZ",
            plural(cde_workloads, "workload", "workloads")
        ),
    }
}

fn ports_text(ports: &[PortRange]) -> String {
    let set = ports.iter().fold(PortSet::none(), |acc, r| {
        let lo = r.port.unwrap_or(crate::ports::PORT_MIN);
        let hi = r.end_port.or(r.port).unwrap_or(crate::ports::PORT_MAX);
        acc.union(&PortSet::range(r.protocol, lo, hi))
    });
    set.to_string()
}

fn sources_text(sources: Option<&Vec<String>>) -> String {
    match sources {
        None => "through the proxy".to_owned(),
        Some(s) if s == &["0.0.0.0/0", "::/0"] => "any address".to_owned(),
        Some(s) => s.join(", "),
    }
}

/// A plain text table with left-aligned columns.
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                l.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                l.push_str(cell);
                l.push_str(&" ".repeat(pad + 2));
            }
        }
        l.trim_end().to_owned()
    };
    let _ = writeln!(out, "{}", line(header.to_vec()));
    for row in rows {
        let _ = writeln!(out, "{}", line(row.iter().map(String::as_str).collect()));
    }
}

impl Report {
    fn scoped(&self, id: &str) -> String {
        match self.workloads.iter().find(|w| w.id == id) {
            Some(w) => format!("{id} [{}]", w.scope),
            None => id.to_owned(),
        }
    }

    /// The report as text tables for people.
    #[must_use]
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Segmentation of {} in {}\n",
            plural(self.workloads.len(), "workload", "workloads"),
            plural(self.namespaces.len(), "namespace", "namespaces")
        );
        let _ = writeln!(out, "NAMESPACES");
        let rows: Vec<Vec<String>> = self
            .namespaces
            .iter()
            .map(|ns| {
                let deny = match (ns.default_deny.ingress, ns.default_deny.egress) {
                    (true, true) => "ingress, egress",
                    (true, false) => "ingress",
                    (false, true) => "egress",
                    (false, false) => "none",
                };
                vec![
                    ns.name.clone(),
                    ns.scope.to_string(),
                    ns.zone.clone().unwrap_or_else(|| "-".to_owned()),
                    ns.workloads.to_string(),
                    deny.to_owned(),
                    if ns.analysed {
                        "yes".to_owned()
                    } else {
                        format!("no: {}", ns.unanalysed.join("; "))
                    },
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "NAME",
                "SCOPE",
                "ZONE",
                "WORKLOADS",
                "DEFAULT-DENY",
                "ANALYSED",
            ],
            &rows,
        );
        let _ = writeln!(out, "\nCONNECTIONS BETWEEN WORKLOADS");
        if self.connections.is_empty() {
            let _ = writeln!(out, "(none)");
        } else {
            let rows: Vec<Vec<String>> = self
                .connections
                .iter()
                .map(|c| {
                    vec![
                        self.scoped(&c.from),
                        self.scoped(&c.to),
                        ports_text(&c.ports),
                    ]
                })
                .collect();
            table(&mut out, &["FROM", "TO", "PORTS"], &rows);
        }
        let _ = writeln!(out, "\nFROM OUTSIDE THE CLUSTER");
        if self.inbound.is_empty() {
            let _ = writeln!(out, "(none)");
        } else {
            let rows: Vec<Vec<String>> = self
                .inbound
                .iter()
                .map(|i| {
                    vec![
                        self.scoped(&i.to),
                        format!("{} ({})", i.via.object, i.via.detail),
                        ports_text(&i.ports),
                        sources_text(i.sources.as_ref()),
                    ]
                })
                .collect();
            table(&mut out, &["TO", "VIA", "PORTS", "SOURCES"], &rows);
        }
        let _ = writeln!(out, "\nTO OUTSIDE THE CLUSTER");
        if self.outbound.is_empty() {
            let _ = writeln!(out, "(none)");
        } else {
            let rows: Vec<Vec<String>> = self
                .outbound
                .iter()
                .map(|o| {
                    vec![
                        self.scoped(&o.from),
                        sources_text(Some(&o.destinations)),
                        ports_text(&o.ports),
                    ]
                })
                .collect();
            table(&mut out, &["FROM", "DESTINATIONS", "PORTS"], &rows);
        }
        if !self.invalid_policies.is_empty() {
            let _ = writeln!(
                out,
                "\nINVALID NETWORK POLICIES (rejected by the API server, no effect)"
            );
            let rows: Vec<Vec<String>> = self
                .invalid_policies
                .iter()
                .map(|p| vec![p.policy.clone(), p.reason.clone()])
                .collect();
            table(&mut out, &["POLICY", "REASON"], &rows);
        }
        if !self.breaches.is_empty() {
            let _ = writeln!(out, "\nPATHS ACROSS THE CDE BOUNDARY");
            let rows: Vec<Vec<String>> = self
                .breaches
                .iter()
                .map(|b| {
                    let from = if b.from == "outside" {
                        "outside".to_owned()
                    } else {
                        self.scoped(&b.from)
                    };
                    let mut via = b.via.as_ref().map_or_else(
                        || "-".to_owned(),
                        |v| format!("{} ({})", v.object, v.detail),
                    );
                    if b.unanalysed {
                        via.push_str(" (unanalysed policies)");
                    }
                    vec![from, self.scoped(&b.to), ports_text(&b.ports), via]
                })
                .collect();
            table(&mut out, &["FROM", "TO", "PORTS", "VIA"], &rows);
        }
        let _ = writeln!(
            out,
            "\nVERDICT: {} — {}",
            self.verdict.status.as_str().to_uppercase(),
            self.verdict.summary
        );
        out
    }

    /// The report as a Graphviz digraph: a cluster per namespace, an `outside` node, an edge
    /// per connection (red when it crosses the CDE boundary).
    #[must_use]
    pub fn to_dot(&self) -> String {
        let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let mut out = String::from(
            "digraph segmentation {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
        );
        let any_outside = !self.inbound.is_empty() || !self.outbound.is_empty();
        if any_outside {
            let _ = writeln!(
                out,
                "  \"outside\" [label=\"outside the cluster\", shape=doubleoctagon];"
            );
        }
        for (i, ns) in self.namespaces.iter().enumerate() {
            let members: Vec<&WorkloadEntry> = self
                .workloads
                .iter()
                .filter(|w| w.namespace == ns.name)
                .collect();
            if members.is_empty() {
                continue;
            }
            let color = match ns.scope {
                Scope::Cde => "#f8d7da",
                Scope::Connected | Scope::Unscoped => "#fff3cd",
                Scope::OutOfScope | Scope::Cluster => "#e2e3e5",
            };
            let mut label = format!("{} ({})", ns.name, ns.scope);
            if ns.dmz {
                label.push_str(" DMZ");
            }
            if !ns.analysed {
                label.push_str(" — unanalysed");
            }
            let _ = writeln!(
                out,
                "  subgraph cluster_{i} {{\n    label={};\n    style=filled;\n    fillcolor=\"{color}\";",
                quote(&label)
            );
            for w in members {
                let _ = writeln!(out, "    {} [label={}];", quote(&w.id), quote(&w.name));
            }
            let _ = writeln!(out, "  }}");
        }
        let crossing = |from: &str, to: &str| {
            self.breaches
                .iter()
                .any(|b| b.from == from && b.to == to && b.via.is_none())
        };
        for c in &self.connections {
            let style = if crossing(&c.from, &c.to) {
                ", color=red, fontcolor=red, penwidth=2"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {} -> {} [label={}{style}];",
                quote(&c.from),
                quote(&c.to),
                quote(&ports_text(&c.ports))
            );
        }
        for i in &self.inbound {
            let breach = self
                .breaches
                .iter()
                .any(|b| b.from == "outside" && b.to == i.to);
            let style = if breach {
                ", color=red, fontcolor=red, penwidth=2"
            } else {
                ", style=dashed"
            };
            let _ = writeln!(
                out,
                "  \"outside\" -> {} [label={}{style}];",
                quote(&i.to),
                quote(&format!("{} {}", i.via.kind, ports_text(&i.ports)))
            );
        }
        for o in &self.outbound {
            let _ = writeln!(
                out,
                "  {} -> \"outside\" [label={}, style=dotted];",
                quote(&o.from),
                quote(&ports_text(&o.ports))
            );
        }
        out.push_str("}\n");
        out
    }
}
