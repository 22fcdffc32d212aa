//! Verification against a real registry: Debian's `docker-registry` on 127.0.0.1 with TLS
//! (and htpasswd basic auth where noted), images built and signed by the test with keys
//! generated for it. Each test starts its own registry and stops it on drop.

use std::time::Duration;

use kubepci_imagesig::testing::{CosignKey, Fulcio, NotaryCa, Rekor, TestRegistry, key_bundle};
use kubepci_imagesig::{Registry, TrustPolicy, Verdict, Verifier};
use kubepci_rules::settings::SignaturePolicy;
use kubepci_rules::signatures::Outcome;
use serde_json::json;

const REPO: &str = "payments/api";
const BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const NOTARY: &str = "application/vnd.cncf.notary.signature";

fn make_verifier(registry: &TestRegistry, policy: serde_json::Value) -> Verifier {
    let settings: SignaturePolicy = serde_json::from_value(policy).expect("policy");
    let trust = TrustPolicy::load(&settings).expect("trust");
    let client = Registry::new(registry.options(Duration::from_secs(5))).expect("client");
    Verifier::new(trust, client)
}

fn one_policy(registry: &TestRegistry, signers: serde_json::Value) -> serde_json::Value {
    json!({
        "policies": [{
            "name": "payments-images",
            "images": [format!("{}/payments/**", registry.host)],
            "signers": signers
        }]
    })
}

async fn verify(verifier: &Verifier, image: &str) -> Verdict {
    verifier
        .verify(image)
        .await
        .expect("a policy covers the image")
}

fn assert_rejected(verdict: &Verdict, needle: &str) {
    let v = &verdict.verification;
    assert_eq!(v.outcome, Outcome::Rejected, "{v:#?}");
    let reason = v.reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains(needle),
        "reason `{reason}` lacks `{needle}`"
    );
}

#[tokio::test]
async fn cosign_keys_admit_the_right_signer_and_deny_with_the_reason() {
    let Some(mut registry) = TestRegistry::start(true) else {
        return;
    };
    let push = registry.pusher();
    let key = CosignKey::p256();
    let ed = CosignKey::ed25519();
    let other = CosignKey::p256();
    let image = |tag: &str| push.image(REPO, tag);
    let name = format!("{}/{REPO}", registry.host);

    let signed = push.image_with(REPO, "1.0", "signed").await.expect("push");
    push.cosign_signatures(REPO, &signed.digest, &[key.layer(&name, &signed.digest)])
        .await
        .expect("sign");
    let unsigned = push
        .image_with(REPO, "2.0", "unsigned")
        .await
        .expect("push");
    let foreign = push.image_with(REPO, "3.0", "foreign").await.expect("push");
    push.cosign_signatures(
        REPO,
        &foreign.digest,
        &[other.layer(&name, &foreign.digest)],
    )
    .await
    .expect("sign");
    // A valid signature of `signed`, copied under the signature tag of another digest.
    let copied = push.image_with(REPO, "4.0", "copied").await.expect("push");
    push.cosign_signatures(REPO, &copied.digest, &[key.layer(&name, &signed.digest)])
        .await
        .expect("sign");
    // Signed, then the tag moved to an image nobody signed.
    let first = push
        .image_with(REPO, "release", "release-1")
        .await
        .expect("push");
    push.cosign_signatures(REPO, &first.digest, &[key.layer(&name, &first.digest)])
        .await
        .expect("sign");
    let moved = push
        .image_with(REPO, "release", "release-2")
        .await
        .expect("push");
    let ed_signed = push.image_with(REPO, "5.0", "ed25519").await.expect("push");
    push.cosign_signatures(
        REPO,
        &ed_signed.digest,
        &[ed.layer(&name, &ed_signed.digest)],
    )
    .await
    .expect("sign");

    let key_file = registry.write_file("cosign.pub", key.public_pem().as_bytes());
    let ed_file = registry.write_file("ed25519.pub", ed.public_pem().as_bytes());
    let policy = one_policy(
        &registry,
        json!([{"cosignKey": {"publicKey": key_file}}, {"cosignKey": {"publicKey": ed_file}}]),
    );
    let verifier = make_verifier(&registry, policy.clone());

    let ok = verify(&verifier, &image("1.0")).await;
    assert_eq!(ok.verification.outcome, Outcome::Verified, "{ok:#?}");
    assert_eq!(
        ok.verification.digest.as_deref(),
        Some(signed.digest.as_str())
    );
    assert_eq!(ok.verification.signers, [format!("cosign key {key_file}")]);
    assert!(!ok.cached);
    let pinned = verify(&verifier, &push.pinned(REPO, &signed.digest)).await;
    assert_eq!(pinned.verification.outcome, Outcome::Verified);
    assert!(pinned.cached, "a digest verified once is remembered");

    let ed_ok = verify(&verifier, &image("5.0")).await;
    assert_eq!(
        ed_ok.verification.signers,
        [format!("cosign key {ed_file}")],
        "{ed_ok:#?}"
    );

    let none = verify(&verifier, &image("2.0")).await;
    assert_rejected(&none, &format!("no signature signs {}", unsigned.digest));
    assert_rejected(
        &verify(&verifier, &image("3.0")).await,
        &format!("does not verify with cosign key {key_file}"),
    );
    assert_rejected(
        &verify(&verifier, &image("4.0")).await,
        &format!("it signs {}, not {}", signed.digest, copied.digest),
    );
    let retagged = verify(&verifier, &image("release")).await;
    assert_eq!(
        retagged.verification.digest.as_deref(),
        Some(moved.digest.as_str())
    );
    assert_rejected(&retagged, "(what tag `release` names now)");
    let first_pinned = verify(&verifier, &push.pinned(REPO, &first.digest)).await;
    assert_eq!(
        first_pinned.verification.outcome,
        Outcome::Verified,
        "the old digest stays signed"
    );
    assert!(
        verifier
            .verify("docker.io/library/nginx:1.27")
            .await
            .is_none(),
        "no policy covers it"
    );

    // Wrong credentials: the registry answers, and refuses.
    let mut wrong = registry.options(Duration::from_secs(5));
    wrong.credentials = kubepci_imagesig::Credentials::parse(
        "wrong",
        json!({"auths": {&registry.host: {"username": "kubepci", "password": "nope"}}})
            .to_string()
            .as_bytes(),
    )
    .expect("credentials");
    let settings: SignaturePolicy = serde_json::from_value(policy.clone()).expect("policy");
    let refused = Verifier::new(
        TrustPolicy::load(&settings).expect("trust"),
        Registry::new(wrong).expect("client"),
    );
    let denied = verify(&refused, &image("1.0")).await;
    assert_eq!(
        denied.verification.outcome,
        Outcome::Rejected,
        "{denied:#?}"
    );

    // The registry goes down: what is cached by digest still verifies, the rest is unavailable.
    registry.stop();
    let down = verify(&verifier, &image("2.0")).await;
    assert_eq!(down.verification.outcome, Outcome::Unavailable, "{down:#?}");
    assert!(
        down.verification
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("unavailable"),
        "{down:#?}"
    );
    let cached = verify(&verifier, &push.pinned(REPO, &signed.digest)).await;
    assert_eq!(cached.verification.outcome, Outcome::Verified);
    let fresh = make_verifier(&registry, policy);
    let unknown = verify(&fresh, &push.pinned(REPO, &signed.digest)).await;
    assert_eq!(unknown.verification.outcome, Outcome::Unavailable);
}

#[tokio::test]
async fn keyless_signatures_check_chain_identity_and_transparency_log() {
    let Some(registry) = TestRegistry::start(false) else {
        return;
    };
    let push = registry.pusher();
    let fulcio = Fulcio::default();
    let rekor = Rekor::new();
    let name = format!("{}/{REPO}", registry.host);
    let issuer = "https://token.ci.example";
    let subject = "https://ci.example/payments/.ci/release.yaml@refs/heads/main";

    let good = push.image_with(REPO, "1.0", "keyless").await.expect("push");
    push.cosign_signatures(
        REPO,
        &good.digest,
        &[fulcio.cosign_layer(&rekor, subject, issuer, &name, &good.digest)],
    )
    .await
    .expect("sign");
    let stranger = push
        .image_with(REPO, "2.0", "stranger")
        .await
        .expect("push");
    push.cosign_signatures(
        REPO,
        &stranger.digest,
        &[fulcio.cosign_layer(
            &rekor,
            "https://ci.example/other/.ci/release.yaml@refs/heads/main",
            issuer,
            &name,
            &stranger.digest,
        )],
    )
    .await
    .expect("sign");
    let rogue_ca = push
        .image_with(REPO, "3.0", "rogue-ca")
        .await
        .expect("push");
    push.cosign_signatures(
        REPO,
        &rogue_ca.digest,
        &[Fulcio::new("rogue").cosign_layer(&rekor, subject, issuer, &name, &rogue_ca.digest)],
    )
    .await
    .expect("sign");
    let rogue_log = push
        .image_with(REPO, "4.0", "rogue-log")
        .await
        .expect("push");
    push.cosign_signatures(
        REPO,
        &rogue_log.digest,
        &[fulcio.cosign_layer(&Rekor::new(), subject, issuer, &name, &rogue_log.digest)],
    )
    .await
    .expect("sign");
    let other_issuer = push
        .image_with(REPO, "5.0", "other-issuer")
        .await
        .expect("push");
    push.cosign_signatures(
        REPO,
        &other_issuer.digest,
        &[fulcio.cosign_layer(
            &rekor,
            subject,
            "https://accounts.example",
            &name,
            &other_issuer.digest,
        )],
    )
    .await
    .expect("sign");
    // Sigstore bundles as referrers (tag-schema fallback: the registry has no referrers API).
    let bundled = push.image_with(REPO, "6.0", "bundle").await.expect("push");
    push.attach(
        REPO,
        &bundled,
        BUNDLE,
        BUNDLE,
        &fulcio.dsse_bundle(&rekor, subject, issuer, &name, &bundled.digest),
    )
    .await
    .expect("attach");
    let misbundled = push
        .image_with(REPO, "7.0", "misbundled")
        .await
        .expect("push");
    push.attach(
        REPO,
        &misbundled,
        BUNDLE,
        BUNDLE,
        &fulcio.dsse_bundle(&rekor, subject, issuer, &name, &bundled.digest),
    )
    .await
    .expect("attach");

    let roots = registry.write_file("fulcio.pem", fulcio.root_pem().as_bytes());
    let rekor_key = registry.write_file("rekor.pub", rekor.public_pem().as_bytes());
    let verifier = make_verifier(
        &registry,
        one_policy(
            &registry,
            json!([{"keyless": {
                "issuer": issuer,
                "subject": "https://ci.example/payments/*@refs/heads/main",
                "fulcioRoots": roots,
                "rekorKey": rekor_key
            }}]),
        ),
    );
    let ok = verify(&verifier, &push.image(REPO, "1.0")).await;
    assert_eq!(ok.verification.outcome, Outcome::Verified, "{ok:#?}");
    assert_rejected(
        &verify(&verifier, &push.image(REPO, "2.0")).await,
        "https://ci.example/other/",
    );
    assert_rejected(
        &verify(&verifier, &push.image(REPO, "3.0")).await,
        "does not chain to a trusted root",
    );
    assert_rejected(
        &verify(&verifier, &push.image(REPO, "4.0")).await,
        "not the configured Rekor key",
    );
    assert_rejected(
        &verify(&verifier, &push.image(REPO, "5.0")).await,
        "OIDC issuer https://accounts.example",
    );
    let bundle_ok = verify(&verifier, &push.image(REPO, "6.0")).await;
    assert_eq!(
        bundle_ok.verification.outcome,
        Outcome::Verified,
        "{bundle_ok:#?}"
    );
    assert_rejected(
        &verify(&verifier, &push.image(REPO, "7.0")).await,
        &format!("is about {}, not {}", bundled.digest, misbundled.digest),
    );

    // A bundle signed with a cosign key, for a key policy.
    let key = CosignKey::p256();
    let key_bundled = push
        .image_with(REPO, "8.0", "key-bundle")
        .await
        .expect("push");
    push.attach(
        REPO,
        &key_bundled,
        BUNDLE,
        BUNDLE,
        &key_bundle(&key, &name, &key_bundled.digest),
    )
    .await
    .expect("attach");
    let key_file = registry.write_file("cosign.pub", key.public_pem().as_bytes());
    let key_verifier = make_verifier(
        &registry,
        one_policy(&registry, json!([{"cosignKey": {"publicKey": key_file}}])),
    );
    let ok = verify(&key_verifier, &push.image(REPO, "8.0")).await;
    assert_eq!(ok.verification.outcome, Outcome::Verified, "{ok:#?}");
    // The keyless signature of 1.0 is not a key signature.
    assert_rejected(
        &verify(&key_verifier, &push.image(REPO, "1.0")).await,
        "does not verify with cosign key",
    );
}

#[tokio::test]
async fn notary_project_signatures_check_the_trust_store_and_identity() {
    let Some(registry) = TestRegistry::start(true) else {
        return;
    };
    let push = registry.pusher();
    let ca = NotaryCa::new("Example Payments", "release");
    let signed = push
        .image_with(REPO, "1.0", "notation")
        .await
        .expect("push");
    push.attach(
        REPO,
        &signed,
        NOTARY,
        "application/jose+json",
        &ca.envelope(&signed),
    )
    .await
    .expect("attach");
    let rogue = push.image_with(REPO, "2.0", "rogue").await.expect("push");
    push.attach(
        REPO,
        &rogue,
        NOTARY,
        "application/jose+json",
        &NotaryCa::new("Example Payments", "release").envelope(&rogue),
    )
    .await
    .expect("attach");
    let copied = push.image_with(REPO, "3.0", "copied").await.expect("push");
    push.attach(
        REPO,
        &copied,
        NOTARY,
        "application/jose+json",
        &ca.envelope(&signed),
    )
    .await
    .expect("attach");

    let store = registry.write_file("notary-root.pem", ca.root_pem().as_bytes());
    let policy = |identity: &str| {
        one_policy(
            &registry,
            json!([{"notation": {"trustStore": [store], "trustedIdentities": [identity]}}]),
        )
    };
    let verifier = make_verifier(
        &registry,
        policy("x509.subject: C=US, O=Example Payments, CN=release"),
    );
    let ok = verify(&verifier, &push.image(REPO, "1.0")).await;
    assert_eq!(ok.verification.outcome, Outcome::Verified, "{ok:#?}");
    assert_rejected(
        &verify(&verifier, &push.image(REPO, "2.0")).await,
        "does not chain to a trusted root",
    );
    assert_rejected(
        &verify(&verifier, &push.image(REPO, "3.0")).await,
        &format!("it signs {}, not {}", signed.digest, copied.digest),
    );
    let strict = make_verifier(
        &registry,
        policy("x509.subject: O=Example Payments, CN=someone-else"),
    );
    assert_rejected(
        &verify(&strict, &push.image(REPO, "1.0")).await,
        "is not a trusted identity",
    );
    let any = make_verifier(&registry, policy("*"));
    assert_eq!(
        verify(&any, &push.image(REPO, "1.0"))
            .await
            .verification
            .outcome,
        Outcome::Verified
    );
}

#[tokio::test]
async fn require_all_needs_every_signer() {
    let Some(registry) = TestRegistry::start(false) else {
        return;
    };
    let push = registry.pusher();
    let key = CosignKey::p256();
    let ca = NotaryCa::new("Example Payments", "release");
    let name = format!("{}/{REPO}", registry.host);
    let both = push.image_with(REPO, "1.0", "both").await.expect("push");
    push.cosign_signatures(REPO, &both.digest, &[key.layer(&name, &both.digest)])
        .await
        .expect("sign");
    push.attach(
        REPO,
        &both,
        NOTARY,
        "application/jose+json",
        &ca.envelope(&both),
    )
    .await
    .expect("attach");
    let one = push.image_with(REPO, "2.0", "one").await.expect("push");
    push.cosign_signatures(REPO, &one.digest, &[key.layer(&name, &one.digest)])
        .await
        .expect("sign");
    let key_file = registry.write_file("cosign.pub", key.public_pem().as_bytes());
    let store = registry.write_file("notary-root.pem", ca.root_pem().as_bytes());
    let verifier = make_verifier(
        &registry,
        json!({"policies": [{
            "name": "two-party",
            "images": [format!("{}/payments/**", registry.host)],
            "require": "all",
            "signers": [
                {"cosignKey": {"publicKey": key_file}},
                {"notation": {"trustStore": [store], "trustedIdentities": ["*"]}}
            ]
        }]}),
    );
    let ok = verify(&verifier, &push.image(REPO, "1.0")).await;
    assert_eq!(ok.verification.outcome, Outcome::Verified, "{ok:#?}");
    assert_eq!(ok.verification.signers.len(), 2);
    assert_rejected(
        &verify(&verifier, &push.image(REPO, "2.0")).await,
        "lacks a verified signature by notation *",
    );
}

#[tokio::test]
async fn a_registry_that_never_answers_times_out_as_unavailable() {
    // A listener that accepts connections and never speaks TLS.
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
    let settings: SignaturePolicy = serde_json::from_value(json!({
        "registry": {"timeoutSeconds": 1},
        "policies": [{
            "name": "p",
            "images": [format!("{addr}/**")],
            "signers": [{"cosignKey": {"publicKey": write_temp_key()}}]
        }]
    }))
    .expect("policy");
    let verifier = Verifier::from_settings(&settings).expect("verifier");
    let started = std::time::Instant::now();
    let verdict = verifier
        .verify(&format!("{addr}/payments/api:1.0"))
        .await
        .expect("covered");
    assert_eq!(
        verdict.verification.outcome,
        Outcome::Unavailable,
        "{verdict:#?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "bounded by the time-out"
    );
    hold.abort();
}

fn write_temp_key() -> String {
    let dir = std::env::temp_dir().join(format!("kubepci-imagesig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("cosign.pub");
    std::fs::write(&path, CosignKey::p256().public_pem()).expect("write");
    path.display().to_string()
}

#[tokio::test]
async fn bearer_tokens_from_the_registrys_token_service() {
    let Some(registry) = TestRegistry::start_with(kubepci_imagesig::testing::Auth::Token) else {
        return;
    };
    let push = registry.pusher();
    let key = CosignKey::p256();
    let name = format!("{}/{REPO}", registry.host);
    let signed = push
        .image_with(REPO, "1.0", "token")
        .await
        .expect("push through a token");
    push.cosign_signatures(REPO, &signed.digest, &[key.layer(&name, &signed.digest)])
        .await
        .expect("sign");
    let key_file = registry.write_file("cosign.pub", key.public_pem().as_bytes());
    let policy = one_policy(&registry, json!([{"cosignKey": {"publicKey": key_file}}]));
    let before = registry.tokens_issued();
    let verifier = make_verifier(&registry, policy.clone());
    let ok = verify(&verifier, &push.image(REPO, "1.0")).await;
    assert_eq!(ok.verification.outcome, Outcome::Verified, "{ok:#?}");
    assert!(
        registry.tokens_issued() > before,
        "the verifier asked the token service"
    );

    // Without credentials the token service refuses, and so does the registry.
    let settings: SignaturePolicy = serde_json::from_value(policy).expect("policy");
    let mut anonymous = registry.options(Duration::from_secs(5));
    anonymous.credentials = kubepci_imagesig::Credentials::default();
    let refused = Verifier::new(
        TrustPolicy::load(&settings).expect("trust"),
        Registry::new(anonymous).expect("client"),
    );
    let denied = verify(&refused, &push.image(REPO, "1.0")).await;
    assert_eq!(
        denied.verification.outcome,
        Outcome::Rejected,
        "{denied:#?}"
    );
    assert!(
        denied
            .verification
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("refused access"),
        "{denied:#?}"
    );
}
