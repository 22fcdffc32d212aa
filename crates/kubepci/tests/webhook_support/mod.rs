//! Running `kubepci webhook serve` as a real process for the CLI tests.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use kubepci_https::client::Connection;
use kubepci_https::testcerts::{PkiFiles, TestPki, client_config};

pub const BIN: &str = env!("CARGO_BIN_EXE_kubepci");

/// A running webhook and what it needs.
pub struct Webhook {
    pub child: Child,
    pub api: SocketAddr,
    pub ops: SocketAddr,
    pub pki: TestPki,
    pub files: PkiFiles,
    pub stderr: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Webhook {
    /// Starts `kubepci webhook serve` on 127.0.0.1 with generated certificates and `args`
    /// (`--context`, `--config`…), and waits for its addresses.
    pub fn start(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let pki = TestPki::generate().expect("certificates");
        let files = pki.write(dir.path()).expect("write certificates");
        let stderr = dir.path().join("stderr.log");
        let mut child = Command::new(BIN)
            .args([
                "webhook",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
                "--tls-cert",
            ])
            .arg(&files.server_cert)
            .arg("--tls-key")
            .arg(&files.server_key)
            .args(args)
            .env("KUBEPCI_LOG", "info")
            .env_remove("POD_NAMESPACE")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("start kubepci webhook serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let parse = |prefix: &str, end: char| -> SocketAddr {
            let start = line
                .find(prefix)
                .unwrap_or_else(|| panic!("no {prefix} in {line:?}: {}", read(&stderr)))
                + prefix.len();
            let rest = &line[start..];
            rest[..rest.find(end).unwrap_or(rest.len())]
                .trim()
                .parse()
                .expect("an address")
        };
        let api = parse("https://", ' ');
        let ops = parse("http://", ')');
        Self {
            child,
            api,
            ops,
            pki,
            files,
            stderr,
            _dir: dir,
        }
    }

    /// A keep-alive HTTPS connection to the webhook.
    pub async fn connect(&self) -> Connection {
        Connection::connect(
            self.api,
            client_config(self.pki.ca_pem(), None),
            "localhost",
        )
        .await
        .expect("connects")
    }

    /// Posts an AdmissionReview and returns the status and the parsed answer.
    pub async fn review(conn: &mut Connection, body: Vec<u8>) -> (u16, serde_json::Value) {
        let (status, body) = conn
            .post("/validate", Bytes::from(body))
            .await
            .expect("answer");
        let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        (status.as_u16(), json)
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        read(&self.stderr)
    }

    /// Sends SIGTERM and waits for the process.
    pub fn stop(mut self) -> std::process::ExitStatus {
        #[allow(clippy::cast_possible_wrap)] // process ids fit in i32
        let pid =
            rustix::process::Pid::from_raw(self.child.id() as i32).expect("a live child has a pid");
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        self.child.wait().expect("wait")
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Wraps an AdmissionRequest into an AdmissionReview body.
pub fn review_body(request: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": request,
    }))
    .expect("serialises")
}

/// The rule IDs the answer's audit annotations name, whatever they did.
pub fn answered_rules(answer: &serde_json::Value) -> std::collections::BTreeSet<String> {
    let annotations = &answer["response"]["auditAnnotations"];
    ["denied-by", "warned-by", "audited-by", "waived-rules"]
        .iter()
        .filter_map(|key| annotations[*key].as_str())
        .flat_map(|ids| ids.split(','))
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}
