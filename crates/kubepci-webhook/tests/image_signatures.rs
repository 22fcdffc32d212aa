//! Image signatures at admission, against a real registry on loopback: signed images are
//! admitted with their digest named, unsigned ones denied in enforce mode and warned about
//! elsewhere, pod templates are checked like Pods, `/mutate` pins verified digests, and an
//! unreachable registry fails closed.

mod common;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use common::{Server, Setup, post, post_to, review};
use kubepci_https::client::Protocol;
use kubepci_imagesig::Verifier;
use kubepci_imagesig::testing::{CosignKey, TestRegistry};

fn pod(namespace: &str, images: &[&str]) -> String {
    let containers: Vec<serde_json::Value> = images
        .iter()
        .enumerate()
        .map(|(i, image)| serde_json::json!({"name": format!("c{i}"), "image": image}))
        .collect();
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "app", "namespace": namespace},
        "spec": {"containers": containers}
    })
    .to_string()
}

fn config(registry: &TestRegistry, key_file: &str, ca_file: &str, creds_file: &str) -> String {
    format!(
        "images:\n  signatures:\n    policies:\n      - name: payments-images\n        images: [\"{host}/payments/**\"]\n        signers:\n          - cosignKey: {{publicKey: {key_file}}}\n    registry:\n      credentials: {creds_file}\n      caFiles: [{ca_file}]\n",
        host = registry.host
    )
}

#[tokio::test]
async fn admission_verifies_signatures_and_names_the_digest() {
    let Some(mut registry) = TestRegistry::start(true) else {
        return;
    };
    let push = registry.pusher();
    let key = CosignKey::p256();
    let name = format!("{}/payments/api", registry.host);
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
    let key_file = registry.write_file("cosign.pub", key.public_pem().as_bytes());
    let ca_file = registry.write_file("ca.pem", registry.ca_pem.as_bytes());
    let creds_file =
        registry.write_file("dockerconfig.json", registry.dockerconfigjson().as_bytes());
    let config = config(&registry, &key_file, &ca_file, &creds_file);
    let settings = kubepci_engine::load_config("kubepci.yaml", &config).expect("config");
    let verifier = Verifier::from_settings(&settings.settings.images.signatures).expect("verifier");
    let server = Server::start(Setup {
        config: &config,
        verifier: Some(Arc::new(verifier)),
        only: &["KP5005", "KP5009"],
        ..Setup::default()
    })
    .await;
    let mut conn = server.connect(Protocol::Http1).await;
    let signed_tag = format!("{name}:1.0");
    let unsigned_tag = format!("{name}:2.0");

    // Signed: admitted, and the audit annotation names the verified digest.
    let (_, answer) = post(
        &mut conn,
        review("u-1", "pay", "CREATE", &pod("pay", &[&signed_tag])),
    )
    .await;
    let response = &answer["response"];
    assert_eq!(response["allowed"], true, "{answer}");
    assert_eq!(
        response["auditAnnotations"]["verified-images"],
        format!("{signed_tag}={}", signed.digest).as_str(),
        "{answer}"
    );

    // Unsigned in the CDE: denied, with the digest and the reason.
    let (_, answer) = post(
        &mut conn,
        review(
            "u-2",
            "pay",
            "CREATE",
            &pod("pay", &[&signed_tag, &unsigned_tag]),
        ),
    )
    .await;
    let response = &answer["response"];
    assert_eq!(response["allowed"], false, "{answer}");
    let message = response["status"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("KP5009") && message.contains(&unsigned.digest),
        "{message}"
    );
    assert!(message.contains("no signature signs"), "{message}");
    assert_eq!(response["auditAnnotations"]["denied-by"], "KP5009");

    // A Deployment's pod template is checked the same way.
    let deployment = serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "pay"},
        "spec": {"selector": {"matchLabels": {"app": "api"}}, "template": {
            "metadata": {"labels": {"app": "api"}},
            "spec": {"initContainers": [{"name": "init", "image": unsigned_tag}], "containers": [{"name": "api", "image": signed_tag}]}
        }}
    })
    .to_string();
    let (_, answer) = post(&mut conn, review("u-3", "pay", "CREATE", &deployment)).await;
    assert_eq!(answer["response"]["allowed"], false, "{answer}");

    // Elsewhere (an unscoped namespace): a warning, not a denial.
    let (_, answer) = post(
        &mut conn,
        review("u-4", "misc", "CREATE", &pod("misc", &[&unsigned_tag])),
    )
    .await;
    let response = &answer["response"];
    assert_eq!(response["allowed"], true, "{answer}");
    assert!(
        response["warnings"].as_array().is_some_and(|w| w
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.contains("KP5009")))),
        "{answer}"
    );

    // /mutate pins the verified image to its digest and leaves the unverified one alone.
    let (_, answer) = post_to(
        &mut conn,
        "/mutate",
        review(
            "u-5",
            "pay",
            "CREATE",
            &pod("pay", &[&signed_tag, &unsigned_tag]),
        ),
    )
    .await;
    let response = &answer["response"];
    assert_eq!(response["allowed"], true);
    assert_eq!(response["patchType"], "JSONPatch", "{answer}");
    let patch = base64::engine::general_purpose::STANDARD
        .decode(response["patch"].as_str().expect("patch"))
        .expect("base64");
    let patch: serde_json::Value = serde_json::from_slice(&patch).expect("JSON patch");
    assert_eq!(
        patch,
        serde_json::json!([{"op": "replace", "path": "/spec/containers/0/image", "value": format!("{signed_tag}@{}", signed.digest)}])
    );

    // The registry goes down: a tag cannot be resolved, so the CDE fails closed; the digest
    // verified a moment ago is still known.
    registry.stop();
    let (_, answer) = post(
        &mut conn,
        review("u-6", "pay", "CREATE", &pod("pay", &[&signed_tag])),
    )
    .await;
    let response = &answer["response"];
    assert_eq!(response["allowed"], false, "{answer}");
    let message = response["status"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("could not be verified") && message.contains("unavailable"),
        "{message}"
    );
    let pinned = format!("{signed_tag}@{}", signed.digest);
    let (_, answer) = post(
        &mut conn,
        review("u-7", "pay", "CREATE", &pod("pay", &[&pinned])),
    )
    .await;
    assert_eq!(answer["response"]["allowed"], true, "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn a_silent_registry_is_cut_off_at_the_admission_deadline() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let dir = tempfile::tempdir().expect("dir");
    let key_file = dir.path().join("cosign.pub");
    std::fs::write(&key_file, CosignKey::p256().public_pem()).expect("key");
    let config = format!(
        "images:\n  signatures:\n    policies:\n      - name: p\n        images: [\"{addr}/**\"]\n        signers:\n          - cosignKey: {{publicKey: {}}}\n    registry:\n      timeoutSeconds: 30\n",
        key_file.display()
    );
    let settings = kubepci_engine::load_config("kubepci.yaml", &config).expect("config");
    let verifier = Verifier::from_settings(&settings.settings.images.signatures).expect("verifier");
    let server = Server::start(Setup {
        config: &config,
        verifier: Some(Arc::new(verifier)),
        only: &["KP5009"],
        deadline: Duration::from_millis(800),
        ..Setup::default()
    })
    .await;
    let mut conn = server.connect(Protocol::Http1).await;
    let started = std::time::Instant::now();
    let (_, answer) = post(
        &mut conn,
        review(
            "u-1",
            "pay",
            "CREATE",
            &pod("pay", &[&format!("{addr}/payments/api:1.0")]),
        ),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered within the deadline"
    );
    let response = &answer["response"];
    assert_eq!(response["allowed"], false, "{answer}");
    let message = response["status"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("before the admission deadline"),
        "{message}"
    );
    server.stop().await;
    hold.abort();
}
