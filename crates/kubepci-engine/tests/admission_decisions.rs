//! Decisions: modes by scope, namespace and rule; the severity that denies; waivers;
//! findings an UPDATE's old object already had; requests allowed unread; bounded answers;
//! objects a controller creates.

use kubepci_engine::admission::{
    Action, AdmissionSettings, Admitter, ContextStore, Decision, FailurePolicy, Mode, Operation,
    Review, Skipped,
};
use kubepci_engine::{
    Config, RuleSelection, ScanOptions, WaiverRegister, load_config, parse_waivers,
};
use kubepci_k8s::{KindFilter, load};
use time::macros::date;

const CONTEXT: &str = "apiVersion: v1
kind: Namespace
metadata: {name: pay, labels: {kubepci.io/scope: cde}}
---
apiVersion: v1
kind: Namespace
metadata: {name: web, labels: {kubepci.io/scope: connected}}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {kubepci.io/scope: out-of-scope}}
---
apiVersion: v1
kind: Namespace
metadata: {name: misc}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: api-7d4, namespace: pay, uid: rs-uid-1}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: app, image: registry.example.com/app:1.0}]
";

fn build(config_text: &str, waivers: Option<WaiverRegister>) -> Admitter {
    let config: Config = load_config("kubepci.yaml", config_text).expect("valid config");
    let rules = RuleSelection::default()
        .resolve(&config.disabled)
        .expect("rules");
    Admitter::new(ScanOptions {
        config,
        rules,
        waivers,
        default_namespace: None,
        as_of: date!(2026 - 06 - 01),
    })
}

fn context() -> ContextStore {
    ContextStore::from_objects(
        load("context.yaml", CONTEXT.as_bytes(), &KindFilter::All, None).objects,
    )
}

fn pod(namespace: &str, extra_metadata: &str, spec: &str) -> String {
    format!(
        r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"debug","namespace":"{namespace}"{extra_metadata}}},"spec":{spec}}}"#
    )
}

const PRIVILEGED: &str = r#"{"containers":[{"name":"app","image":"registry.example.com/app:1.0","securityContext":{"privileged":true}}]}"#;
const HOST_NETWORK: &str =
    r#"{"hostNetwork":true,"containers":[{"name":"app","image":"registry.example.com/app:1.0"}]}"#;
const BOTH: &str = r#"{"hostNetwork":true,"containers":[{"name":"app","image":"registry.example.com/app:1.0","securityContext":{"privileged":true}}]}"#;

struct Request<'a> {
    kind: &'a str,
    namespace: &'a str,
    operation: Operation,
    sub_resource: &'a str,
    object: Option<&'a str>,
    old: Option<&'a str>,
    username: &'a str,
}

impl<'a> Request<'a> {
    fn create(namespace: &'a str, object: &'a str) -> Self {
        Self {
            kind: "Pod",
            namespace,
            operation: Operation::Create,
            sub_resource: "",
            object: Some(object),
            old: None,
            username: "alice",
        }
    }
}

fn decide(admitter: &Admitter, request: &Request<'_>) -> Decision {
    decide_with(
        admitter,
        request,
        &admitter.options().config.admission.clone(),
    )
}

fn decide_with(
    admitter: &Admitter,
    request: &Request<'_>,
    settings: &AdmissionSettings,
) -> Decision {
    let review = Review {
        kind: request.kind,
        api_version: "v1",
        sub_resource: request.sub_resource,
        namespace: request.namespace,
        operation: request.operation,
        object: request.object.map(str::as_bytes),
        old_object: request.old.map(str::as_bytes),
        username: request.username,
        images: None,
    };
    admitter
        .review(
            &review,
            settings,
            Some("kubepci-system"),
            &context(),
            date!(2026 - 06 - 01),
        )
        .expect("readable request")
}

fn actions(decision: &Decision, rule: &str) -> Vec<Action> {
    decision
        .outcomes
        .iter()
        .filter(|o| o.finding.rule_id == rule)
        .map(|o| o.action)
        .collect()
}

#[test]
fn modes_follow_the_namespace_scope() {
    let admitter = build("{}", None);
    let cde = decide(
        &admitter,
        &Request::create("pay", &pod("pay", "", PRIVILEGED)),
    );
    assert!(!cde.allowed);
    assert_eq!(cde.mode, Some(Mode::Enforce));
    let message = cde.message.as_deref().expect("a denial message");
    assert!(
        message
            .starts_with("kubepci denied Pod pay/debug (scope cde): KP1001 privileged-container"),
        "the worst reason first: {message}"
    );
    assert_eq!(cde.audit_annotations["decision"], "deny");
    assert!(cde.audit_annotations["denied-by"].contains("KP1001"));

    let connected = decide(
        &admitter,
        &Request::create("web", &pod("web", "", PRIVILEGED)),
    );
    assert!(!connected.allowed);

    let unscoped = decide(
        &admitter,
        &Request::create("misc", &pod("misc", "", PRIVILEGED)),
    );
    assert!(unscoped.allowed, "unscoped namespaces warn by default");
    assert_eq!(unscoped.mode, Some(Mode::Warn));
    assert!(
        unscoped
            .warnings
            .iter()
            .any(|w| w.starts_with("KP1001 privileged-container"))
    );

    let out = decide(
        &admitter,
        &Request::create("shop", &pod("shop", "", PRIVILEGED)),
    );
    assert!(out.allowed);
    assert!(out.warnings.is_empty(), "audit mode only records");
    assert!(out.audit_annotations["audited-by"].contains("KP1001"));
}

#[test]
fn rule_and_namespace_overrides_and_the_deny_severity() {
    let admitter = build(
        "admission:\n  rules: {privileged-container: warn}\n  namespaces: {web: audit}\n",
        None,
    );
    let cde = decide(&admitter, &Request::create("pay", &pod("pay", "", BOTH)));
    assert_eq!(actions(&cde, "KP1001"), [Action::Warn], "lowered to warn");
    assert_eq!(actions(&cde, "KP1004"), [Action::Deny]);
    let web = decide(&admitter, &Request::create("web", &pod("web", "", BOTH)));
    assert!(web.allowed);
    assert_eq!(actions(&web, "KP1004"), [Action::Audit]);
    assert_eq!(
        actions(&web, "KP1001"),
        [Action::Warn],
        "a rule's mode wins over the namespace's"
    );

    let raised = build("admission:\n  rules: {KP1001: enforce}\n", None);
    let out = decide(
        &raised,
        &Request::create("shop", &pod("shop", "", PRIVILEGED)),
    );
    assert!(
        !out.allowed,
        "raised to enforce even in an out-of-scope namespace"
    );
    assert!(out.denying_rules().all(|id| id == "KP1001"));

    let strict = build("admission:\n  denySeverity: critical\n", None);
    let out = decide(&strict, &Request::create("pay", &pod("pay", "", BOTH)));
    assert_eq!(actions(&out, "KP1001"), [Action::Deny], "critical denies");
    assert_eq!(
        actions(&out, "KP1004"),
        [Action::Warn],
        "high only warns below denySeverity critical"
    );
}

#[test]
fn waivers_allow_and_are_recorded() {
    let register = parse_waivers(
        "waivers.yaml",
        "waivers:\n  - id: W-9\n    rules: [KP1004]\n    justification: node agent\n    approver: Jane Doe (CISO)\n    created: 2026-05-01\n    expires: 2026-08-01\n",
    )
    .expect("register");
    let admitter = build("{}", Some(register));
    let annotated = pod(
        "pay",
        r#","annotations":{"kubepci.io/waiver":"W-9, W-404"}"#,
        HOST_NETWORK,
    );
    let out = decide(&admitter, &Request::create("pay", &annotated));
    assert_eq!(actions(&out, "KP1004"), [Action::Waived]);
    assert_eq!(out.audit_annotations["waivers"], "W-9:KP1004");
    assert_eq!(out.unknown_waivers, ["W-404"]);
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("W-404") && w.contains("not in the waiver register"))
    );
    assert!(!out.denying_rules().any(|id| id == "KP1004"));
}

#[test]
fn updates_warn_on_what_the_old_object_already_had() {
    let admitter = build("{}", None);
    let old = pod("pay", "", HOST_NETWORK);
    let new = pod("pay", "", BOTH);
    let update = Request {
        operation: Operation::Update,
        old: Some(&old),
        ..Request::create("pay", &new)
    };
    let out = decide(&admitter, &update);
    assert_eq!(
        actions(&out, "KP1004"),
        [Action::Warn],
        "hostNetwork was already there"
    );
    assert!(
        out.outcomes
            .iter()
            .any(|o| o.finding.rule_id == "KP1004" && o.preexisting)
    );
    assert_eq!(actions(&out, "KP1001"), [Action::Deny], "privileged is new");
    assert!(out.warnings.iter().any(|w| w.contains("(already present)")));

    let strict = build("admission:\n  existingFindingsOnUpdate: deny\n", None);
    let out = decide(&strict, &update);
    assert_eq!(actions(&out, "KP1004"), [Action::Deny]);
}

#[test]
fn some_requests_are_allowed_unread() {
    let admitter = build("{}", None);
    let object = pod("pay", "", PRIVILEGED);
    let skipped = |request: Request<'_>| decide(&admitter, &request).skipped;
    assert_eq!(
        skipped(Request {
            operation: Operation::Delete,
            object: None,
            ..Request::create("pay", &object)
        }),
        Some(Skipped::Operation)
    );
    assert_eq!(
        skipped(Request {
            operation: Operation::Connect,
            object: None,
            ..Request::create("pay", &object)
        }),
        Some(Skipped::Operation)
    );
    assert_eq!(
        skipped(Request {
            sub_resource: "status",
            ..Request::create("pay", &object)
        }),
        Some(Skipped::SubResource)
    );
    assert_eq!(
        skipped(Request::create("kube-system", &object)),
        Some(Skipped::ExemptNamespace)
    );
    assert_eq!(
        skipped(Request::create("kubepci-system", &object)),
        Some(Skipped::ExemptNamespace),
        "the webhook's own namespace"
    );
    assert_eq!(
        skipped(Request {
            kind: "Lease",
            ..Request::create(
                "pay",
                r#"{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"l"}}"#
            )
        }),
        Some(Skipped::Kind)
    );
    // kubectl debug adds an ephemeral container through the subresource: it is checked.
    let debug = decide(
        &admitter,
        &Request {
            sub_resource: "ephemeralcontainers",
            ..Request::create("pay", &object)
        },
    );
    assert_eq!(debug.skipped, None);
    assert!(!debug.allowed);
}

#[test]
fn objects_without_type_fields_take_the_requests() {
    let admitter = build("{}", None);
    let bare = r#"{"metadata":{"name":"debug","namespace":"pay"},"spec":{"containers":[{"name":"app","image":"registry.example.com/app:1.0","securityContext":{"privileged":true}}]}}"#;
    let out = decide(&admitter, &Request::create("pay", bare));
    assert!(out.denying_rules().any(|id| id == "KP1001"));
    let review = Review {
        kind: "Pod",
        api_version: "v1",
        sub_resource: "",
        namespace: "pay",
        operation: Operation::Create,
        object: Some(b"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"),
        old_object: None,
        username: "alice",
        images: None,
    };
    let settings = admitter.options().config.admission.clone();
    let error = admitter
        .review(&review, &settings, None, &context(), date!(2026 - 06 - 01))
        .expect_err("truncated JSON is an error");
    assert!(error.to_string().contains("cannot be read"), "{error}");
}

#[test]
fn the_failure_policy_answers_errors() {
    let mut settings = AdmissionSettings::default();
    let closed = Decision::failed(
        &settings,
        "the evaluation did not finish before the deadline",
    );
    assert!(!closed.allowed);
    assert!(
        closed
            .message
            .as_deref()
            .is_some_and(|m| m.contains("could not check"))
    );
    assert_eq!(closed.audit_annotations["decision"], "deny");
    settings.failure_policy = FailurePolicy::Ignore;
    let open = Decision::failed(&settings, "internal error");
    assert!(open.allowed);
    assert_eq!(open.warnings.len(), 1);
}

#[test]
fn answers_stay_within_the_apiservers_limits() {
    let admitter = build("{}", None);
    let containers: Vec<String> = (0..80)
        .map(|i| format!(r#"{{"name":"c{i}","image":"registry.example.com/app:latest","securityContext":{{"privileged":true}}}}"#))
        .collect();
    let spec = format!(
        r#"{{"hostNetwork":true,"containers":[{}]}}"#,
        containers.join(",")
    );
    let deny = decide(&admitter, &Request::create("pay", &pod("pay", "", &spec)));
    let message = deny.message.expect("denied");
    assert!(message.len() <= 2048, "{} bytes", message.len());
    assert!(message.contains("more"), "{message}");
    let warn = decide(&admitter, &Request::create("misc", &pod("misc", "", &spec)));
    assert!(warn.warnings.len() <= 16);
    assert!(warn.warnings.iter().all(|w| w.len() <= 256));
    assert!(
        warn.warnings
            .last()
            .is_some_and(|w| w.contains("more kubepci warnings"))
    );
    assert!(deny.audit_annotations.values().all(|v| v.len() <= 1024));
}

#[test]
fn objects_a_controller_creates_for_a_known_owner_are_judged_on_the_owner() {
    let admitter = build("{}", None);
    let owned = pod(
        "pay",
        r#","ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"api-7d4","uid":"rs-uid-1","controller":true}]"#,
        PRIVILEGED,
    );
    let by_controller = Request {
        username: "system:serviceaccount:kube-system:replicaset-controller",
        ..Request::create("pay", &owned)
    };
    let out = decide(&admitter, &by_controller);
    assert!(
        actions(&out, "KP1001").is_empty(),
        "the ReplicaSet was checked when it was admitted"
    );
    // The same claim of ownership from anyone else proves nothing: the pod is checked.
    let forged = decide(&admitter, &Request::create("pay", &owned));
    assert_eq!(actions(&forged, "KP1001"), [Action::Deny]);
    // An owner the context does not hold (or another uid): checked.
    let unknown = owned.replace("rs-uid-1", "rs-uid-2");
    let out = decide(
        &admitter,
        &Request {
            username: by_controller.username,
            ..Request::create("pay", &unknown)
        },
    );
    assert_eq!(actions(&out, "KP1001"), [Action::Deny]);
}
