//! No output format may print a card number: scan manifests that hide PANs in every place a
//! rule reads (ConfigMap data and keys, decoded Secret data, env, args, annotations, labels,
//! embedded files) with the full catalogue, render every format, and look for the digits.

use kubepci_engine::{Config, Input, RuleSelection, ScanOptions, scan_inputs};
use kubepci_model::Severity;
use kubepci_report::{Format, RenderOptions, render};

/// Luhn-valid numbers of several brands (real-looking and test numbers).
const PANS: &[&str] = &[
    "4539578763621486",
    "5425526018159087",
    "371238839571772",
    "6011301661318606",
    "3566824628194824",
    "2223000048410010",
    "4111111111111111",
    "378282246310005",
];

fn b64(text: &str) -> String {
    // Minimal standard base64 (the test must not depend on the code under test).
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn grouped(pan: &str, sep: &str) -> String {
    pan.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect::<Vec<_>>()
        .join(sep)
}

fn manifest() -> String {
    let [a, b, c, d, e, f, g, h] = PANS else {
        unreachable!("eight numbers")
    };
    format!(
        "apiVersion: v1
kind: Namespace
metadata: {{name: payments, labels: {{kubepci.io/scope: cde}}}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: fixtures
  namespace: payments
  annotations: {{example.com/card: \"{spaced}\"}}
  labels: {{card: \"{f}\"}}
data:
  customer.json: |
    {{\"card\": \"{dashed}\", \"amex\": \"{c}\"}}
  \"{d}\": refund
  password: \"{e}\"
---
apiVersion: v1
kind: Secret
metadata: {{name: vault, namespace: payments}}
data:
  card: {secret}
stringData:
  other: \"{g}\"
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: replay, namespace: payments, annotations: {{note: \"{h}\"}}}}
spec:
  selector: {{matchLabels: {{app: replay}}}}
  template:
    metadata: {{labels: {{app: replay}}}}
    spec:
      containers:
        - name: replay
          image: registry.example.com/replay:1.0.0
          args: [\"--pan\", \"{a}\", \"--card={b}\"]
          env:
            - {{name: CARD_PASSWORD, value: \"{a}\"}}
            - {{name: CARD, value: \"{spaced}\"}}
",
        spaced = grouped(a, " "),
        dashed = grouped(b, "-"),
        secret = b64(d),
    )
}

#[test]
fn no_format_prints_a_card_number() {
    let options = ScanOptions {
        config: Config::default(),
        rules: RuleSelection::default().resolve(&[]).expect("all rules"),
        waivers: None,
        default_namespace: None,
        as_of: time::macros::date!(2026 - 06 - 01),
    };
    let report = scan_inputs(
        &[Input {
            name: "pans.yaml".into(),
            bytes: manifest().into_bytes(),
        }],
        &options,
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let pan_findings = report
        .findings
        .iter()
        .filter(|f| f.rule_id == "KP3101" || f.rule_id == "KP3102")
        .count();
    assert!(
        pan_findings >= 8,
        "the card numbers were found: {pan_findings}"
    );
    let render_options = RenderOptions {
        fail_on: Severity::Low,
        color: false,
        tool_version: "test",
    };
    for format in [
        Format::Table,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Certs,
        Format::CertsJson,
    ] {
        let text = render(&report, format, &render_options);
        // Compare digits only: separators, JSON escapes or line breaks must not hide a PAN.
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        for pan in PANS {
            for form in [pan.to_string(), grouped(pan, " "), grouped(pan, "-")] {
                assert!(
                    !text.contains(&form),
                    "{format:?} output contains a full card number"
                );
            }
            assert!(
                !digits.contains(pan),
                "{format:?} output contains the digits of a full card number"
            );
        }
        assert!(
            text.contains("453957******1486")
                || matches!(format, Format::Certs | Format::CertsJson),
            "{format:?} shows the masked form"
        );
    }
}
