//! `kubepci init`'s output passes `kubepci scan` with no finding, and its audit policy records
//! what PCI DSS 10.2.1 asks.

use kubepci_baseline::{Options, generate};
use kubepci_engine::{Config, RuleSelection, ScanOptions};
use serde_json::Value;

fn write(options: &Options) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for file in generate(options).expect("valid options") {
        let path = dir.path().join(file.path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, file.contents).expect("write");
    }
    dir
}

#[test]
fn the_baseline_scans_clean() {
    for options in [
        Options::default(),
        Options {
            namespace: "card-vault".into(),
            ..Options::default()
        },
    ] {
        let dir = write(&options);
        let paths = kubepci_k8s::source::expand(&[dir.path().to_path_buf()]).expect("inputs");
        let report = kubepci_engine::scan(
            &paths,
            &ScanOptions {
                config: Config::default(),
                rules: RuleSelection::default().resolve(&[]).expect("every rule"),
                waivers: None,
                default_namespace: None,
                as_of: time::OffsetDateTime::now_utc().date(),
            },
        );
        assert!(report.errors.is_empty(), "{:#?}", report.errors);
        assert!(
            report.findings.is_empty(),
            "{}",
            report
                .findings
                .iter()
                .map(|f| format!("{} {}: {}", f.rule_id, f.object, f.message))
                .collect::<Vec<_>>()
                .join("\n")
        );
        let kinds: Vec<&str> = report.objects.iter().map(|o| o.kind.as_str()).collect();
        for kind in [
            "Namespace",
            "NetworkPolicy",
            "ResourceQuota",
            "LimitRange",
            "Policy",
        ] {
            assert!(kinds.contains(&kind), "{kind} was not checked: {kinds:?}");
        }
        let ns = report
            .namespaces
            .iter()
            .find(|n| n.name == options.namespace)
            .expect("the CDE namespace");
        assert_eq!(ns.scope, kubepci_model::Scope::Cde);
    }
}

/// The level the first matching rule of an audit policy gives a request.
fn level(policy: &Value, group: &str, resource: &str, verb: &str) -> String {
    for rule in policy["rules"].as_array().expect("rules") {
        if rule.get("nonResourceURLs").is_some() {
            continue;
        }
        if let Some(verbs) = rule["verbs"].as_array()
            && !verbs.iter().any(|v| v == verb)
        {
            continue;
        }
        let matches = match rule["resources"].as_array() {
            None => true,
            Some(entries) => entries.iter().any(|e| {
                e["group"].as_str().unwrap_or_default() == group
                    && e["resources"]
                        .as_array()
                        .is_none_or(|r| r.iter().any(|x| x == resource))
            }),
        };
        if matches {
            return rule["level"].as_str().unwrap_or_default().to_owned();
        }
    }
    "None".to_owned()
}

#[test]
fn the_audit_policy_records_what_10_2_1_asks() {
    let file = generate(&Options::default())
        .expect("valid")
        .into_iter()
        .find(|f| f.path == "control-plane/audit-policy.yaml")
        .expect("an audit policy");
    let policy: Value = serde_saphyr::from_str(&file.contents).expect("YAML");
    assert_eq!(policy["apiVersion"], "audit.k8s.io/v1");
    assert_eq!(policy["kind"], "Policy");
    // Access to Secrets and tokens at Metadata: recorded, never their bodies.
    for verb in ["get", "list", "watch", "create", "update", "delete"] {
        assert_eq!(
            level(&policy, "", "secrets", verb),
            "Metadata",
            "secrets {verb}"
        );
        assert_eq!(
            level(&policy, "", "configmaps", verb),
            "Metadata",
            "configmaps {verb}"
        );
    }
    assert_eq!(
        level(&policy, "authentication.k8s.io", "tokenreviews", "create"),
        "Metadata"
    );
    // Interactive access (10.2.1.2).
    assert_eq!(level(&policy, "", "pods/exec", "create"), "Metadata");
    // Changes to identities, credentials and privileges (10.2.1.5).
    for (group, resource) in [
        ("rbac.authorization.k8s.io", "clusterrolebindings"),
        ("rbac.authorization.k8s.io", "roles"),
        ("", "serviceaccounts"),
        ("certificates.k8s.io", "certificatesigningrequests/approval"),
    ] {
        assert_eq!(
            level(&policy, group, resource, "create"),
            "RequestResponse",
            "{resource}"
        );
    }
    // Admission and kubepci's configuration (10.2.1.6, 10.7.2).
    assert_eq!(
        level(
            &policy,
            "admissionregistration.k8s.io",
            "validatingwebhookconfigurations",
            "delete"
        ),
        "RequestResponse"
    );
    assert_eq!(
        level(&policy, "kubepci.io", "waivers", "update"),
        "RequestResponse"
    );
    // System-level objects (10.2.1.7).
    assert_eq!(
        level(&policy, "", "namespaces", "delete"),
        "RequestResponse"
    );
    assert_eq!(
        level(
            &policy,
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            "create"
        ),
        "RequestResponse"
    );
    // Everything else is recorded, failures included (10.2.1.3, 10.2.1.4).
    assert_eq!(level(&policy, "apps", "deployments", "get"), "Metadata");
    assert_eq!(level(&policy, "apps", "deployments", "patch"), "Request");
    assert_eq!(policy["omitStages"], serde_json::json!(["RequestReceived"]));
}

#[test]
fn secrets_are_encrypted_with_kms_v2() {
    let file = generate(&Options::default())
        .expect("valid")
        .into_iter()
        .find(|f| f.path == "control-plane/encryption-config.yaml")
        .expect("an encryption configuration");
    let config: Value = serde_saphyr::from_str(&file.contents).expect("YAML");
    assert_eq!(config["kind"], "EncryptionConfiguration");
    let first = &config["resources"][0];
    assert_eq!(first["resources"], serde_json::json!(["secrets"]));
    // The first provider encrypts every write: KMS v2, never a static key.
    let provider = &first["providers"][0]["kms"];
    assert_eq!(provider["apiVersion"], "v2");
    assert!(
        provider["endpoint"]
            .as_str()
            .is_some_and(|e| e.starts_with("unix:///"))
    );
    let providers: Vec<&str> = first["providers"]
        .as_array()
        .expect("providers")
        .iter()
        .filter_map(|p| {
            p.as_object()
                .and_then(|m| m.keys().next())
                .map(String::as_str)
        })
        .collect();
    assert_eq!(providers, ["kms", "identity"], "no static key provider");
}
