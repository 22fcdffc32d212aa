//! The loader never panics, whatever the bytes: arbitrary bytes, YAML-ish noise, and real
//! manifests with random cuts and byte flips. (The `manifest_load` fuzz target runs the same
//! property under libFuzzer.)

use kubepci_k8s::{KindFilter, load};
use proptest::prelude::*;

const SAMPLE: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: payments
  labels: {app: api, tier: &t backend}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api, tier: *t}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          args: [\"--port\", '8443', >-
            folded]
          securityContext: {runAsUser: 0x10, privileged: yes}
---
{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"kind\": \"Pod\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"p\"}}]}
";

fn load_all(bytes: &[u8]) {
    for name in ["x.yaml", "x.json", "-"] {
        let loaded = load(name, bytes, &KindFilter::All, Some("default"));
        for error in &loaded.errors {
            assert!(error.position.line >= 1, "{error}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        load_all(&bytes);
    }

    #[test]
    fn yaml_like_noise(text in "[-:{}\\[\\], \\n\\ta-z0-9&*!|>'\"#%@`?~.]{0,600}") {
        load_all(text.as_bytes());
    }

    #[test]
    fn mutated_real_manifest(cut in 0..SAMPLE.len(), flips in proptest::collection::vec((0..SAMPLE.len(), any::<u8>()), 0..8)) {
        let mut bytes = SAMPLE.as_bytes()[..cut].to_vec();
        for (at, byte) in flips {
            if at < bytes.len() {
                bytes[at] = byte;
            }
        }
        load_all(&bytes);
    }
}

#[test]
fn huge_and_deep_documents_are_errors_not_crashes() {
    let deep_flow = format!("a: {}1{}\n", "[".repeat(50_000), "]".repeat(50_000));
    let loaded = load("deep.yaml", deep_flow.as_bytes(), &KindFilter::All, None);
    assert_eq!(loaded.errors.len(), 1);
    let deep_json = format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    let loaded = load("deep.json", deep_json.as_bytes(), &KindFilter::All, None);
    assert_eq!(loaded.errors.len(), 1);
    let deep_block: String = (0..5_000)
        .map(|i| format!("{}- \n", " ".repeat(i * 2)))
        .collect();
    let loaded = load(
        "deep-block.yaml",
        deep_block.as_bytes(),
        &KindFilter::All,
        None,
    );
    assert_eq!(loaded.errors.len(), 1, "{:?}", loaded.errors);
    let wide: String = (0..200_000).map(|i| format!("k{i}: v\n")).collect();
    let loaded = load("wide.yaml", wide.as_bytes(), &KindFilter::All, None);
    assert!(loaded.errors.is_empty());
}
