//! Load generator for `bench/audit-ingest.sh`: N concurrent HTTPS clients post 400-event
//! `EventList`s built from the real Falco trace events (fresh auditIDs and timestamps) to a
//! `kubepci audit serve` on loopback, and it prints durable events/s and acknowledgement
//! latency percentiles.
//!
//! ```text
//! audit-loadgen certs DIR
//! audit-loadgen run ADDR DIR CLIENTS BATCHES_PER_CLIENT EVENTS_PER_BATCH [TRACE_DIR]
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kubepci_auditlog::testsupport::{EventFactory, load_trace_events};
use kubepci_https::client::Connection;
use kubepci_https::testcerts::{TestPki, client_config};

fn usage() -> ! {
    eprintln!("usage: audit-loadgen certs DIR | run ADDR DIR CLIENTS BATCHES EVENTS [TRACE_DIR]");
    std::process::exit(2)
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize) -> T {
    args.get(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| usage())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("certs") => {
            let dir = PathBuf::from(args.get(2).unwrap_or_else(|| usage()));
            std::fs::create_dir_all(&dir).expect("create the certificate directory");
            let pki = TestPki::generate().expect("generate certificates");
            pki.write(&dir).expect("write certificates");
        }
        Some("run") => {
            let addr: SocketAddr = arg(&args, 2);
            if !addr.ip().is_loopback() {
                eprintln!("refusing to send load to {addr}: loopback addresses only");
                std::process::exit(2);
            }
            let dir = PathBuf::from(args.get(3).unwrap_or_else(|| usage()));
            let clients: usize = arg(&args, 4);
            let batches: usize = arg(&args, 5);
            let events: usize = arg(&args, 6);
            let trace = args.get(7).map(PathBuf::from);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(run(addr, &dir, clients, batches, events, trace.as_deref()));
        }
        _ => usage(),
    }
}

async fn run(
    addr: SocketAddr,
    dir: &Path,
    clients: usize,
    batches: usize,
    events: usize,
    trace: Option<&Path>,
) {
    let templates = match trace {
        Some(t) => load_trace_events(t).expect("read the trace events"),
        None => Vec::new(),
    };
    let read =
        |name: &str| std::fs::read_to_string(dir.join(name)).expect("read certificate files");
    let tls = client_config(
        &read("ca.crt"),
        Some((&read("client.crt"), &read("client.key"))),
    );
    // Build every body first so that the timed part only sends.
    let mut bodies: Vec<Vec<Bytes>> = Vec::new();
    let mut total_bytes = 0usize;
    for c in 0..clients {
        let prefix = format!("bench{}-{c}", std::process::id());
        let mut factory = if templates.is_empty() {
            EventFactory::synthetic(&prefix)
        } else {
            EventFactory::new(templates.clone(), &prefix)
        };
        let list: Vec<Bytes> = (0..batches)
            .map(|_| Bytes::from(factory.event_list(events)))
            .collect();
        total_bytes += list.iter().map(Bytes::len).sum::<usize>();
        bodies.push(list);
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for list in bodies {
        let tls = tls.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Connection::connect(addr, tls, "localhost")
                .await
                .expect("connect");
            let mut latencies = Vec::with_capacity(list.len());
            for body in list {
                loop {
                    let sent = Instant::now();
                    let (status, _) = conn
                        .post("/v1/k8s-audit", body.clone())
                        .await
                        .expect("post");
                    if status.is_success() {
                        latencies.push(sent.elapsed());
                        break;
                    }
                    assert_eq!(status.as_u16(), 503, "unexpected status {status}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("client task"));
    }
    let elapsed = start.elapsed();
    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_secs_f64() * 1000.0
    };
    let total = (clients * batches * events) as f64;
    println!(
        "events={} bytes={} seconds={:.3} events_per_s={:.0} p50_ms={:.1} p99_ms={:.1}",
        total,
        total_bytes,
        elapsed.as_secs_f64(),
        total / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99)
    );
}
