//! `--format certs` and `--format certs-json`: the certificate inventory of a scan.

use kubepci_engine::{Config, Input, RuleSelection, ScanOptions, scan_inputs};
use kubepci_model::Severity;
use kubepci_report::{Format, RenderOptions, render};

fn certificate_pem() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kubepci-rules/tests/certs/good-ecdsa.pem");
    std::fs::read_to_string(path).expect("test certificate")
}

fn report() -> kubepci_engine::ScanReport {
    let pem = certificate_pem().replace('\n', "\\n");
    let manifest = format!(
        "apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {{name: letsencrypt}}
spec:
  acme: {{server: https://acme-v02.api.letsencrypt.org/directory}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {{name: pay, namespace: payments}}
spec:
  secretName: pay-tls
  dnsNames: [pay.example.com]
  issuerRef: {{name: letsencrypt, kind: ClusterIssuer}}
  renewBefore: 720h
---
apiVersion: v1
kind: Secret
metadata: {{name: pay-tls, namespace: payments}}
type: kubernetes.io/tls
stringData:
  tls.crt: \"{pem}\"
  tls.key: \"\"
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: checkout, namespace: payments}}
spec:
  tls:
    - {{hosts: [pay.example.com], secretName: pay-tls}}
    - {{hosts: [shop.example.com], secretName: shop-tls}}
"
    );
    let options = ScanOptions {
        config: Config::default(),
        rules: RuleSelection::default().resolve(&[]).expect("all rules"),
        waivers: None,
        default_namespace: None,
        as_of: time::macros::date!(2026 - 06 - 01),
    };
    scan_inputs(
        &[Input {
            name: "certs.yaml".into(),
            bytes: manifest.into_bytes(),
        }],
        &options,
    )
}

fn options() -> RenderOptions {
    RenderOptions {
        fail_on: Severity::Low,
        color: false,
        tool_version: "test",
    }
}

#[test]
fn certs_format_lists_the_inventory() {
    let report = report();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let text = render(&report, Format::Certs, &options());
    insta::assert_snapshot!(text);
    assert!(!text.contains("PRIVATE KEY"));
}

#[test]
fn certs_json_is_a_versioned_document() {
    let text = render(&report(), Format::CertsJson, &options());
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(doc["version"], "kubepci.certs/v1");
    assert_eq!(doc["asOf"], "2026-06-01");
    let rows = doc["certificates"].as_array().expect("rows");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["secret"], "pay-tls");
    assert_eq!(rows[0]["key"]["algorithm"], "ECDSA");
    assert_eq!(rows[0]["notAfter"], "2030-01-01T00:00:00Z");
    assert_eq!(rows[0]["usedBy"][0], "Ingress payments/checkout");
}
