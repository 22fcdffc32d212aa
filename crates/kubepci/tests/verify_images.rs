//! `kubepci scan --verify-images` end to end: a registry on loopback, a signed and an
//! unsigned image, the findings and the listed digests.

use std::process::Command;

use kubepci_imagesig::testing::{CosignKey, TestRegistry};

#[test]
fn scan_verifies_images_in_the_registry_and_lists_the_digests() {
    let Some(registry) = TestRegistry::start(true) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let push = registry.pusher();
    let key = CosignKey::p256();
    let name = format!("{}/payments/api", registry.host);
    let (signed, unsigned) = runtime.block_on(async {
        let signed = push
            .image_with("payments/api", "1.0", "signed")
            .await
            .expect("push");
        push.cosign_signatures(
            "payments/api",
            &signed.digest,
            &[key.layer(&name, &signed.digest)],
        )
        .await
        .expect("sign");
        let unsigned = push
            .image_with("payments/api", "2.0", "unsigned")
            .await
            .expect("push");
        (signed, unsigned)
    });
    let dir = registry.dir();
    std::fs::write(dir.join("cosign.pub"), key.public_pem()).expect("key");
    std::fs::write(dir.join("ca.pem"), &registry.ca_pem).expect("ca");
    std::fs::write(dir.join("dockerconfig.json"), registry.dockerconfigjson()).expect("creds");
    std::fs::write(
        dir.join("kubepci.yaml"),
        format!(
            "images:\n  signatures:\n    policies:\n      - name: payments-images\n        images: [\"{host}/payments/**\"]\n        signers:\n          - cosignKey: {{publicKey: {key}}}\n    registry:\n      credentials: {creds}\n      caFiles: [{ca}]\n",
            host = registry.host,
            key = dir.join("cosign.pub").display(),
            creds = dir.join("dockerconfig.json").display(),
            ca = dir.join("ca.pem").display(),
        ),
    )
    .expect("config");
    std::fs::write(
        dir.join("app.yaml"),
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: payments, labels: {{kubepci.io/scope: cde}}}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api, namespace: payments}}\nspec:\n  selector: {{matchLabels: {{app: api}}}}\n  template:\n    metadata: {{labels: {{app: api}}}}\n    spec:\n      containers:\n        - {{name: api, image: \"{name}:1.0\"}}\n        - {{name: worker, image: \"{name}:2.0\"}}\n"
        ),
    )
    .expect("manifest");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kubepci"))
            .arg("scan")
            .arg(dir.join("app.yaml"))
            .arg("--config")
            .arg(dir.join("kubepci.yaml"))
            .args(["--rules", "KP5005,KP5009", "-f", "json"])
            .args(extra)
            .output()
            .expect("kubepci runs")
    };

    let out = run(&["--verify-images"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let findings = doc["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["ruleId"], "KP5009");
    let message = findings[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("worker") && message.contains(&unsigned.digest),
        "{message}"
    );
    let images = doc["imageSignatures"].as_array().expect("listed");
    let verified: Vec<_> = images
        .iter()
        .filter(|i| i["outcome"] == "verified")
        .collect();
    assert_eq!(verified.len(), 1, "{images:#?}");
    assert_eq!(verified[0]["digest"], signed.digest.as_str());
    assert_eq!(verified[0]["image"], format!("{name}:1.0").as_str());

    // Off by default: no network, no KP5009, nothing listed.
    let out = run(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(doc.get("imageSignatures").is_none());

    // A missing key file is an error before anything is scanned.
    std::fs::remove_file(dir.join("cosign.pub")).expect("remove");
    let out = run(&["--verify-images"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cosign.pub"));
}
