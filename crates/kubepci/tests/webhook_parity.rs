//! One engine, two doors: every real AdmissionRequest of the shared conformance data goes to
//! `kubepci webhook serve` over TLS and, as a manifest, to `kubepci scan`; both must name the
//! same rules for the same object (scan-only rules aside, which the webhook never runs).

mod webhook_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use std::process::Command;

use webhook_support::{BIN, Webhook, answered_rules, review_body};

/// One AdmissionRequest of the shared data.
struct Case {
    file: String,
    request: serde_json::Value,
}

/// Every file holding an AdmissionRequest (bare, or inside an AdmissionReview); the other
/// files of the folder are the peer's policy settings.
fn cases(root: &Path) -> (Vec<Case>, usize) {
    let mut files: Vec<PathBuf> = walk(root);
    files.sort();
    let mut cases = Vec::new();
    let mut others = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let request = value.get("request").cloned().unwrap_or(value);
        if request.get("operation").is_some() && request.get("uid").is_some() {
            cases.push(Case {
                file: path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .display()
                    .to_string(),
                request,
            });
        } else {
            others += 1;
        }
    }
    (cases, others)
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out
}

/// The rules `kubepci rules --format json` lists as scan-only.
fn scan_only_rules() -> BTreeSet<String> {
    let out = Command::new(BIN)
        .args(["rules", "--format", "json"])
        .output()
        .expect("kubepci rules");
    assert!(out.status.success());
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    rules
        .as_array()
        .expect("an array of rules")
        .iter()
        .filter(|r| r["admission"] == "scan-only")
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect()
}

/// The request's object as the manifest `kubectl apply` would have sent: with the request's
/// apiVersion and kind where the hand-written test object leaves them out (the apiserver
/// always sends them; the webhook fills them in the same way).
fn manifest(request: &serde_json::Value) -> Vec<u8> {
    let mut object = request["object"].clone();
    let kind = &request["kind"];
    let group = kind["group"].as_str().unwrap_or_default();
    let version = kind["version"].as_str().unwrap_or_default();
    let api_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    if let Some(map) = object.as_object_mut() {
        map.entry("apiVersion")
            .or_insert_with(|| serde_json::Value::String(api_version));
        map.entry("kind").or_insert_with(|| kind["kind"].clone());
    }
    serde_json::to_vec_pretty(&object).expect("JSON")
}

/// Whether the webhook evaluates the request at all (the others are allowed unread).
fn evaluated(request: &serde_json::Value) -> bool {
    let op = request["operation"].as_str().unwrap_or_default();
    let sub = request["subResource"].as_str().unwrap_or_default();
    matches!(op, "CREATE" | "UPDATE") && sub.is_empty() && request["object"].is_object()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_and_scan_name_the_same_rules_for_every_shared_request() {
    let Some(root) = kubepci_testutil::shared_path("conformance/admission-requests") else {
        return;
    };
    let (cases, others) = cases(&root);
    assert!(cases.len() >= 190, "only {} requests found", cases.len());
    let work = tempfile::tempdir().expect("tempdir");
    // Nothing exempt, so that both doors see every namespace the data uses.
    let config = work.path().join("kubepci.yaml");
    std::fs::write(
        &config,
        "admission:\n  exemptNamespaces: []\nexemptNamespaces: []\n",
    )
    .expect("config");
    let empty = work.path().join("context.yaml");
    std::fs::write(&empty, "").expect("empty context");
    let config_arg = config.to_string_lossy().into_owned();
    let webhook = Webhook::start(&[
        "--config",
        &config_arg,
        "--context",
        &empty.to_string_lossy(),
    ]);

    // The webhook's answers.
    let mut conn = webhook.connect().await;
    let mut answers: Vec<BTreeSet<String>> = Vec::new();
    for case in &cases {
        let (status, answer) = Webhook::review(&mut conn, review_body(&case.request)).await;
        assert_eq!(status, 200, "{}: {answer}", case.file);
        assert_eq!(
            answer["response"]["uid"], case.request["uid"],
            "{}: the uid is echoed",
            case.file
        );
        answers.push(answered_rules(&answer));
    }

    // The same objects as manifests, one file each, grouped by the namespace the request
    // names (`kubectl apply -n`).
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, case) in cases.iter().enumerate() {
        if evaluated(&case.request) {
            let ns = case.request["namespace"].as_str().unwrap_or_default();
            groups.entry(ns.to_owned()).or_default().push(i);
        }
    }
    let mut scanned: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for (ns, indexes) in &groups {
        for &i in indexes {
            // One manifest per scan: the webhook sees each object alone (its context is
            // empty), and so must the scan.
            let path = work.path().join(format!("{i:03}.json"));
            std::fs::write(&path, manifest(&cases[i].request)).expect("write");
            scanned.insert(i, BTreeSet::new());
            let mut scan = Command::new(BIN);
            scan.args([
                "scan",
                "--format",
                "json",
                "--fail-on",
                "critical",
                "--config",
            ])
            .arg(&config)
            .arg(&path);
            if !ns.is_empty() {
                scan.args(["-n", ns]);
            }
            let out = scan.output().expect("kubepci scan");
            let report: serde_json::Value =
                serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
                    panic!(
                        "scan output is JSON ({e}): {}",
                        String::from_utf8_lossy(&out.stderr)
                    )
                });
            for finding in report["findings"].as_array().expect("findings") {
                scanned
                    .entry(i)
                    .or_default()
                    .insert(finding["ruleId"].as_str().expect("ruleId").to_owned());
            }
        }
    }

    let scan_only = scan_only_rules();
    let mut compared = 0;
    let mut with_findings = 0;
    let mut mismatches = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let webhook_rules = &answers[i];
        match scanned.get(&i) {
            Some(scan_rules) => {
                let expected: BTreeSet<String> =
                    scan_rules.difference(&scan_only).cloned().collect();
                let declared_kind = case.request["kind"]["kind"].as_str().unwrap_or_default();
                let object_kind = case.request["object"]["kind"]
                    .as_str()
                    .unwrap_or(declared_kind);
                if declared_kind != object_kind {
                    // Divergence kept on purpose (docs/conformance.md): the apiserver never
                    // sends a kind other than the object's; the webhook trusts request.kind.
                    assert!(webhook_rules.is_empty(), "{}", case.file);
                    continue;
                }
                compared += 1;
                if !expected.is_empty() {
                    with_findings += 1;
                }
                if &expected != webhook_rules {
                    mismatches.push(format!(
                        "{}: scan {:?}, webhook {:?}",
                        case.file, expected, webhook_rules
                    ));
                }
            }
            None => assert!(
                webhook_rules.is_empty(),
                "{}: the webhook did not evaluate it but named {webhook_rules:?}",
                case.file
            ),
        }
    }
    let log = webhook.log();
    assert!(
        webhook.stop().success(),
        "the webhook stops cleanly on SIGTERM"
    );
    assert!(
        mismatches.is_empty(),
        "{} of {compared} requests disagree:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(compared >= 180, "only {compared} requests compared");
    assert!(
        with_findings >= 100,
        "only {with_findings} requests had findings"
    );
    assert_eq!(
        log.matches("admission decision").count(),
        cases.len(),
        "one decision line per request"
    );
    eprintln!(
        "{compared} requests agree ({with_findings} with findings); {} not evaluated (DELETE, or a request kind no rule reads); {others} files are policy settings, not requests",
        cases.len() - compared
    );
}
