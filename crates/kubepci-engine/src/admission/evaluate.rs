//! One object, checked the way a scan checks it: the same loader, rules, settings, scope
//! resolution and waiver register, with the cluster context standing in for the rest of the
//! input.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use kubepci_k8s::{InputError, Inventory, KindFilter, Object, load};
use kubepci_model::{Finding, ObjectRef, Scope};
use kubepci_rules::loaded::ANY_KIND;
use kubepci_rules::{Admission, RuleRef, Shared, run_rule_on};
use time::Date;

use super::context::{ContextSource, ContextStore};
use crate::{ScanOptions, WAIVER_ANNOTATION};

/// How a kind is checked: the rules that read it and the context kinds they need.
#[derive(Default, Clone)]
struct KindPlan {
    rules: Vec<RuleRef>,
    /// Kinds whose objects in the request's namespace (and cluster-scoped ones) are read.
    namespace_kinds: Vec<&'static str>,
    /// Kinds whose objects in every namespace are read.
    cluster_kinds: Vec<&'static str>,
}

/// An object to check, as the apiserver sends it.
#[derive(Debug, Clone, Copy)]
pub struct ObjectUnderReview<'a> {
    /// The object's JSON (`request.object`, or `request.oldObject`).
    pub json: &'a [u8],
    /// The request's namespace: the object's when it names none (as with `kubectl apply -n`).
    pub namespace: Option<&'a str>,
    /// The request's apiVersion and kind: the object's when it names none (the apiserver
    /// always sends them; hand-written requests sometimes leave them out).
    pub api_version: &'a str,
    /// See `api_version`.
    pub kind: &'a str,
}

/// Who sent a request, as far as the decision cares: the Kubernetes controllers that create
/// pods and ReplicaSets for the workloads they own, or anyone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Requester {
    /// A person, a CI system, an operator: anyone but the built-in workload controllers.
    #[default]
    Other,
    /// kube-controller-manager's workload controllers (ReplicaSets of a Deployment, Pods of a
    /// ReplicaSet, StatefulSet, DaemonSet or Job, Jobs of a CronJob).
    WorkloadController,
}

/// The identities of kube-controller-manager's workload controllers.
const WORKLOAD_CONTROLLERS: &[&str] = &[
    "system:kube-controller-manager",
    "system:serviceaccount:kube-system:cronjob-controller",
    "system:serviceaccount:kube-system:daemon-set-controller",
    "system:serviceaccount:kube-system:deployment-controller",
    "system:serviceaccount:kube-system:job-controller",
    "system:serviceaccount:kube-system:replicaset-controller",
    "system:serviceaccount:kube-system:replication-controller",
    "system:serviceaccount:kube-system:statefulset-controller",
];

impl Requester {
    /// The requester of a request sent by `username`.
    #[must_use]
    pub fn of(username: &str) -> Self {
        if WORKLOAD_CONTROLLERS.contains(&username) {
            Requester::WorkloadController
        } else {
            Requester::Other
        }
    }
}

/// Why an object could not be checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvaluationError {
    /// The object does not parse, or is not a Kubernetes object.
    #[error("the object cannot be read: {0}")]
    Object(String),
}

/// The findings on one object.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The object.
    pub object: ObjectRef,
    /// Its PCI scope (its namespace's, `cluster` for cluster-scoped objects).
    pub scope: Scope,
    /// Its findings, in the scan's order, waivers applied (waived findings stay findings).
    pub findings: Vec<Finding>,
    /// Waiver ids its `kubepci.io/waiver` annotation names that the register does not have.
    pub unknown_waivers: Vec<String>,
    /// Context objects the rules saw beside it.
    pub context_objects: usize,
    /// Time spent.
    pub elapsed: Duration,
}

/// The admission side of the engine: the rules that run at admission, grouped by the kind
/// they read, with the configuration and waiver register of a scan.
pub struct Admitter {
    options: ScanOptions,
    plans: HashMap<&'static str, KindPlan>,
    /// The plan of kinds no rule names, when rules apply to every kind (loaded policies).
    any_kind: Option<KindPlan>,
    filter: KindFilter,
    settings: Mutex<(Option<Date>, Arc<kubepci_rules::Settings>)>,
}

impl std::fmt::Debug for Admitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admitter")
            .field("kinds", &self.plans.len())
            .finish_non_exhaustive()
    }
}

impl Admitter {
    /// Plans admission for the rules of `options` (scan-only rules are left out).
    #[must_use]
    pub fn new(options: ScanOptions) -> Self {
        let mut plans: HashMap<&'static str, KindPlan> = HashMap::new();
        for rule in &options.rules {
            let meta = rule.meta();
            if !meta.admission.at_admission() {
                continue;
            }
            let kinds = meta.target.kinds();
            for kind in kinds {
                if *kind == ANY_KIND {
                    continue;
                }
                let plan = plans.entry(kind).or_default();
                plan.rules.push(rule.clone());
                let needed = match meta.admission {
                    Admission::Namespace => &mut plan.namespace_kinds,
                    Admission::Cluster => &mut plan.cluster_kinds,
                    Admission::Object | Admission::ScanOnly => continue,
                };
                for k in kinds {
                    if !needed.contains(k) {
                        needed.push(k);
                    }
                }
            }
        }
        // Rules of every kind join every plan, and make the plan of the other kinds.
        let any: Vec<RuleRef> = options
            .rules
            .iter()
            .filter(|r| r.meta().admission.at_admission())
            .filter(|r| r.meta().target.kinds().contains(&ANY_KIND))
            .cloned()
            .collect();
        let any_kind = (!any.is_empty()).then(|| KindPlan {
            rules: any.clone(),
            ..KindPlan::default()
        });
        for plan in plans.values_mut() {
            plan.rules.extend(any.iter().cloned());
        }
        let filter = if any_kind.is_some() {
            KindFilter::All
        } else {
            let mut wanted: HashSet<String> = plans.keys().map(|k| (*k).to_owned()).collect();
            wanted.insert("Namespace".to_owned());
            KindFilter::Only(wanted)
        };
        let settings = Arc::new(options.config.settings.clone());
        Self {
            options,
            plans,
            any_kind,
            filter,
            settings: Mutex::new((None, settings)),
        }
    }

    /// Whether some admission rule reads objects of `kind`; requests for other kinds are
    /// allowed without being read.
    #[must_use]
    pub fn reads_kind(&self, kind: &str) -> bool {
        self.plans.contains_key(kind) || self.any_kind.is_some()
    }

    /// The kinds some admission rule reads, sorted: what the webhook configuration must send.
    #[must_use]
    pub fn admitted_kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = self.plans.keys().copied().collect();
        kinds.sort_unstable();
        kinds
    }

    /// The kinds whose objects the context must hold (Namespaces always: they carry scope).
    #[must_use]
    pub fn context_kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = self
            .plans
            .values()
            .flat_map(|p| p.namespace_kinds.iter().chain(&p.cluster_kinds).copied())
            .chain(["Namespace"])
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    }

    /// The rules that run at admission, by ID.
    pub fn rule_ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        let mut ids: Vec<&'static str> = self
            .plans
            .values()
            .flat_map(|p| p.rules.iter().map(|r| r.meta().id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
    }

    /// The options it was built from.
    #[must_use]
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// The context made of manifests or a snapshot: reads `paths` as a scan reads them
    /// (same loader, same namespace default) and keeps the objects of the context's kinds.
    #[must_use]
    pub fn load_context(
        &self,
        paths: &[kubepci_k8s::source::InputPath],
    ) -> (ContextStore, Vec<InputError>) {
        let kinds = self.context_kinds();
        let loaded = crate::load_inventory(
            paths,
            &kinds,
            &self.options.config,
            self.options.default_namespace.as_deref(),
        );
        let store = ContextStore::from_shared(
            loaded
                .inventory
                .into_objects()
                .into_iter()
                .filter(|o| kinds.contains(&o.kind())),
        );
        (store, loaded.errors)
    }

    fn settings_on(&self, date: Date) -> Arc<kubepci_rules::Settings> {
        let mut cached = self.settings.lock().unwrap_or_else(PoisonError::into_inner);
        if cached.0 != Some(date) {
            let mut settings = self.options.config.settings.clone();
            settings.as_of = Some(date);
            *cached = (Some(date), Arc::new(settings));
        }
        cached.1.clone()
    }

    /// Parses an object the way a scan parses a manifest.
    ///
    /// # Errors
    /// The JSON does not parse or is not a Kubernetes object.
    pub fn parse(&self, object: ObjectUnderReview<'_>) -> Result<Object, EvaluationError> {
        let mut loaded = load("admission", object.json, &KindFilter::All, object.namespace);
        if let Some(error) = loaded.errors.first() {
            return Err(EvaluationError::Object(describe(error)));
        }
        if loaded.objects.is_empty()
            && let Some(typed) = with_type_meta(object)
        {
            loaded = load("admission", &typed, &KindFilter::All, object.namespace);
            if let Some(error) = loaded.errors.first() {
                return Err(EvaluationError::Object(describe(error)));
            }
        }
        match loaded.objects.len() {
            1 => Ok(loaded.objects.remove(0)),
            0 => Err(EvaluationError::Object(
                "it has no apiVersion and kind".to_owned(),
            )),
            n => Err(EvaluationError::Object(format!(
                "it holds {n} objects, not one"
            ))),
        }
    }

    /// Checks `object` against the admission rules of its kind, with the objects of
    /// `context` that those rules read, on `date` (waivers and certificate ages).
    ///
    /// A scan reports a pod template on its top-level owner; so does admission when a
    /// workload controller creates the object for an owner the context holds (a Deployment's
    /// ReplicaSet, a ReplicaSet's Pods): the owner was checked when it was admitted, and its
    /// waivers and warnings hold for what it creates. Anyone else's object is checked itself,
    /// whatever its `ownerReferences` claim.
    #[must_use]
    pub fn evaluate(
        &self,
        object: Object,
        context: &impl ContextSource,
        date: Date,
        requester: Requester,
    ) -> Evaluation {
        self.evaluate_with(object, context, date, requester, None)
    }

    /// [`Admitter::evaluate`] with what verifying the object's images found (KP5009).
    #[must_use]
    pub fn evaluate_with(
        &self,
        object: Object,
        context: &impl ContextSource,
        date: Date,
        requester: Requester,
        images: Option<&kubepci_rules::signatures::ImageVerifications>,
    ) -> Evaluation {
        let start = Instant::now();
        let mut settings = self.settings_on(date);
        if let Some(images) = images.filter(|i| !i.is_empty()) {
            let mut with_images = (*settings).clone();
            with_images.image_verifications = images.clone();
            settings = Arc::new(with_images);
        }
        let Some(plan) = self.plans.get(object.kind()).or(self.any_kind.as_ref()) else {
            return Evaluation {
                scope: Scope::Unscoped,
                object: object.id,
                findings: Vec::new(),
                unknown_waivers: Vec::new(),
                context_objects: 0,
                elapsed: start.elapsed(),
            };
        };
        let (mut objects, controlled) =
            context.with_store(|store| pick(store, plan, &object, requester));
        let context_objects = objects.len();
        let annotated = waiver_ids(&object);
        let id = object.id.clone();
        objects.push(Arc::new(object));
        let focus = objects.len() - 1;
        let inventory = Inventory::shared(
            objects,
            &self.options.config.scopes,
            self.options.config.settings.labels.clone(),
        );
        let scope = inventory.scope_of(&inventory.objects()[focus]);
        let shared = Shared::default();
        let mut findings = Vec::new();
        for rule in &plan.rules {
            if controlled && rule.meta().target == kubepci_rules::Target::PodTemplates {
                continue;
            }
            run_rule_on(
                &**rule,
                &inventory,
                &settings,
                &shared,
                focus,
                &mut findings,
            );
        }
        let mut unknown_waivers = Vec::new();
        if let Some(register) = &self.options.waivers {
            let annotations: BTreeMap<ObjectRef, Vec<String>> = annotated
                .iter()
                .map(|ids| (id.clone(), ids.clone()))
                .collect();
            for note in register.apply(&mut findings, &annotations, date) {
                if let crate::WaiverNote::UnknownReference { id, .. } = note {
                    unknown_waivers.push(id);
                }
            }
        }
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        findings.dedup();
        Evaluation {
            object: id,
            scope,
            findings,
            unknown_waivers,
            context_objects,
            elapsed: start.elapsed(),
        }
    }

    /// The filter a scan of the admission rules' kinds would load with.
    #[must_use]
    pub fn kind_filter(&self) -> &KindFilter {
        &self.filter
    }
}

/// The context objects the plan's rules read, in a fixed order: every Namespace (they carry
/// the scopes, as in a scan), then kind by kind; and whether the object is controlled (see
/// [`Admitter::evaluate`]). The object's own earlier version is left out (the request
/// replaces it), and so are its owners unless it is controlled: they must not hide it from
/// the rules that report pod templates on their top-level owner.
fn pick(
    store: &ContextStore,
    plan: &KindPlan,
    object: &Object,
    requester: Requester,
) -> (Vec<Arc<Object>>, bool) {
    let namespace = object.namespace();
    let owners: Vec<(&str, &str)> = owners(object);
    let controlled = requester == Requester::WorkloadController
        && controller(object).is_some_and(|(kind, name, uid)| {
            kubepci_k8s::POD_TEMPLATE_KINDS.contains(&kind)
                && store.get(kind, namespace, name).is_some_and(|owner| {
                    uid.is_none_or(|uid| {
                        owner
                            .metadata()
                            .and_then(|m| m.get("uid"))
                            .and_then(kubepci_model::Node::as_str)
                            .is_none_or(|u| u == uid)
                    })
                })
        });
    let leave_out = |o: &Object| {
        (o.kind() == object.kind() && o.namespace() == namespace && o.name() == object.name())
            || (!controlled && o.namespace() == namespace && owners.contains(&(o.kind(), o.name())))
    };
    let mut picked: Vec<Arc<Object>> = store.of_kind("Namespace").cloned().collect();
    let mut seen: HashSet<&str> = HashSet::from(["Namespace"]);
    let cluster_wide = object.is_cluster_scoped();
    for kind in plan.cluster_kinds.iter().chain(&plan.namespace_kinds) {
        if !seen.insert(kind) {
            continue;
        }
        let everywhere = cluster_wide || plan.cluster_kinds.contains(kind);
        let candidates: Box<dyn Iterator<Item = &Arc<Object>>> = match namespace {
            Some(ns) if !everywhere => Box::new(store.in_namespace(kind, ns)),
            _ => Box::new(store.of_kind(kind)),
        };
        for candidate in candidates {
            if !leave_out(candidate) {
                picked.push(candidate.clone());
            }
        }
    }
    if controlled {
        // The owner must be there for the rules to see the object as owned, even when no
        // rule of the plan reads its kind.
        if let Some((kind, name, _)) = controller(object)
            && !plan.cluster_kinds.contains(&kind)
            && !plan.namespace_kinds.contains(&kind)
            && let Some(owner) = store.get(kind, namespace, name)
        {
            picked.push(owner.clone());
        }
    }
    (picked, controlled)
}

/// The controller of an object (`ownerReferences` entry with `controller: true`): kind, name
/// and uid.
fn controller(object: &Object) -> Option<(&str, &str, Option<&str>)> {
    object
        .metadata()?
        .get("ownerReferences")?
        .items()
        .iter()
        .find(|r| r.get("controller").and_then(kubepci_model::Node::as_bool) == Some(true))
        .and_then(|r| {
            Some((
                r.get("kind")?.as_str()?,
                r.get("name")?.as_str()?,
                r.get("uid").and_then(kubepci_model::Node::as_str),
            ))
        })
}

/// The object's JSON with the request's `apiVersion` and `kind` added where it has none, or
/// `None` when it has both (or is not a JSON object).
#[must_use]
pub fn with_type_meta(object: ObjectUnderReview<'_>) -> Option<Vec<u8>> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct TypeMeta {
        api_version: Option<serde::de::IgnoredAny>,
        kind: Option<serde::de::IgnoredAny>,
    }
    let meta: TypeMeta = serde_json::from_slice(object.json).ok()?;
    let open = object.json.iter().position(|b| !b.is_ascii_whitespace())?;
    if object.json[open] != b'{' || object.kind.is_empty() || object.api_version.is_empty() {
        return None;
    }
    let mut head = String::from("{");
    if meta.api_version.is_none() {
        head.push_str(&format!(
            "\"apiVersion\":{},",
            serde_json::to_string(object.api_version).ok()?
        ));
    }
    if meta.kind.is_none() {
        head.push_str(&format!(
            "\"kind\":{},",
            serde_json::to_string(object.kind).ok()?
        ));
    }
    if head.len() == 1 {
        return None;
    }
    let rest = &object.json[open + 1..];
    let empty = rest.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'}');
    if empty {
        head.pop();
    }
    let mut out = head.into_bytes();
    out.extend_from_slice(rest);
    Some(out)
}

fn owners(object: &Object) -> Vec<(&str, &str)> {
    object
        .metadata()
        .and_then(|m| m.get("ownerReferences"))
        .map(kubepci_model::Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|r| Some((r.get("kind")?.as_str()?, r.get("name")?.as_str()?)))
        .collect()
}

fn waiver_ids(object: &Object) -> Option<Vec<String>> {
    let ids = object.annotation(WAIVER_ANNOTATION)?;
    Some(
        ids.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

fn describe(error: &InputError) -> String {
    let text = error.to_string();
    // Input errors start with `file:line:column: `; the file is always `admission` here.
    text.strip_prefix("admission:")
        .map_or(text.clone(), str::to_owned)
}
