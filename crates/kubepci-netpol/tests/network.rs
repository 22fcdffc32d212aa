//! The network model on hand-written platforms: workload folding, exposures, CNI policies,
//! breaches and the verdict.

use std::collections::BTreeMap;

use kubepci_k8s::{Inventory, KindFilter, load};
use kubepci_netpol::{
    BreachKind, Direction, Evaluator, ExposureKind, IpSet, Network, Options, PortSet, Protocol,
    Report, Status, find_breaches,
};

fn inventory(yaml: &str) -> Inventory {
    let loaded = load("t.yaml", yaml.as_bytes(), &KindFilter::All, None);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    Inventory::new(loaded.objects, &BTreeMap::new())
}

fn index(net: &Network<'_>, id: &str) -> usize {
    net.workloads
        .iter()
        .position(|w| w.id == id)
        .unwrap_or_else(|| panic!("no workload {id}"))
}

const NAMESPACES: &str = "
apiVersion: v1
kind: Namespace
metadata: {name: pay, labels: {kubepci.io/scope: cde}}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {kubepci.io/scope: out-of-scope}}
---
apiVersion: v1
kind: Namespace
metadata: {name: edge, labels: {kubepci.io/scope: connected, kubepci.io/zone: dmz}}
";

fn deployment(ns: &str, name: &str, extra_labels: &str, ports: &str) -> String {
    format!(
        "---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}}}
spec:
  template:
    metadata: {{labels: {{app: {name}{extra_labels}}}}}
    spec:
      containers:
        - name: c
          image: i
          ports: {ports}
"
    )
}

#[test]
fn generated_pods_fold_into_their_controller() {
    let yaml = format!(
        "{}---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-7d9f
  namespace: pay
  ownerReferences: [{{kind: Deployment, name: api, controller: true}}]
spec:
  template:
    metadata: {{labels: {{app: api}}}}
    spec: {{containers: [{{name: c, image: i}}]}}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-7d9f-x
  namespace: pay
  labels: {{app: api}}
  ownerReferences: [{{kind: ReplicaSet, name: api-7d9f, controller: true}}]
spec: {{containers: [{{name: c, image: i}}]}}
---
apiVersion: v1
kind: Pod
metadata:
  name: orphan
  namespace: pay
  ownerReferences: [{{kind: ReplicaSet, name: gone, controller: true}}]
spec: {{containers: [{{name: c, image: i}}]}}
",
        deployment("pay", "api", "", "[]")
    );
    let inv = inventory(&format!("{NAMESPACES}{yaml}"));
    let net = Network::build(&inv, &Options::default());
    let ids: Vec<&str> = net.workloads.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, ["pay/orphan", "pay/api"]);
}

#[test]
fn out_of_scope_to_cde_is_a_breach_and_named_ports_resolve() {
    let yaml = format!(
        "{NAMESPACES}{}{}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: api, namespace: pay}}
spec:
  podSelector: {{matchLabels: {{app: api}}}}
  ingress:
    - from: [{{namespaceSelector: {{matchExpressions: [{{key: kubepci.io/scope, operator: Exists}}]}}}}]
      ports: [{{port: https}}]
",
        deployment(
            "pay",
            "api",
            "",
            "[{name: https, containerPort: 8443}, {name: metrics, containerPort: 9090}]"
        ),
        deployment("shop", "web", "", "[]"),
    );
    let inv = inventory(&yaml);
    let net = Network::build(&inv, &Options::default());
    let eval = Evaluator::new(&net);
    let (api, web) = (index(&net, "pay/api"), index(&net, "shop/web"));
    let ports = eval.allowed(web, api);
    assert_eq!(ports, PortSet::single(Protocol::Tcp, 8443));
    assert!(
        eval.allowed(api, web).is_all(),
        "nothing restricts the other way"
    );
    let breaches = find_breaches(&eval);
    let kinds: Vec<BreachKind> = breaches.iter().map(|b| b.kind).collect();
    assert_eq!(
        kinds,
        [BreachKind::OutOfScopeToCde, BreachKind::CdeToOutOfScope]
    );
    let report = Report::compute(&net);
    assert_eq!(report.verdict.status, Status::Breached);
    assert!(report.to_table().contains("VERDICT: BREACHED"));
}

#[test]
fn load_balancer_with_source_ranges_and_policy() {
    let yaml = format!(
        "{NAMESPACES}{}
---
apiVersion: v1
kind: Service
metadata: {{name: api, namespace: pay}}
spec:
  type: LoadBalancer
  selector: {{app: api}}
  loadBalancerSourceRanges: [203.0.113.0/24, 198.51.100.0/24]
  ports: [{{port: 443, targetPort: https}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: api, namespace: pay}}
spec:
  podSelector: {{}}
  ingress:
    - from: [{{ipBlock: {{cidr: 203.0.113.0/24, except: [203.0.113.128/25]}}}}]
      ports: [{{port: 8443}}]
",
        deployment("pay", "api", "", "[{name: https, containerPort: 8443}]"),
    );
    let inv = inventory(&yaml);
    let net = Network::build(&inv, &Options::default());
    let eval = Evaluator::new(&net);
    let lb = net
        .exposures()
        .iter()
        .find(|e| e.kind == ExposureKind::LoadBalancer)
        .expect("LB exposure");
    let (ports, sources) = eval.through(lb).expect("reachable");
    assert_eq!(ports, PortSet::single(Protocol::Tcp, 8443));
    assert_eq!(
        sources.expect("direct").to_cidrs(),
        ["203.0.113.0/25"],
        "the LB's ranges intersected with what the policy admits"
    );
    let breaches = find_breaches(&eval);
    assert_eq!(breaches.len(), 1);
    assert_eq!(breaches[0].kind, BreachKind::OutsideToCde);
}

#[test]
fn dmz_exposure_is_not_a_breach_and_ingress_goes_through_the_proxy() {
    let yaml = format!(
        "{NAMESPACES}{}
---
apiVersion: v1
kind: Service
metadata: {{name: gw, namespace: edge}}
spec:
  selector: {{app: gw}}
  ports: [{{name: web, port: 80, targetPort: 8080}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: gw, namespace: edge}}
spec:
  rules:
    - host: shop.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {{service: {{name: gw, port: {{name: web}}}}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: gw, namespace: edge}}
spec:
  parentRefs: [{{name: public, namespace: infra}}]
  rules:
    - backendRefs: [{{name: gw, port: 80}}]
",
        deployment("edge", "gw", "", "[{containerPort: 8080}]"),
    );
    let inv = inventory(&yaml);
    let net = Network::build(&inv, &Options::default());
    let eval = Evaluator::new(&net);
    let kinds: Vec<ExposureKind> = net.exposures().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [ExposureKind::Ingress, ExposureKind::Route]);
    for e in net.exposures() {
        let (ports, sources) = eval.through(e).expect("reachable");
        assert_eq!(ports, PortSet::single(Protocol::Tcp, 8080));
        assert!(sources.is_none());
    }
    assert!(find_breaches(&eval).is_empty());
    let report = Report::compute(&net);
    assert_eq!(report.verdict.status, Status::NoCde);
}

#[test]
fn cilium_and_calico_default_denies_are_equivalent_others_unanalysed() {
    let yaml = format!(
        "{NAMESPACES}{}{}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {{name: deny, namespace: pay}}
spec:
  endpointSelector: {{}}
  ingress: [{{}}]
  egress: [{{}}]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {{name: deny, namespace: shop}}
spec:
  selector: all()
  types: [Ingress]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {{name: l7, namespace: shop}}
spec:
  endpointSelector: {{matchLabels: {{app: web}}}}
  ingress:
    - fromEndpoints: [{{matchLabels: {{app: x}}}}]
",
        deployment("pay", "api", "", "[]"),
        deployment("shop", "web", "", "[]"),
    );
    let inv = inventory(&yaml);
    let net = Network::build(&inv, &Options::default());
    let eval = Evaluator::new(&net);
    let (api, web) = (index(&net, "pay/api"), index(&net, "shop/web"));
    assert!(net.is_isolated(api, Direction::Ingress));
    assert!(net.is_isolated(api, Direction::Egress));
    assert!(net.is_isolated(web, Direction::Ingress));
    assert!(!net.is_isolated(web, Direction::Egress));
    assert!(eval.allowed(web, api).is_empty());
    let pay = net.namespace_index("pay").expect("pay");
    let shop = net.namespace_index("shop").expect("shop");
    assert!(net.namespaces[pay].is_analysed());
    assert!(!net.namespaces[shop].is_analysed());
    assert!(
        net.namespaces[shop].unanalysed[0].contains("CiliumNetworkPolicy shop/l7"),
        "{:?}",
        net.namespaces[shop].unanalysed
    );
    let report = Report::compute(&net);
    assert_eq!(report.verdict.status, Status::Unproven);
}

#[test]
fn clusterwide_cilium_selects_namespaces_by_name() {
    let yaml = format!(
        "{NAMESPACES}{}{}
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {{name: deny}}
spec:
  endpointSelector:
    matchExpressions: [{{key: k8s:io.kubernetes.pod.namespace, operator: NotIn, values: [shop]}}]
  ingress: [{{}}]
",
        deployment("pay", "api", "", "[]"),
        deployment("shop", "web", "", "[]"),
    );
    let inv = inventory(&yaml);
    let net = Network::build(&inv, &Options::default());
    assert!(net.is_isolated(index(&net, "pay/api"), Direction::Ingress));
    assert!(!net.is_isolated(index(&net, "shop/web"), Direction::Ingress));
    assert!(net.namespaces.iter().all(|n| n.is_analysed()));
}

#[test]
fn host_network_bypasses_policy_and_ip_blocks_match_pods_in_the_pod_network() {
    let yaml = format!(
        "{NAMESPACES}{}{}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: deny, namespace: pay}}
spec:
  podSelector: {{}}
  ingress:
    - from: [{{ipBlock: {{cidr: 10.20.0.0/16}}}}]
",
        deployment("pay", "api", "", "[]"),
        deployment("shop", "web", "", "[]"),
    );
    let inv = inventory(&yaml);
    let (api, web) = {
        let net = Network::build(&inv, &Options::default());
        (index(&net, "pay/api"), index(&net, "shop/web"))
    };
    // Default pod networks (every private range) overlap 10.20.0.0/16: pods may be there.
    let net = Network::build(&inv, &Options::default());
    assert!(!Evaluator::new(&net).allowed(web, api).is_empty());
    // A declared pod network that does not overlap: only outside addresses are admitted.
    let options = Options {
        pod_cidrs: IpSet::from_cidrs(&["10.244.0.0/16"]).expect("cidr"),
        ..Options::default()
    };
    let net = Network::build(&inv, &options);
    assert!(Evaluator::new(&net).allowed(web, api).is_empty());
}

#[test]
fn invalid_policies_have_no_effect_and_are_listed() {
    let yaml = format!(
        "{NAMESPACES}{}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: broken, namespace: pay}}
spec:
  podSelector: {{}}
  ingress: [{{from: [{{}}]}}]
",
        deployment("pay", "api", "", "[]"),
    );
    let inv = inventory(&yaml);
    let net = Network::build(&inv, &Options::default());
    assert_eq!(net.invalid_policies.len(), 1);
    assert!(!net.is_isolated(0, Direction::Ingress));
    let report = Report::compute(&net);
    assert_eq!(report.invalid_policies[0].policy, "pay/broken");
    assert!(report.to_table().contains("must specify a peer"));
}

#[test]
fn dot_and_json_are_well_formed() {
    let yaml = format!(
        "{NAMESPACES}{}{}",
        deployment("pay", "api", "", "[]"),
        deployment("shop", "we\"b", "", "[]"),
    );
    let inv = inventory(&yaml);
    let net = Network::build(&inv, &Options::default());
    let report = Report::compute(&net);
    let dot = report.to_dot();
    assert!(dot.starts_with("digraph segmentation {"));
    assert!(dot.contains("\"shop/we\\\"b\""), "{dot}");
    assert!(dot.contains("color=red"));
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("json");
    assert_eq!(json["version"], 1);
    assert_eq!(json["verdict"]["status"], "breached");
}
