//! Running `kubepci audit serve` as a real process for the CLI and crash tests.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use kubepci_https::testcerts::{PkiFiles, TestPki};

pub const BIN: &str = env!("CARGO_BIN_EXE_kubepci");

pub struct Setup {
    pub root: tempfile::TempDir,
    pub pki: TestPki,
    pub files: PkiFiles,
    pub key: PathBuf,
    pub public: PathBuf,
    pub data: PathBuf,
}

pub fn kubepci(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().expect("run kubepci")
}

pub fn setup() -> Setup {
    let root = tempfile::tempdir().expect("tempdir");
    let pki = TestPki::generate().expect("certificates");
    let files = pki.write(root.path()).expect("write certificates");
    let prefix = root.path().join("log");
    let out = kubepci(&[
        "keys",
        "generate",
        "--name",
        "audit.test.example/kubepci",
        "--out",
        &prefix.to_string_lossy(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Setup {
        key: root.path().join("log.key"),
        public: root.path().join("log.pub"),
        data: root.path().join("data"),
        root,
        pki,
        files,
    }
}

pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Setup {
    /// Starts `kubepci audit serve` on 127.0.0.1 with mTLS and waits for its address.
    pub fn serve(&self, extra: &[&str]) -> Server {
        let s = |p: &Path| p.to_string_lossy().into_owned();
        let mut cmd = Command::new(BIN);
        cmd.args([
            "audit",
            "serve",
            "--data",
            &s(&self.data),
            "--key",
            &s(&self.key),
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            &s(&self.files.server_cert),
            "--tls-key",
            &s(&self.files.server_key),
            "--client-ca",
            &s(&self.files.ca),
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        let mut child = cmd.spawn().expect("start kubepci audit serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listen line");
        let addr = line
            .trim()
            .strip_prefix("listening on https://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("socket address");
        Server { child, addr }
    }

    pub fn s(&self, p: &Path) -> String {
        p.to_string_lossy().into_owned()
    }
}

impl Server {
    /// SIGTERM and wait: the server drains and signs a final checkpoint.
    pub fn stop(mut self) {
        let pid =
            rustix::process::Pid::from_raw(self.child.id() as i32).expect("a live child has a pid");
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("send SIGTERM");
        let exit = self.child.wait().expect("wait for the server");
        assert!(exit.success(), "server exited with {exit}");
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}
