//! Admission latency with image-signature verification (run by `bench/image-admission.sh`).
//!
//! Starts Debian's `docker-registry` on 127.0.0.1 (TLS, basic auth), pushes images signed
//! with a cosign key, runs the webhook in this process with the signing policy, and posts
//! AdmissionReviews of a Pod with three images over one HTTPS connection:
//!
//! - `cold`: three images never seen (every request resolves three tags, fetches their `.sig`
//!   manifests, payloads and referrers, and verifies);
//! - `warm-tag`: the same three tags again (verdicts cached by digest; one manifest request
//!   per tag, since tags are mutable);
//! - `warm-digest`: the three images pinned by digest (no registry request);
//! - `no-policy`: three images no policy covers (the webhook without verification: the floor).
//!
//! With `PEER=path`, also runs that program (bench/imagesig-peer, sigstore-rs) on the same
//! registry and images, and prints its figures beside ours. Prints one line per case:
//! `case n median_us p99_us`. Loopback only; every loop is bounded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kubepci_engine::admission::{Admitter, ContextStore};
use kubepci_engine::{RuleSelection, ScanOptions, load_config};
use kubepci_https::client::{Connection, Protocol};
use kubepci_https::testcerts::{TestPki, client_config};
use kubepci_https::tls::{ServerTls, TlsFiles};
use kubepci_imagesig::Verifier;
use kubepci_imagesig::testing::{CosignKey, TestRegistry};
use kubepci_k8s::{KindFilter, load};
use kubepci_webhook::{RunOptions, SharedContext};

const CONTEXT: &str =
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: pay, labels: {kubepci.io/scope: cde}}\n";

fn pod(images: &[String]) -> Vec<u8> {
    let containers: Vec<serde_json::Value> = images
        .iter()
        .enumerate()
        .map(|(i, image)| serde_json::json!({"name": format!("c{i}"), "image": image}))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "bench",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": "pay",
            "operation": "CREATE",
            "userInfo": {"username": "alice"},
            "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app", "namespace": "pay"}, "spec": {"containers": containers}}
        }
    }))
    .expect("json")
}

fn stats(mut samples: Vec<Duration>) -> (usize, u128, u128) {
    samples.sort();
    let n = samples.len();
    let at = |q: f64| {
        let i = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
        samples[i].as_micros()
    };
    (n, at(0.5), at(0.99))
}

async fn time_requests(
    conn: &mut Connection,
    bodies: &[Vec<u8>],
    expect_allowed: bool,
) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(bodies.len());
    for body in bodies {
        let start = Instant::now();
        let (status, answer) = conn
            .post("/validate", Bytes::from(body.clone()))
            .await
            .expect("answer");
        samples.push(start.elapsed());
        let answer: serde_json::Value = serde_json::from_slice(&answer).expect("json");
        assert_eq!(status.as_u16(), 200);
        assert_eq!(answer["response"]["allowed"], expect_allowed, "{answer}");
    }
    samples
}

fn main() {
    let cold: usize = std::env::var("COLD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let warm: usize = std::env::var("WARM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async move {
        let registry = TestRegistry::start(true).expect("docker-registry is installed");
        let push = registry.pusher();
        let key = CosignKey::p256();
        // COLD pods of three fresh images each, and one pod reused warm.
        let mut tags: Vec<Vec<String>> = Vec::new();
        let mut digests = Vec::new();
        for pod_index in 0..=cold {
            let mut images = Vec::new();
            for c in 0..3 {
                let repo = format!("payments/svc{c}");
                let tag = format!("v{pod_index}");
                let pushed = push.image_with(&repo, &tag, &format!("{pod_index}-{c}")).await.expect("push");
                let name = format!("{}/{repo}", registry.host);
                push.cosign_signatures(&repo, &pushed.digest, &[key.layer(&name, &pushed.digest)])
                    .await
                    .expect("sign");
                images.push(push.image(&repo, &tag));
                if pod_index == 0 {
                    digests.push(push.pinned(&repo, &pushed.digest));
                }
            }
            tags.push(images);
        }
        let key_file = registry.write_file("cosign.pub", key.public_pem().as_bytes());
        let ca_file = registry.write_file("ca.pem", registry.ca_pem.as_bytes());
        let creds = registry.write_file("dockerconfig.json", registry.dockerconfigjson().as_bytes());
        let config = format!(
            "images:\n  signatures:\n    policies:\n      - name: bench\n        images: [\"{host}/payments/**\"]\n        signers:\n          - cosignKey: {{publicKey: {key_file}}}\n    registry:\n      credentials: {creds}\n      caFiles: [{ca_file}]\n",
            host = registry.host
        );
        let config = load_config("kubepci.yaml", &config).expect("config");
        let verifier = Arc::new(Verifier::from_settings(&config.settings.images.signatures).expect("verifier"));
        let rules = RuleSelection::default().resolve(&config.disabled).expect("rules");
        let admitter = Admitter::new(ScanOptions {
            config,
            rules,
            waivers: None,
            default_namespace: None,
            as_of: time::OffsetDateTime::now_utc().date(),
        });

        let dir = tempfile::tempdir().expect("dir");
        let pki = TestPki::generate().expect("pki");
        let files = pki.write(dir.path()).expect("write");
        let tls = ServerTls::load(&TlsFiles {
            cert: files.server_cert.clone(),
            key: files.server_key.clone(),
            client_ca: None,
        })
        .expect("tls");
        let context = Arc::new(SharedContext::fixed(ContextStore::from_objects(
            load("context.yaml", CONTEXT.as_bytes(), &KindFilter::All, None).objects,
        )));
        let options = RunOptions {
            admitter,
            context,
            listen: "127.0.0.1:0".parse().expect("addr"),
            ops_listen: "127.0.0.1:0".parse().expect("addr"),
            tls,
            reload_interval: Duration::from_secs(60),
            own_namespace: None,
            deadline: Duration::from_secs(10),
            max_body_bytes: 1 << 20,
            max_concurrent: 8,
            shutdown_delay: Duration::ZERO,
            verifier: Some(verifier),
        };
        let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(kubepci_webhook::run(
            options,
            move |bound| {
                let _ = bound_tx.send(bound);
            },
            async move {
                let _ = stopped.await;
            },
        ));
        let bound = bound_rx.await.expect("started");
        let mut conn = Connection::connect_with(bound.api, client_config(pki.ca_pem(), None), "localhost", Protocol::Http1)
            .await
            .expect("connect");

        // Every image of these pods is signed, but the full catalogue also judges the pod
        // (no securityContext, no limits…): the answer is a denial by other rules, the same
        // for every case, so the cases differ by the verification alone.
        let warm_tag = pod(&tags[0]);
        let _ = time_requests(&mut conn, std::slice::from_ref(&warm_tag), false).await;
        let cold_bodies: Vec<Vec<u8>> = tags[1..].iter().map(|t| pod(t)).collect();
        let cold_samples = time_requests(&mut conn, &cold_bodies, false).await;
        let warm_tag_samples = time_requests(&mut conn, &vec![warm_tag; warm], false).await;
        let warm_digest_samples = time_requests(&mut conn, &vec![pod(&digests); warm], false).await;
        let plain: Vec<String> = (0..3).map(|c| format!("registry.other.example/svc{c}:1.0")).collect();
        let floor_samples = time_requests(&mut conn, &vec![pod(&plain); warm], false).await;
        for (name, samples) in [
            ("cold", cold_samples),
            ("warm-tag", warm_tag_samples),
            ("warm-digest", warm_digest_samples),
            ("no-policy", floor_samples),
        ] {
            let (n, p50, p99) = stats(samples);
            println!("kubepci {name} {n} {p50} {p99}");
        }

        if let Ok(peer) = std::env::var("PEER") {
            let (user, pass) = registry.basic_auth.clone().unwrap_or_default();
            let list = |set: &[Vec<String>]| set.iter().map(|p| p.join(",")).collect::<Vec<_>>().join(";");
            let output = std::process::Command::new(peer)
                .env("REGISTRY_CA", &ca_file)
                .env("REGISTRY_USER", user)
                .env("REGISTRY_PASSWORD", pass)
                .env("COSIGN_KEY", &key_file)
                .env("COLD_PODS", list(&tags[1..]))
                .env("WARM_POD", tags[0].join(","))
                .env("WARM", warm.to_string())
                .output()
                .expect("peer runs");
            print!("{}", String::from_utf8_lossy(&output.stdout));
            if !output.status.success() {
                eprintln!("peer failed: {}", String::from_utf8_lossy(&output.stderr));
            }
        }
        let _ = stop.send(());
        let _ = server.await;
        drop(registry);
    });
}
