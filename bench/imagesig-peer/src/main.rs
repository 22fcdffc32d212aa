//! Verifies pods' images with sigstore-rs (cosign key signatures) and prints
//! `sigstore-rs CASE n median_us p99_us` lines like the kubepci side of the benchmark.
//!
//! Environment: REGISTRY_CA (PEM file), REGISTRY_USER, REGISTRY_PASSWORD, COSIGN_KEY (PEM
//! file), COLD_PODS (pods separated by `;`, images by `,`), WARM_POD (images by `,`), WARM
//! (repetitions).

use std::time::{Duration, Instant};

use sigstore::cosign::verification_constraint::{PublicKeyVerifier, VerificationConstraintVec};
use sigstore::cosign::{ClientBuilder, CosignCapabilities, verify_constraints};
use sigstore::crypto::SigningScheme;
use sigstore::registry::{Auth, Certificate, CertificateEncoding, ClientConfig, OciReference};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

fn client(ca: &[u8], cached: bool) -> sigstore::cosign::Client {
    let config = ClientConfig {
        extra_root_certificates: vec![Certificate {
            encoding: CertificateEncoding::Pem,
            data: ca.to_vec(),
        }],
        ..ClientConfig::default()
    };
    let builder = ClientBuilder::default().with_oci_client_config(config);
    let builder = if cached { builder.enable_registry_caching() } else { builder };
    builder.build().expect("sigstore client")
}

async fn verify_pod(
    client: &mut sigstore::cosign::Client,
    auth: &Auth,
    images: &[&str],
    constraints: &VerificationConstraintVec,
) {
    for image in images {
        let reference: OciReference = image.parse().expect("reference");
        let layers = client
            .trusted_signature_layers(auth, &reference)
            .await
            .expect("signature layers");
        verify_constraints(&layers, constraints.iter()).expect("verified");
    }
}

fn stats(mut samples: Vec<Duration>) -> (usize, u128, u128) {
    samples.sort();
    let n = samples.len();
    let at = |q: f64| samples[((q * n as f64).ceil() as usize).clamp(1, n) - 1].as_micros();
    (n, at(0.5), at(0.99))
}

#[tokio::main]
async fn main() {
    let ca = std::fs::read(env("REGISTRY_CA")).expect("CA");
    let key = std::fs::read(env("COSIGN_KEY")).expect("key");
    let auth = Auth::Basic(env("REGISTRY_USER"), env("REGISTRY_PASSWORD"));
    let constraints: VerificationConstraintVec = vec![Box::new(
        PublicKeyVerifier::new(&key, &SigningScheme::default()).expect("key"),
    )];
    let cold_pods = env("COLD_PODS");
    let warm_pod = env("WARM_POD");
    let warm: usize = env("WARM").parse().expect("WARM");
    let warm_images: Vec<&str> = warm_pod.split(',').collect();

    // Cold: one client (connections and tokens reused), images never verified before.
    let mut plain = client(&ca, false);
    verify_pod(&mut plain, &auth, &warm_images, &constraints).await;
    let mut cold = Vec::new();
    for pod in cold_pods.split(';') {
        let images: Vec<&str> = pod.split(',').collect();
        let start = Instant::now();
        verify_pod(&mut plain, &auth, &images, &constraints).await;
        cold.push(start.elapsed());
    }
    // Warm: the registry-caching client, the same pod again and again.
    let mut cached = client(&ca, true);
    verify_pod(&mut cached, &auth, &warm_images, &constraints).await;
    let mut hot = Vec::new();
    for _ in 0..warm {
        let start = Instant::now();
        verify_pod(&mut cached, &auth, &warm_images, &constraints).await;
        hot.push(start.elapsed());
    }
    for (name, samples) in [("cold", cold), ("warm-tag", hot)] {
        let (n, p50, p99) = stats(samples);
        println!("sigstore-rs {name} {n} {p50} {p99}");
    }
}
