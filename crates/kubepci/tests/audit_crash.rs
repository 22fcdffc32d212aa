//! Crash safety: `kubepci audit serve` is killed with SIGKILL at random points while several
//! clients post concurrently, then restarted; clients retry every unacknowledged batch (as the
//! apiserver does). At the end every acknowledged event must be in the store exactly once and
//! `kubepci audit verify` must pass.
//!
//! Runs 10 kills by default; `KUBEPCI_KILL_ITERATIONS=50` (or more) for the full run.

mod audit_support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use audit_support::{Setup, kubepci, setup};
use bytes::Bytes;
use kubepci_auditlog::testsupport::EventFactory;
use kubepci_https::client::Connection;
use kubepci_https::testcerts::client_config;

/// A batch and whether the server acknowledged it.
struct Batch {
    body: Bytes,
    ids: Vec<String>,
    acked: bool,
}

/// Deterministic pseudo-random numbers (xorshift), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

fn make_batch(factory: &mut EventFactory, n: usize) -> Batch {
    let mut ids = Vec::with_capacity(n);
    let mut body = String::from(r#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":["#);
    for i in 0..n {
        let event = factory.next_event();
        let v: serde_json::Value = serde_json::from_str(&event).expect("event json");
        ids.push(v["auditID"].as_str().expect("auditID").to_owned());
        if i > 0 {
            body.push(',');
        }
        body.push_str(&event);
    }
    body.push_str("]}");
    Batch {
        body: Bytes::from(body),
        ids,
        acked: false,
    }
}

/// Posts batches until the connection breaks (the server was killed) or `rounds` are done.
async fn client(
    addr: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
    batches: Arc<Mutex<Vec<Batch>>>,
    mut factory: EventFactory,
    seed: u64,
    rounds: usize,
) -> EventFactory {
    let mut rng = Rng(seed | 1);
    let Ok(mut conn) = Connection::connect(addr, tls, "localhost").await else {
        return factory;
    };
    for _ in 0..rounds {
        // Retry an unacknowledged batch first, else send a new one; sometimes resend an
        // acknowledged one (a retry whose answer was lost).
        let pick = {
            let mut all = batches.lock().expect("lock");
            if let Some(i) = all.iter().position(|b| !b.acked) {
                i
            } else if rng.next(5) == 0 && !all.is_empty() {
                rng.next(all.len() as u64) as usize
            } else {
                let n = 1 + rng.next(60) as usize;
                all.push(make_batch(&mut factory, n));
                all.len() - 1
            }
        };
        let body = batches.lock().expect("lock")[pick].body.clone();
        match conn.post("/v1/k8s-audit", body).await {
            Ok((status, _)) if status == 200 => batches.lock().expect("lock")[pick].acked = true,
            Ok((status, _)) if status == 503 => tokio::time::sleep(Duration::from_millis(10)).await,
            Ok((status, answer)) => panic!("unexpected answer {status}: {answer:?}"),
            Err(_) => return factory,
        }
    }
    factory
}

fn run_clients(
    setup: &Setup,
    addr: SocketAddr,
    batches: &[Arc<Mutex<Vec<Batch>>>],
    factories: &mut Vec<EventFactory>,
    seed: u64,
    kill_after: Option<Duration>,
    server: Option<audit_support::Server>,
) {
    let (cert, key) = setup.pki.client("apiserver-1").expect("client cert");
    let tls = client_config(setup.pki.ca_pem(), Some((&cert, &key)));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let rounds = if kill_after.is_some() { 100_000 } else { 200 };
        let tasks: Vec<_> = factories
            .drain(..)
            .enumerate()
            .map(|(i, f)| {
                tokio::spawn(client(
                    addr,
                    tls.clone(),
                    batches[i].clone(),
                    f,
                    seed * 31 + i as u64,
                    rounds,
                ))
            })
            .collect();
        if let (Some(delay), Some(server)) = (kill_after, server) {
            tokio::time::sleep(delay).await;
            tokio::task::spawn_blocking(move || server.kill())
                .await
                .expect("kill");
        }
        for task in tasks {
            factories.push(task.await.expect("client task"));
        }
    });
}

#[test]
fn sigkill_during_concurrent_ingest_loses_no_acknowledged_event() {
    let iterations: u64 = std::env::var("KUBEPCI_KILL_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let setup = setup();
    let clients = 4;
    let batches: Vec<Arc<Mutex<Vec<Batch>>>> = (0..clients)
        .map(|_| Arc::new(Mutex::new(Vec::new())))
        .collect();
    let mut factories: Vec<EventFactory> = (0..clients)
        .map(|i| EventFactory::synthetic(&format!("crash{i}")))
        .collect();
    let mut rng = Rng(0x5eed_1234_abcd);
    for iteration in 0..iterations {
        let server = setup.serve(&["--checkpoint-interval", "100ms"]);
        let addr = server.addr;
        let delay = Duration::from_millis(20 + rng.next(300));
        run_clients(
            &setup,
            addr,
            &batches,
            &mut factories,
            iteration + 1,
            Some(delay),
            Some(server),
        );
    }
    // A last clean run: clients retry what is still unacknowledged, then a graceful stop.
    let server = setup.serve(&[]);
    run_clients(
        &setup,
        server.addr,
        &batches,
        &mut factories,
        999,
        None,
        None,
    );
    server.stop();

    let mut acked_ids = Vec::new();
    let mut unacked = 0;
    for b in &batches {
        for batch in b.lock().expect("lock").iter() {
            if batch.acked {
                acked_ids.extend(batch.ids.iter().cloned());
            } else {
                unacked += 1;
            }
        }
    }
    assert_eq!(unacked, 0, "the clean run retries every batch");
    let out = kubepci(&[
        "audit",
        "query",
        "--data",
        &setup.s(&setup.data),
        "--format",
        "json",
    ]);
    assert!(out.status.success());
    let mut counts: HashMap<String, usize> = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        *counts
            .entry(v["event"]["auditID"].as_str().expect("auditID").to_owned())
            .or_default() += 1;
    }
    for id in &acked_ids {
        assert_eq!(
            counts.get(id),
            Some(&1),
            "acknowledged event {id} must be stored exactly once"
        );
    }
    assert!(counts.values().all(|&c| c == 1), "no event is stored twice");
    assert_eq!(counts.len(), acked_ids.len());
    let verify = kubepci(&[
        "audit",
        "verify",
        "--data",
        &setup.s(&setup.data),
        "--key",
        &setup.s(&setup.public),
    ]);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    eprintln!(
        "{iterations} kills, {} events acknowledged and stored once",
        acked_ids.len()
    );
}
