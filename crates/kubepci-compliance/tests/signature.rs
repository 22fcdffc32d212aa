//! A signed report verifies; an edited one, another key or a swapped signature does not.

mod common;

use kubepci_checkpoint::NoteSigner;
use kubepci_compliance::render;
use kubepci_compliance::sign::{VerifyError, sign, verify};

fn signed() -> (String, NoteSigner) {
    let signer = NoteSigner::from_seed("reports.payments.example.com", [11; 32]);
    let mut report = common::example_report();
    sign(&mut report, &signer).expect("signs");
    (render::json(&report), signer)
}

#[test]
fn a_signed_report_verifies() {
    let (json, signer) = signed();
    let v = verify(json.as_bytes(), &signer.verifier()).expect("verifies");
    assert_eq!(v.key_name, "reports.payments.example.com");
    assert!(v.digest.starts_with("sha256:"));
    assert_eq!(v.generated_at, "2026-12-01T09:30:00Z");
    // Canonical form: reformatting the file does not matter.
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let compact = serde_json::to_vec(&value).expect("compact");
    verify(&compact, &signer.verifier()).expect("compact JSON verifies too");
}

#[test]
fn an_edited_report_fails() {
    let (json, signer) = signed();
    let key = signer.verifier();
    // Turn a requirement that is not in place into one that is.
    let edited = json.replacen(
        "\"status\": \"not-in-place\"",
        "\"status\": \"in-place\"",
        1,
    );
    assert_ne!(edited, json);
    assert!(matches!(
        verify(edited.as_bytes(), &key),
        Err(VerifyError::Modified { .. })
    ));
    // Remove a finding.
    let mut value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    value["findings"].as_array_mut().expect("array").pop();
    assert!(matches!(
        verify(&serde_json::to_vec(&value).expect("json"), &key),
        Err(VerifyError::Modified { .. })
    ));
    // Edit the digest in the signature member to match: the note still names the old one.
    let mut value: serde_json::Value = serde_json::from_str(&edited).expect("JSON");
    value["signature"]["digest"] = serde_json::Value::String("sha256:00".into());
    assert!(matches!(
        verify(&serde_json::to_vec(&value).expect("json"), &key),
        Err(VerifyError::Modified { .. })
    ));
}

#[test]
fn another_key_or_no_signature_fails() {
    let (json, _) = signed();
    let other = NoteSigner::from_seed("reports.payments.example.com", [12; 32]);
    assert!(matches!(
        verify(json.as_bytes(), &other.verifier()),
        Err(VerifyError::BadSignature { .. })
    ));
    let unsigned = render::json(&common::example_report());
    assert!(matches!(
        verify(unsigned.as_bytes(), &other.verifier()),
        Err(VerifyError::Unsigned)
    ));
    assert!(matches!(
        verify(b"{\"schema\":\"kubepci.scan/v1\"}", &other.verifier()),
        Err(VerifyError::NotAReport)
    ));
    assert!(matches!(
        verify(b"not json", &other.verifier()),
        Err(VerifyError::NotJson(_))
    ));
}

#[test]
fn a_signature_moved_to_another_report_fails() {
    let (json, signer) = signed();
    let mut other = common::example_report();
    other.generated_at = "2026-12-02T09:30:00Z".into();
    let mut value: serde_json::Value = serde_json::from_str(&render::json(&other)).expect("JSON");
    let original: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    value["signature"] = original["signature"].clone();
    assert!(matches!(
        verify(
            &serde_json::to_vec(&value).expect("json"),
            &signer.verifier()
        ),
        Err(VerifyError::Modified { .. })
    ));
}
