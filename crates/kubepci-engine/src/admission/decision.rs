//! From a request to a decision: which requests are read at all, what each finding does under
//! the namespace's and the rule's mode, and the answer's message, warnings and audit
//! annotations.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use kubepci_model::{Finding, ObjectRef, Scope};
use serde::Serialize;
use time::Date;

use super::context::ContextSource;
use super::evaluate::{Admitter, EvaluationError, ObjectUnderReview, Requester};
use super::settings::{AdmissionSettings, ExistingFindings, Mode};

/// The operation of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operation {
    /// `CREATE`
    Create,
    /// `UPDATE`
    Update,
    /// `DELETE`
    Delete,
    /// `CONNECT` (exec, attach, port-forward, proxy)
    Connect,
}

impl Operation {
    /// Parses the AdmissionRequest field.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "CREATE" => Some(Operation::Create),
            "UPDATE" => Some(Operation::Update),
            "DELETE" => Some(Operation::Delete),
            "CONNECT" => Some(Operation::Connect),
            _ => None,
        }
    }

    /// The AdmissionRequest spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        }
    }
}

/// One admission request, as far as the decision needs it.
#[derive(Debug, Clone, Copy)]
pub struct Review<'a> {
    /// `request.kind.kind`.
    pub kind: &'a str,
    /// `request.kind.group` and `.version` as an apiVersion (`apps/v1`, `v1`): what the
    /// object is, should it not say.
    pub api_version: &'a str,
    /// `request.subResource` (empty when none).
    pub sub_resource: &'a str,
    /// `request.namespace` (empty for cluster-scoped objects).
    pub namespace: &'a str,
    /// `request.operation`.
    pub operation: Operation,
    /// `request.object` as JSON, when present.
    pub object: Option<&'a [u8]>,
    /// `request.oldObject` as JSON, when present (UPDATE).
    pub old_object: Option<&'a [u8]>,
    /// `request.userInfo.username`.
    pub username: &'a str,
    /// What verifying the object's images in their registries found (KP5009 reads it), when
    /// the webhook verifies image signatures.
    pub images: Option<&'a kubepci_rules::signatures::ImageVerifications>,
}

/// Why a request was allowed without evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Skipped {
    /// DELETE and CONNECT add nothing to check.
    Operation,
    /// No admission rule reads this kind.
    Kind,
    /// A subresource other than `ephemeralcontainers` (status, scale, binding…).
    SubResource,
    /// The namespace is exempt (`admission.exemptNamespaces`, or the webhook's own).
    ExemptNamespace,
}

impl Skipped {
    /// The kebab-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Skipped::Operation => "operation",
            Skipped::Kind => "kind",
            Skipped::SubResource => "sub-resource",
            Skipped::ExemptNamespace => "exempt-namespace",
        }
    }
}

/// What the webhook does with one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Denies the request.
    Deny,
    /// Allowed, with an admission warning.
    Warn,
    /// Allowed, logged and recorded in the audit annotations.
    Audit,
    /// Allowed: a waiver of the register covers it.
    Waived,
}

impl Action {
    /// The kebab-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Deny => "deny",
            Action::Warn => "warn",
            Action::Audit => "audit",
            Action::Waived => "waived",
        }
    }
}

/// One finding and what it does.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// The finding.
    pub finding: Finding,
    /// What it does.
    pub action: Action,
    /// Whether the old object already had it (UPDATE).
    pub preexisting: bool,
}

/// The answer to a request.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Whether the request is allowed.
    pub allowed: bool,
    /// Why it was allowed unread, if it was.
    pub skipped: Option<Skipped>,
    /// The object (absent when unread).
    pub object: Option<ObjectRef>,
    /// Its scope.
    pub scope: Option<Scope>,
    /// The mode of its namespace.
    pub mode: Option<Mode>,
    /// Each finding and what it does.
    pub outcomes: Vec<Outcome>,
    /// For a denial: what the user sees (rule IDs and short reasons, bounded).
    pub message: Option<String>,
    /// Admission warnings (kubectl prints them), bounded in number and length.
    pub warnings: Vec<String>,
    /// Recorded by the apiserver in its audit event for the request (keys without the
    /// webhook-name prefix the apiserver adds).
    pub audit_annotations: BTreeMap<String, String>,
    /// Waiver ids the object's annotation names that the register does not have.
    pub unknown_waivers: Vec<String>,
    /// Why the request could not be checked, when it could not (the answer then follows the
    /// failure policy).
    pub error: Option<String>,
}

impl Decision {
    /// The answer to a request allowed without evaluation.
    #[must_use]
    pub fn skipped(reason: Skipped) -> Self {
        let mut audit_annotations = BTreeMap::new();
        audit_annotations.insert("decision".to_owned(), "allow".to_owned());
        audit_annotations.insert("skipped".to_owned(), reason.as_str().to_owned());
        Self {
            allowed: true,
            skipped: Some(reason),
            object: None,
            scope: None,
            mode: None,
            outcomes: Vec::new(),
            message: None,
            warnings: Vec::new(),
            audit_annotations,
            unknown_waivers: Vec::new(),
            error: None,
        }
    }

    /// The rule IDs whose findings deny the request.
    pub fn denying_rules(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.outcomes
            .iter()
            .filter(|o| o.action == Action::Deny)
            .map(|o| o.finding.rule_id)
    }

    /// The answer when the request could not be checked, under `settings.failurePolicy`.
    #[must_use]
    pub fn failed(settings: &AdmissionSettings, reason: &str) -> Self {
        let allowed = matches!(
            settings.failure_policy,
            super::settings::FailurePolicy::Ignore
        );
        let mut audit_annotations = BTreeMap::new();
        audit_annotations.insert(
            "decision".to_owned(),
            if allowed { "allow" } else { "deny" }.to_owned(),
        );
        audit_annotations.insert("error".to_owned(), truncate(reason, 256));
        let text = format!("kubepci could not check this request: {reason}");
        Self {
            allowed,
            skipped: None,
            object: None,
            scope: None,
            mode: None,
            outcomes: Vec::new(),
            message: (!allowed).then(|| truncate(&text, MESSAGE_LIMIT)),
            warnings: if allowed {
                vec![truncate(&text, WARNING_LIMIT)]
            } else {
                Vec::new()
            },
            audit_annotations,
            unknown_waivers: Vec::new(),
            error: Some(reason.to_owned()),
        }
    }
}

/// Longest denial message, in bytes.
const MESSAGE_LIMIT: usize = 2048;
/// Longest single warning, in bytes (the apiserver may truncate longer ones).
const WARNING_LIMIT: usize = 256;
/// Most warnings on one answer.
const MAX_WARNINGS: usize = 16;
/// Longest audit annotation value, in bytes.
const ANNOTATION_LIMIT: usize = 1024;

impl Admitter {
    /// Why `review` is allowed without reading its object, if it is: DELETE and CONNECT,
    /// subresources other than `ephemeralcontainers`, kinds no admission rule reads, exempt
    /// namespaces and `own_namespace` (the webhook's).
    #[must_use]
    pub fn skip_reason(
        &self,
        review: &Review<'_>,
        settings: &AdmissionSettings,
        own_namespace: Option<&str>,
    ) -> Option<Skipped> {
        if matches!(review.operation, Operation::Delete | Operation::Connect) {
            return Some(Skipped::Operation);
        }
        if !review.sub_resource.is_empty() && review.sub_resource != "ephemeralcontainers" {
            return Some(Skipped::SubResource);
        }
        if !self.reads_kind(review.kind) {
            return Some(Skipped::Kind);
        }
        if !review.namespace.is_empty()
            && (settings.is_exempt(review.namespace) || own_namespace == Some(review.namespace))
        {
            return Some(Skipped::ExemptNamespace);
        }
        None
    }

    /// Decides `review` with the admission `settings`, reading `context`, on `date`.
    /// `own_namespace` (the webhook's namespace) is always exempt.
    ///
    /// # Errors
    /// The object (or the old object) cannot be read.
    pub fn review(
        &self,
        review: &Review<'_>,
        settings: &AdmissionSettings,
        own_namespace: Option<&str>,
        context: &impl ContextSource,
        date: Date,
    ) -> Result<Decision, EvaluationError> {
        if let Some(reason) = self.skip_reason(review, settings, own_namespace) {
            return Ok(Decision::skipped(reason));
        }
        let namespace = Some(review.namespace).filter(|ns| !ns.is_empty());
        let json = review
            .object
            .ok_or_else(|| EvaluationError::Object("the request carries no object".to_owned()))?;
        let typed = ObjectUnderReview {
            json,
            namespace,
            api_version: review.api_version,
            kind: review.kind,
        };
        let object = self.parse(typed)?;
        if review.sub_resource.is_empty() && object.kind() != review.kind {
            // The apiserver converts to the version the webhook asked for, never the kind.
            return Err(EvaluationError::Object(format!(
                "the object is a {}, the request says {}",
                object.kind(),
                review.kind
            )));
        }
        let requester = Requester::of(review.username);
        let evaluation = self.evaluate_with(object, context, date, requester, review.images);
        let old = match (review.operation, review.old_object) {
            (Operation::Update, Some(json))
                if settings.existing_findings_on_update == ExistingFindings::Warn =>
            {
                let old = self.parse(ObjectUnderReview { json, ..typed })?;
                Some(self.evaluate_with(old, context, date, requester, review.images))
            }
            _ => None,
        };
        let mode = settings.namespace_mode(namespace, evaluation.scope);
        let outcomes: Vec<Outcome> = evaluation
            .findings
            .into_iter()
            .map(|finding| {
                let preexisting = old.as_ref().is_some_and(|old| {
                    old.findings.iter().any(|f| {
                        f.rule_id == finding.rule_id
                            && f.pointer == finding.pointer
                            && f.message == finding.message
                    })
                });
                let action = action_for(&finding, mode, preexisting, settings);
                Outcome {
                    finding,
                    action,
                    preexisting,
                }
            })
            .collect();
        let allowed = !outcomes.iter().any(|o| o.action == Action::Deny);
        let message =
            (!allowed).then(|| denial_message(&evaluation.object, evaluation.scope, &outcomes));
        let warnings = warnings(&outcomes, &evaluation.unknown_waivers);
        let mut audit_annotations = audit_annotations(allowed, mode, evaluation.scope, &outcomes);
        if let Some(images) = review.images {
            image_annotations(images, &mut audit_annotations);
        }
        Ok(Decision {
            allowed,
            skipped: None,
            object: Some(evaluation.object),
            scope: Some(evaluation.scope),
            mode: Some(mode),
            outcomes,
            message,
            warnings,
            audit_annotations,
            unknown_waivers: evaluation.unknown_waivers,
            error: None,
        })
    }
}

fn action_for(
    finding: &Finding,
    namespace_mode: Mode,
    preexisting: bool,
    settings: &AdmissionSettings,
) -> Action {
    if finding.is_waived() {
        return Action::Waived;
    }
    match settings.rule_mode(finding.rule_id, namespace_mode) {
        Mode::Enforce if preexisting || finding.severity < settings.deny_severity => Action::Warn,
        Mode::Enforce => Action::Deny,
        Mode::Warn => Action::Warn,
        Mode::Audit => Action::Audit,
    }
}

fn rule_name(id: &str) -> &'static str {
    kubepci_rules::find(id).map_or("", |r| r.meta().name)
}

/// `kubepci denied Deployment payments/api (scope cde): KP1001 privileged-container: …; …`,
/// within [`MESSAGE_LIMIT`], naming how many more were left out.
fn denial_message(object: &ObjectRef, scope: Scope, outcomes: &[Outcome]) -> String {
    let mut denied: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.action == Action::Deny)
        .collect();
    // The worst first: a bounded message must not drop the critical reasons.
    denied.sort_by(|a, b| {
        (b.finding.severity, a.finding.rule_id).cmp(&(a.finding.severity, b.finding.rule_id))
    });
    let mut text = format!("kubepci denied {object} (scope {scope}): ");
    let mut shown = 0;
    for (i, outcome) in denied.iter().enumerate() {
        let f = &outcome.finding;
        let item = format!(
            "{}{} {}: {}",
            if i == 0 { "" } else { "; " },
            f.rule_id,
            rule_name(f.rule_id),
            f.message
        );
        // Keep room for the tail.
        if text.len() + item.len() > MESSAGE_LIMIT - 120 && shown > 0 {
            break;
        }
        text.push_str(&truncate(&item, MESSAGE_LIMIT - 120));
        shown += 1;
    }
    if shown < denied.len() {
        let _ = write!(text, "; and {} more", denied.len() - shown);
    }
    text.push_str(". Fix the object, or record a waiver (kubepci rules explain ID tells how).");
    // Finding messages are masked already; the object's name may be a card number too.
    truncate(&kubepci_rules::pan::mask_all(text), MESSAGE_LIMIT)
}

fn warnings(outcomes: &[Outcome], unknown_waivers: &[String]) -> Vec<String> {
    let mut warnings: Vec<String> = outcomes
        .iter()
        .filter(|o| o.action == Action::Warn)
        .map(|o| {
            let f = &o.finding;
            let tag = if o.preexisting {
                " (already present)"
            } else {
                ""
            };
            truncate(
                &format!("{} {}{tag}: {}", f.rule_id, rule_name(f.rule_id), f.message),
                WARNING_LIMIT,
            )
        })
        .collect();
    for id in unknown_waivers {
        warnings.push(truncate(
            &format!(
                "annotation kubepci.io/waiver names `{id}`, which is not in the waiver register"
            ),
            WARNING_LIMIT,
        ));
    }
    if warnings.len() > MAX_WARNINGS {
        let more = warnings.len() - (MAX_WARNINGS - 1);
        warnings.truncate(MAX_WARNINGS - 1);
        warnings.push(format!("and {more} more kubepci warnings"));
    }
    warnings
}

/// `verified-images` (`image=digest` of every image whose signature verified) and
/// `unverified-images`, so that the audit event names what was admitted, digest by digest.
fn image_annotations(
    images: &kubepci_rules::signatures::ImageVerifications,
    annotations: &mut BTreeMap<String, String>,
) {
    use kubepci_rules::signatures::Outcome as Verified;
    let list = |wanted: bool| -> String {
        let items: Vec<String> = images
            .iter()
            .filter(|v| (v.outcome == Verified::Verified) == wanted)
            .map(|v| match &v.digest {
                Some(d) => format!("{}={d}", v.image),
                None => v.image.clone(),
            })
            .collect();
        truncate(&items.join(","), ANNOTATION_LIMIT)
    };
    for (key, wanted) in [("verified-images", true), ("unverified-images", false)] {
        let value = list(wanted);
        if !value.is_empty() {
            annotations.insert(key.to_owned(), value);
        }
    }
}

fn audit_annotations(
    allowed: bool,
    mode: Mode,
    scope: Scope,
    outcomes: &[Outcome],
) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::new();
    annotations.insert(
        "decision".to_owned(),
        if allowed { "allow" } else { "deny" }.to_owned(),
    );
    annotations.insert("mode".to_owned(), mode.as_str().to_owned());
    annotations.insert("scope".to_owned(), scope.as_str().to_owned());
    let mut by_action: BTreeMap<Action, Vec<&str>> = BTreeMap::new();
    for o in outcomes {
        let ids = by_action.entry(o.action).or_default();
        if !ids.contains(&o.finding.rule_id) {
            ids.push(o.finding.rule_id);
        }
    }
    for (action, ids) in by_action {
        let key = match action {
            Action::Deny => "denied-by",
            Action::Warn => "warned-by",
            Action::Audit => "audited-by",
            Action::Waived => "waived-rules",
        };
        annotations.insert(key.to_owned(), truncate(&ids.join(","), ANNOTATION_LIMIT));
    }
    let mut waivers: Vec<String> = outcomes
        .iter()
        .filter_map(|o| {
            o.finding
                .waiver
                .as_ref()
                .map(|w| format!("{}:{}", w.id, o.finding.rule_id))
        })
        .collect();
    waivers.sort();
    waivers.dedup();
    if !waivers.is_empty() {
        annotations.insert(
            "waivers".to_owned(),
            truncate(&waivers.join(","), ANNOTATION_LIMIT),
        );
    }
    annotations
}

/// Cuts `text` to at most `limit` bytes at a character boundary, marking the cut.
fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
