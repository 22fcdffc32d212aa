//! `POST /validate`: an AdmissionReview in, an AdmissionReview out, decided by the engine's
//! [`Admitter`], within a deadline, logged and counted without object contents.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kubepci_engine::admission::{Action, Admitter, Decision, ObjectUnderReview, Operation, Review};
use kubepci_https::ops::Readiness;
use kubepci_imagesig::Verifier;
use kubepci_rules::signatures::{ImageVerification, ImageVerifications, Outcome as Verified};
use time::Date;
use tokio::sync::Semaphore;

use crate::context::SharedContext;
use crate::metrics::{FindingAction, FindingLabels, Metrics, Outcome, RequestLabels};
use crate::review::{AdmissionRequest, AdmissionResponse, Status, decode, encode};

/// Everything a request handler reads.
pub struct WebhookState {
    /// The engine's admission side, with the configuration and waiver register.
    pub admitter: Admitter,
    /// The cluster context.
    pub context: Arc<SharedContext>,
    /// The webhook's own namespace (always exempt).
    pub own_namespace: Option<String>,
    /// Time a request may take, queueing included (below the webhook's `timeoutSeconds`).
    pub deadline: Duration,
    /// Most requests evaluated at once.
    pub slots: Arc<Semaphore>,
    /// Metrics.
    pub metrics: Metrics,
    /// Today's date (UTC): waivers expire and certificates age as days pass.
    pub today: fn() -> Date,
    /// Verifies image signatures in the registries (KP5009), when a signing policy is
    /// configured.
    pub verifier: Option<Arc<Verifier>>,
}

impl std::fmt::Debug for WebhookState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookState")
            .field("own_namespace", &self.own_namespace)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// Today in UTC.
#[must_use]
pub fn today_utc() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// The webhook's router: `POST /validate`, `POST /mutate` (pins verified images to their
/// digests), and `/healthz` and `/readyz` (also served on the operations port). Bodies above
/// `max_body_bytes` get 413.
pub fn router(state: Arc<WebhookState>, readiness: Readiness, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/mutate", post(mutate))
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || {
                let readiness = readiness.clone();
                async move {
                    match readiness.waiting_for() {
                        None => (StatusCode::OK, "ok".to_owned()),
                        Some(reason) => (StatusCode::SERVICE_UNAVAILABLE, reason),
                    }
                }
            }),
        )
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}

fn review_of<'a>(
    request: &'a AdmissionRequest,
    api_version: &'a str,
    images: Option<&'a ImageVerifications>,
) -> Option<Review<'a>> {
    Some(Review {
        kind: &request.kind.kind,
        api_version,
        sub_resource: &request.sub_resource,
        namespace: &request.namespace,
        operation: Operation::parse(&request.operation)?,
        object: request.object.as_ref().map(|o| o.get().as_bytes()),
        old_object: request.old_object.as_ref().map(|o| o.get().as_bytes()),
        username: &request.user_info.username,
        images,
    })
}

impl WebhookState {
    /// Decides one request (blocking: it runs the rules).
    fn decide(&self, request: &AdmissionRequest, images: Option<&ImageVerifications>) -> Decision {
        let settings = &self.admitter.options().config.admission;
        let api_version = request.kind.api_version();
        let Some(review) = review_of(request, &api_version, images) else {
            return Decision::failed(settings, "unknown operation");
        };
        match self.admitter.review(
            &review,
            settings,
            self.own_namespace.as_deref(),
            &*self.context,
            (self.today)(),
        ) {
            Ok(decision) => decision,
            Err(error) => Decision::failed(settings, &error.to_string()),
        }
    }

    /// The answer without evaluation, when the request needs none.
    fn skip(&self, request: &AdmissionRequest) -> Option<Decision> {
        let settings = &self.admitter.options().config.admission;
        let api_version = request.kind.api_version();
        let review = review_of(request, &api_version, None)?;
        self.admitter
            .skip_reason(&review, settings, self.own_namespace.as_deref())
            .map(Decision::skipped)
    }
}

async fn validate(State(state): State<Arc<WebhookState>>, body: Bytes) -> Response {
    let start = Instant::now();
    let request = match decode(&body) {
        Ok(request) => request,
        Err(error) => {
            state
                .metrics
                .requests
                .get_or_create(&RequestLabels {
                    kind: "unknown".to_owned(),
                    operation: "unknown".to_owned(),
                    decision: Outcome::invalid,
                })
                .inc();
            tracing::warn!(%error, bytes = body.len(), "rejected a body that is not an AdmissionReview");
            let body = serde_json::json!({ "error": error.to_string() });
            return (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response();
        }
    };
    let request = Arc::new(request);
    let (decision, errored) = match state.skip(&request) {
        Some(decision) => (decision, false),
        None => {
            let images = verify_images(&state, &request, start).await;
            evaluate(&state, request.clone(), images, start).await
        }
    };
    respond(&state, &request, decision, errored, start)
}

/// Verifies the signatures of the object's images that a signing policy covers, leaving
/// the evaluation a quarter of the deadline (at most 500 ms): an image the registries did
/// not answer for in time is unavailable, which KP5009 denies in enforce mode unless
/// `registry.onError` is `warn`. Each image with the JSON pointer of its field.
async fn verify_images(
    state: &WebhookState,
    request: &AdmissionRequest,
    start: Instant,
) -> Option<Vec<(ImageVerification, kubepci_model::JsonPointer)>> {
    let verifier = state.verifier.as_ref()?;
    let api_version = request.kind.api_version();
    let object = state
        .admitter
        .parse(ObjectUnderReview {
            json: request.object.as_ref()?.get().as_bytes(),
            namespace: Some(request.namespace.as_str()).filter(|ns| !ns.is_empty()),
            api_version: &api_version,
            kind: &request.kind.kind,
        })
        .ok()?;
    let covered = kubepci_imagesig::covered_images(&object, verifier.policy());
    if covered.is_empty() {
        return Some(Vec::new());
    }
    let mut distinct: Vec<&str> = covered.iter().map(|(i, _)| i.as_str()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let reserve = (state.deadline / 4).min(Duration::from_millis(500));
    let budget = tokio::time::Instant::from_std(start + state.deadline.saturating_sub(reserve));
    let found: Vec<ImageVerification> =
        match tokio::time::timeout_at(budget, verifier.verify_all(&distinct)).await {
            Ok(verdicts) => verdicts.into_iter().map(|v| v.verification).collect(),
            Err(_) => distinct
                .iter()
                .filter_map(|image| {
                    let policy = verifier.policy().policy_for(image)?;
                    Some(ImageVerification {
                        image: (*image).to_owned(),
                        digest: None,
                        policy: policy.name.clone(),
                        outcome: Verified::Unavailable,
                        signers: Vec::new(),
                        reason: Some(format!(
                            "the registry did not answer before the admission deadline ({} ms)",
                            state.deadline.as_millis()
                        )),
                    })
                })
                .collect(),
        };
    Some(
        covered
            .into_iter()
            .filter_map(|(image, pointer)| {
                found
                    .iter()
                    .find(|v| v.image == image)
                    .map(|v| (v.clone(), pointer))
            })
            .collect(),
    )
}

/// `POST /mutate`: pins each image whose signature verified to the digest that was verified
/// (a JSON patch), so that the kubelet pulls exactly what was checked even if the tag moves.
/// Never denies: the validating webhook does.
async fn mutate(State(state): State<Arc<WebhookState>>, body: Bytes) -> Response {
    let request = match decode(&body) {
        Ok(request) => request,
        Err(error) => {
            let body = serde_json::json!({ "error": error.to_string() });
            return (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response();
        }
    };
    let start = Instant::now();
    let images = match state.skip(&request) {
        Some(_) => None,
        None => verify_images(&state, &request, start).await,
    };
    let patch: Vec<serde_json::Value> = images
        .unwrap_or_default()
        .iter()
        .filter(|(v, _)| v.outcome == Verified::Verified)
        .filter_map(|(v, pointer)| {
            let pinned = kubepci_imagesig::pinned(&v.image, v.digest.as_deref()?);
            (pinned != v.image).then(|| {
                serde_json::json!({"op": "replace", "path": pointer.to_string(), "value": pinned})
            })
        })
        .collect();
    tracing::info!(
        kind = %request.kind.kind,
        operation = %request.operation,
        pinned = patch.len(),
        latency_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX),
        "admission mutation"
    );
    let response = AdmissionResponse {
        uid: request.uid.clone(),
        allowed: true,
        status: None,
        warnings: Vec::new(),
        audit_annotations: std::collections::BTreeMap::new(),
        patch: (!patch.is_empty()).then(|| crate::review::json_patch(&patch)),
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        encode(&response),
    )
        .into_response()
}

/// Runs the rules off the async threads, within the deadline (queueing for a slot included).
async fn evaluate(
    state: &Arc<WebhookState>,
    request: Arc<AdmissionRequest>,
    images: Option<Vec<(ImageVerification, kubepci_model::JsonPointer)>>,
    start: Instant,
) -> (Decision, bool) {
    let settings = &state.admitter.options().config.admission;
    let deadline = tokio::time::Instant::from_std(start + state.deadline);
    let Ok(Ok(permit)) =
        tokio::time::timeout_at(deadline, state.slots.clone().acquire_owned()).await
    else {
        return (
            Decision::failed(
                settings,
                "the webhook is overloaded (no evaluation slot before the deadline)",
            ),
            true,
        );
    };
    state.metrics.in_flight.inc();
    let worker = state.clone();
    let images: Option<ImageVerifications> =
        images.map(|found| found.into_iter().map(|(v, _)| v).collect::<Vec<_>>().into());
    let work = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        worker.decide(&request, images.as_ref())
    });
    let result = tokio::time::timeout_at(deadline, work).await;
    state.metrics.in_flight.dec();
    match result {
        // The timer is coarse: a decision that lands after the deadline is treated as missed
        // (the apiserver would have given up on it).
        Ok(Ok(_)) if start.elapsed() > state.deadline => (
            Decision::failed(
                settings,
                "the evaluation did not finish before the deadline",
            ),
            true,
        ),
        Ok(Ok(decision)) => {
            let errored = decision.error.is_some();
            (decision, errored)
        }
        Ok(Err(_)) => (Decision::failed(settings, "internal error"), true),
        Err(_) => (
            Decision::failed(
                settings,
                "the evaluation did not finish before the deadline",
            ),
            true,
        ),
    }
}

fn respond(
    state: &WebhookState,
    request: &AdmissionRequest,
    decision: Decision,
    errored: bool,
    start: Instant,
) -> Response {
    let outcome = if errored {
        Outcome::error
    } else if decision.skipped.is_some() {
        Outcome::skip
    } else if decision.allowed {
        Outcome::allow
    } else {
        Outcome::deny
    };
    let kind = if state.admitter.reads_kind(&request.kind.kind) {
        request.kind.kind.clone()
    } else {
        "other".to_owned()
    };
    let operation = match Operation::parse(&request.operation) {
        Some(op) => op.as_str().to_owned(),
        None => "unknown".to_owned(),
    };
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            kind,
            operation,
            decision: outcome,
        })
        .inc();
    for o in &decision.outcomes {
        let action = match o.action {
            Action::Deny => FindingAction::deny,
            Action::Warn => FindingAction::warn,
            Action::Audit => FindingAction::audit,
            Action::Waived => FindingAction::waived,
        };
        state
            .metrics
            .findings
            .get_or_create(&FindingLabels {
                rule: o.finding.rule_id.to_owned(),
                action,
            })
            .inc();
    }
    let elapsed = start.elapsed();
    state.metrics.latency.observe(elapsed.as_secs_f64());
    log_decision(request, &decision, outcome, elapsed);

    let response = AdmissionResponse {
        uid: request.uid.clone(),
        allowed: decision.allowed,
        status: decision.message.map(|message| Status {
            code: 403,
            message,
            reason: "Forbidden",
        }),
        warnings: decision.warnings,
        audit_annotations: decision.audit_annotations,
        patch: None,
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        encode(&response),
    )
        .into_response()
}

/// One structured line per decision: identity, verdict, rule IDs, waivers, latency. Never the
/// object, never finding messages; names are masked for card numbers.
fn log_decision(
    request: &AdmissionRequest,
    decision: &Decision,
    outcome: Outcome,
    elapsed: Duration,
) {
    let ids = |action: Action| -> String {
        let mut ids: Vec<&str> = Vec::new();
        for o in decision.outcomes.iter().filter(|o| o.action == action) {
            if !ids.contains(&o.finding.rule_id) {
                ids.push(o.finding.rule_id);
            }
        }
        ids.join(",")
    };
    let waivers: Vec<&str> = decision
        .outcomes
        .iter()
        .filter_map(|o| o.finding.waiver.as_ref().map(|w| w.id.as_str()))
        .collect();
    let mask = |text: &str| kubepci_rules::pan::mask_all(text.to_owned());
    tracing::info!(
        uid = %mask(&request.uid),
        kind = %request.kind.kind,
        namespace = %mask(&request.namespace),
        name = %mask(decision.object.as_ref().map_or(&request.name, |o| &o.name)),
        operation = %request.operation,
        user = %mask(&request.user_info.username),
        dry_run = request.dry_run.unwrap_or(false),
        decision = ?outcome,
        skipped = decision.skipped.map_or("", |s| s.as_str()),
        mode = decision.mode.map_or("", |m| m.as_str()),
        scope = decision.scope.map_or("", |s| s.as_str()),
        denied_by = %ids(Action::Deny),
        warned_by = %ids(Action::Warn),
        audited_by = %ids(Action::Audit),
        waivers = %waivers.join(","),
        latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        "admission decision"
    );
}
