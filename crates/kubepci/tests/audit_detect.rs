//! `kubepci audit detect`, `audit serve` with detection, and `audit review`, end to end: the
//! offline door and the server raise the same alerts on the same events; alerts are records of
//! the log that verify; they are forwarded to stdout and to an HTTP receiver; a receiver that
//! never answers costs no acknowledged event; metrics count them; the review renders in all
//! three formats.

mod audit_support;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use audit_support::{kubepci, setup};
use bytes::Bytes;
use kubepci_https::client::Connection;
use kubepci_https::testcerts::client_config;

const SITE: &str = "- list: kubepci_cde_namespaces\n  items: [payments]\n  override:\n    items: append\n- list: kubepci_cde_secret_readers\n  items: [system:serviceaccount:payments:tokenizer]\n  override:\n    items: append\n";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubepci-detect/tests/fixtures/pci")
}

const FILES: [&str; 6] = [
    "card-number.fail.jsonl",
    "exec-cde.fail.jsonl",
    "cde-secret-read.fail.jsonl",
    "denial-storm.fail.jsonl",
    "policy-changed.pass.jsonl",
    "admission-control.fail.jsonl",
];

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn site(dir: &Path) -> String {
    let path = dir.join("site.yaml");
    std::fs::write(&path, SITE).expect("write site rules");
    path.to_string_lossy().into_owned()
}

fn alerts_of(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn detect_prints_alerts_and_reports_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let site = site(dir.path());
    let card = fixtures().join("card-number.fail.jsonl");
    let out = kubepci(&["audit", "detect", "--rules", &site, &card.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let alerts = alerts_of(&out.stdout);
    assert_eq!(alerts.len(), 2);
    for a in &alerts {
        assert_eq!(a["rule"], "kubepci Card Number in Request");
        assert_eq!(a["priority"], "Critical");
        assert_eq!(a["source"], "k8s_audit");
        for key in [
            "uuid",
            "output",
            "time",
            "output_fields",
            "tags",
            "hostname",
        ] {
            assert!(a.get(key).is_some(), "falcosidekick field {key}: {a}");
        }
    }
    let all = String::from_utf8_lossy(&out.stdout);
    assert!(
        !all.contains("4111 1111 1111 1111") && !all.contains("5555555555554444"),
        "{all}"
    );

    let table = kubepci(&[
        "audit",
        "detect",
        "--rules",
        &site,
        "--format",
        "table",
        "--min-priority",
        "error",
        &card.to_string_lossy(),
    ]);
    let t = text(&table);
    assert!(
        t.starts_with("TIME") && t.contains("kubepci Card Number in Request"),
        "{t}"
    );

    // Bad events: reported with file and line, the rest still evaluated, exit 2.
    let bad = dir.path().join("bad.jsonl");
    let good = std::fs::read_to_string(&card).expect("fixture");
    std::fs::write(&bad, format!("{{\"kind\": 0}}\n{good}")).expect("write");
    let out = kubepci(&["audit", "detect", "--rules", &site, &bad.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(alerts_of(&out.stdout).len(), 2);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("bad.jsonl:1: data not recognised as a Kubernetes audit event")
    );

    // A broken rules file: file and line, exit 2.
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "- rule: R\n  desc: d\n  condition: ka.verb = get and\n  output: o\n  priority: info\n  source: k8s_audit\n").expect("write");
    let out = kubepci(&[
        "audit",
        "detect",
        "--rules",
        &broken.to_string_lossy(),
        &card.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.yaml:3: rule \"R\": condition:"),
        "{err}"
    );
    let unknown = dir.path().join("unknown.yaml");
    std::fs::write(&unknown, "- rule: R\n  desc: d\n  condition: ka.nope = 1\n  output: o\n  priority: info\n  source: k8s_audit\n").expect("write");
    let out = kubepci(&[
        "audit",
        "detect",
        "--rules",
        &unknown.to_string_lossy(),
        &card.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field 'ka.nope'"));
}

/// A tiny HTTP receiver on loopback: answers 200 to every POST and keeps the bodies.
fn receiver() -> (SocketAddr, Arc<Mutex<Vec<serde_json::Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let got = Arc::new(Mutex::new(Vec::new()));
    let keep = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let keep = keep.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match stream.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while buf.len() < head_end + 4 + len {
                        match stream.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body: Vec<u8> = buf[head_end + 4..head_end + 4 + len].to_vec();
                    buf.drain(..head_end + 4 + len);
                    if let Ok(v) = serde_json::from_slice(&body) {
                        keep.lock().expect("lock").push(v);
                    }
                    if stream
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (addr, got)
}

/// A receiver that accepts connections and never answers.
fn black_hole() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    addr
}

fn event_list(file: &Path) -> String {
    let items: Vec<String> = std::fs::read_to_string(file)
        .expect("fixture")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    format!(
        "{{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"items\":[{}]}}",
        items.join(",")
    )
}

fn post(setup: &audit_support::Setup, addr: SocketAddr, bodies: &[String]) {
    let (cert, key) = setup.pki.client("apiserver-1").expect("client cert");
    let tls = client_config(setup.pki.ca_pem(), Some((&cert, &key)));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let mut conn = Connection::connect(addr, tls, "localhost")
            .await
            .expect("connect");
        for body in bodies {
            let (status, answer) = conn
                .post("/v1/k8s-audit", Bytes::from(body.clone()))
                .await
                .expect("post");
            assert_eq!(status, 200, "{answer:?}");
        }
    });
}

fn metrics(addr: SocketAddr) -> String {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to metrics");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .expect("request");
    let mut out = String::new();
    stream.read_to_string(&mut out).expect("metrics");
    out
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..1500 {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn serve_with_rules_stores_forwards_and_matches_detect() {
    let setup = setup();
    let s = |p: &Path| setup.s(p);
    let site = site(setup.root.path());
    let (receiver_addr, received) = receiver();
    let url = format!("http://{receiver_addr}/");
    let (server, metrics_addr, stdout) =
        setup.serve_with_metrics(&["--rules", &site, "--alert-url", &url]);
    let bodies: Vec<String> = FILES
        .iter()
        .map(|f| event_list(&fixtures().join(f)))
        .collect();
    post(&setup, server.addr, &bodies);
    // The apiserver retries a batch: nothing new is stored or forwarded.
    post(&setup, server.addr, &bodies[..1]);

    // The offline door on the same events, with the server's source for the IDs.
    let files: Vec<String> = FILES
        .iter()
        .map(|f| fixtures().join(f).to_string_lossy().into_owned())
        .collect();
    let mut args = vec![
        "audit",
        "detect",
        "--rules",
        &site,
        "--source",
        "apiserver-1",
    ];
    args.extend(files.iter().map(String::as_str));
    let offline = kubepci(&args);
    assert_eq!(offline.status.code(), Some(0), "{}", text(&offline));
    let expected = alerts_of(&offline.stdout);
    assert_eq!(expected.len(), 2 + 2 + 2 + 1 + 2, "{expected:#?}");

    wait_for("the HTTP receiver", || {
        received.lock().expect("lock").len() >= expected.len()
    });
    let mut on_stdout = Vec::new();
    wait_for("alerts on stdout", || {
        while let Ok(line) = stdout.try_recv() {
            on_stdout.push(line);
        }
        on_stdout.len() >= expected.len()
    });
    let m = metrics(metrics_addr);
    assert!(m.contains("kubepci_audit_alerts_total{rule=\"kubepci Card Number in Request\",priority=\"Critical\"} 4"), "{m}");
    assert!(m.contains("kubepci_audit_dedupe_hits_total"), "{m}");
    assert!(m.contains("kubepci_audit_fsync_seconds_bucket"), "{m}");
    assert!(
        m.contains("kubepci_audit_events_total{endpoint=\"k8s-audit\"}"),
        "{m}"
    );
    assert!(
        m.contains("kubepci_audit_alerts_forwarded_total{output=\"http\"}"),
        "{m}"
    );
    server.stop();

    let uuids = |alerts: &[serde_json::Value]| {
        let mut v: Vec<(String, String)> = alerts
            .iter()
            .map(|a| {
                (
                    a["uuid"].as_str().unwrap_or_default().to_owned(),
                    a["rule"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let forwarded = received.lock().expect("lock").clone();
    assert_eq!(
        uuids(&forwarded),
        uuids(&expected),
        "the server forwarded what detect prints, once"
    );
    let printed: Vec<serde_json::Value> = on_stdout
        .iter()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(uuids(&printed), uuids(&expected));

    // The alerts are records of the log: they verify, and they are the same alerts.
    let verify = kubepci(&[
        "audit",
        "verify",
        "--data",
        &s(&setup.data),
        "--key",
        &s(&setup.public),
    ]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    let events: usize = FILES
        .iter()
        .map(|f| {
            std::fs::read_to_string(fixtures().join(f))
                .expect("fixture")
                .lines()
                .count()
        })
        .sum();
    assert!(
        text(&verify).contains(&format!("entries: {}", events + expected.len())),
        "{}",
        text(&verify)
    );
    let query = kubepci(&[
        "audit",
        "query",
        "--data",
        &s(&setup.data),
        "--format",
        "json",
    ]);
    let stored: Vec<serde_json::Value> = alerts_of(&query.stdout)
        .into_iter()
        .filter(|r| r["kind"] == "falco")
        .map(|r| r["event"].clone())
        .collect();
    assert_eq!(uuids(&stored), uuids(&expected));
    for a in &stored {
        let e = expected
            .iter()
            .find(|e| e["uuid"] == a["uuid"])
            .expect("same alert");
        assert_eq!(a["output"], e["output"]);
        assert_eq!(a["output_fields"], e["output_fields"]);
        assert_eq!(a["time"], e["time"]);
    }

    // The daily review, in its three formats.
    for (format, marker) in [
        ("table", "Daily log review"),
        ("json", "kubepci.review/v1"),
        ("html", "<!DOCTYPE html>"),
    ] {
        let out = kubepci(&[
            "audit",
            "review",
            "--data",
            &s(&setup.data),
            "--since",
            "2026-11-01T00:00:00Z",
            "--until",
            "2026-11-04T00:00:00Z",
            "--key",
            &s(&setup.public),
            "--cde-namespace",
            "payments",
            "--format",
            format,
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let t = String::from_utf8_lossy(&out.stdout);
        assert!(t.contains(marker), "{format}: {t}");
        assert!(
            !t.contains("4111111111111111") && !t.contains("4111 1111 1111 1111"),
            "{format}"
        );
    }
    let json = kubepci(&[
        "audit",
        "review",
        "--data",
        &s(&setup.data),
        "--since",
        "2026-11-01T00:00:00Z",
        "--until",
        "2026-11-04T00:00:00Z",
        "--key",
        &s(&setup.public),
        "--cde-namespace",
        "payments",
        "--format",
        "json",
    ]);
    let review: serde_json::Value = serde_json::from_slice(&json.stdout).expect("review json");
    assert_eq!(review["alerts"], expected.len());
    assert_eq!(review["checkpoint"]["verified"], true);
    assert_eq!(review["checkpoint"]["covers_window"], true);
    assert!(review["denied_requests"].as_u64().unwrap_or(0) >= 25);
    assert!(review["control_changes_total"].as_u64().unwrap_or(0) >= 2);
    assert!(
        review["cde_secret_access"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
}

#[test]
fn a_receiver_that_never_answers_costs_no_event() {
    let setup = setup();
    let s = |p: &Path| setup.s(p);
    let site = site(setup.root.path());
    let url = format!("http://{}/", black_hole());
    let (server, metrics_addr, _stdout) = setup.serve_with_metrics(&[
        "--rules",
        &site,
        "--alert-url",
        &url,
        "--alert-queue",
        "2",
        "--no-alerts-stdout",
    ]);
    let body = event_list(&fixtures().join("card-number.fail.jsonl"));
    // Each batch is new (the events' IDs change), each raises two alerts.
    let bodies: Vec<String> = (0..20)
        .map(|i| {
            body.replace(
                "00000000-0000-4000-8000-",
                &format!("00000000-0000-4000-{i:04}-"),
            )
        })
        .collect();
    post(&setup, server.addr, &bodies);
    let m = metrics(metrics_addr);
    let dropped = m
        .lines()
        .find(|l| l.starts_with("kubepci_audit_alerts_forward_dropped_total{output=\"http\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(
        dropped >= 30,
        "a full queue drops from forwarding only: {m}"
    );
    server.stop();
    let verify = kubepci(&[
        "audit",
        "verify",
        "--data",
        &s(&setup.data),
        "--key",
        &s(&setup.public),
    ]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    assert!(
        text(&verify).contains("entries: 80"),
        "every event and alert stored: {}",
        text(&verify)
    );
}
