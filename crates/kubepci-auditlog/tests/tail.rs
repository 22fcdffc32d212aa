//! Following the apiserver's log files across rotation and restarts.

mod common;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{open, signer};
use kubepci_auditlog::tail::{TailConfig, read_position, run_tail};
use kubepci_auditlog::testsupport::EventFactory;
use kubepci_auditlog::{Appender, Writer, WriterConfig, spawn_writer, verify_store};

fn append_lines(path: &std::path::Path, factory: &mut EventFactory, n: usize) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open log");
    for _ in 0..n {
        writeln!(f, "{}", factory.next_event()).expect("write line");
    }
}

struct Follower {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
    appender: Appender,
    writer: Writer,
}

fn start(data: &std::path::Path, cfg: TailConfig) -> Follower {
    let (appender, writer) =
        spawn_writer(open(data), signer(), WriterConfig::default()).expect("writer");
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let (stop, appender) = (stop.clone(), appender.clone());
        std::thread::spawn(move || run_tail(&cfg, &appender, &stop).expect("tail runs"))
    };
    Follower {
        stop,
        thread,
        appender,
        writer,
    }
}

fn wait_for(cfg: &TailConfig, offset: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while read_position(cfg).is_none_or(|p| p.offset != offset) {
        assert!(
            Instant::now() < deadline,
            "follower did not reach offset {offset}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stop(f: Follower) -> u64 {
    f.stop.store(true, Ordering::SeqCst);
    f.thread.join().expect("tail thread");
    drop(f.appender);
    f.writer.shutdown().expect("writer").size()
}

#[test]
fn follows_rotation_and_resumes_without_skips_or_repeats() {
    let logs = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("tempdir");
    let log = logs.path().join("audit.log");
    let mut factory = EventFactory::synthetic("tail");
    let mut cfg = TailConfig::new(&log, data.path());
    cfg.poll = Duration::from_millis(10);
    cfg.max_batch_lines = 7;

    append_lines(&log, &mut factory, 20);
    // A partial line is not consumed until its newline arrives.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .expect("open")
        .write_all(b"{\"auditID\":\"par")
        .expect("write");
    let f = start(data.path(), cfg.clone());
    let complete = std::fs::read(&log)
        .expect("read")
        .iter()
        .rposition(|b| *b == b'\n')
        .expect("newline") as u64
        + 1;
    wait_for(&cfg, complete);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .expect("open")
        .write_all(b"tial\",\"stage\":\"ResponseComplete\"}\n")
        .expect("write");
    append_lines(&log, &mut factory, 4);
    wait_for(&cfg, std::fs::metadata(&log).expect("stat").len());
    assert_eq!(stop(f), 25);

    // While stopped: more lines, then rotation by rename, then a new file.
    append_lines(&log, &mut factory, 3);
    std::fs::rename(&log, logs.path().join("audit-2026-01-01T00-00-00.000.log")).expect("rotate");
    append_lines(&log, &mut factory, 6);
    let f = start(data.path(), cfg.clone());
    wait_for(&cfg, std::fs::metadata(&log).expect("stat").len());
    // Rotation while running, then copytruncate.
    std::fs::rename(&log, logs.path().join("audit-2026-01-02T00-00-00.000.log")).expect("rotate");
    append_lines(&log, &mut factory, 5);
    wait_for(&cfg, std::fs::metadata(&log).expect("stat").len());
    std::fs::write(&log, b"").expect("truncate");
    append_lines(&log, &mut factory, 2);
    wait_for(&cfg, std::fs::metadata(&log).expect("stat").len());
    assert_eq!(stop(f), 25 + 3 + 6 + 5 + 2);

    // Forgetting the offset re-reads the current file; dedupe keeps every event once.
    std::fs::remove_dir_all(data.path().join("tail")).expect("rm offset");
    let f = start(data.path(), cfg.clone());
    wait_for(&cfg, std::fs::metadata(&log).expect("stat").len());
    assert_eq!(stop(f), 41);
    let report = verify_store(data.path(), &signer().verifier(), None).expect("verify");
    assert!(report.is_ok(), "{report:#?}");
}
