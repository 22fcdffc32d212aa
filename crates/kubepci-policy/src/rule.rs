//! Loaded policies as rules of the engine: each [`Policy`] runs over a scan's inventory like
//! a cross-resource rule, and reports through the same [`Context`] as the compiled
//! catalogue, so scan, admission and report see its findings the same way.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use kubepci_k8s::Inventory;
use kubepci_model::Node;
use kubepci_rules::loaded::{ANY_KIND, LoadedMeta, intern};
use kubepci_rules::{Admission, Context, Rule, RuleMeta, RuleRef};

use crate::cluster::{Cluster, InventoryEntry, RegoInventory};
use crate::policy::{Engine, Policy, PolicySet};
use crate::request::{GroupVersionKind, Request};
use crate::value::{to_cel, to_rego};

/// A policy as a rule.
pub struct PolicyRule {
    policy: Arc<Policy>,
    meta: &'static RuleMeta,
}

impl PolicyRule {
    /// The rule of `policy`.
    #[must_use]
    pub fn new(policy: Arc<Policy>) -> Self {
        let meta = intern(meta_of(&policy));
        Self { policy, meta }
    }

    /// The policy.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.policy
    }
}

impl PolicySet {
    /// Every policy as a rule of the engine.
    #[must_use]
    pub fn rules(&self) -> Vec<RuleRef> {
        self.policies
            .iter()
            .map(|p| RuleRef::Loaded(Arc::new(PolicyRule::new(Arc::clone(p)))))
            .collect()
    }
}

/// The kinds a policy needs loaded ([`ANY_KIND`] for all), and its documentation.
fn meta_of(policy: &Policy) -> LoadedMeta {
    let kinds = match policy.kinds() {
        Some(mut kinds) if !policy.reads_inventory() => {
            kinds.extend(policy.reads_kinds());
            kinds.sort();
            kinds.dedup();
            kinds
        }
        _ => vec![ANY_KIND.to_owned()],
    };
    let (source, name) = match &policy.body {
        crate::PolicyBody::Constraint(c) => (
            format!(
                "Gatekeeper constraint `{}` of ConstraintTemplate `{}` ({} engine)",
                c.name,
                c.template.name,
                policy.engine.as_str()
            ),
            c.name.clone(),
        ),
        crate::PolicyBody::Binding(b) => (
            format!(
                "ValidatingAdmissionPolicyBinding `{}` of ValidatingAdmissionPolicy `{}`",
                b.name, b.policy.name
            ),
            b.name.clone(),
        ),
    };
    let pci = if policy.pci.is_empty() {
        "Not mapped to a PCI DSS requirement: annotate the constraint or template with `kubepci.io/pci`.".to_owned()
    } else {
        format!("PCI DSS v4.0.1: {}.", policy.pci.join(", "))
    };
    let docs = format!(
        "{}\n\n## Source\n\n{source}, {}.\n\n## PCI DSS\n\n{pci}\n",
        policy.description.as_deref().unwrap_or(&policy.title),
        policy.location,
    );
    LoadedMeta {
        id: policy.id.clone(),
        name,
        summary: policy.title.clone(),
        severity: policy.severity,
        kinds,
        pci: policy.pci.clone(),
        // At admission the webhook's inventory holds the object and every Namespace, which
        // is what matching (namespaceSelector) and CEL's namespaceObject read. Referential
        // templates read the whole inventory (data.inventory): they run in scans only.
        admission: if policy.reads_inventory() {
            Admission::ScanOnly
        } else {
            Admission::Object
        },
        docs,
    }
}

impl Rule for PolicyRule {
    fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let inventory = cx.inventory;
        let view = inventory.derived(ScanView::build);
        let cluster = ScanCluster {
            inventory,
            view: &view,
        };
        let kinds = self.policy.kinds();
        for (index, object) in inventory.objects().iter().enumerate() {
            if kinds
                .as_ref()
                .is_some_and(|k| !k.iter().any(|k| k == object.kind()))
            {
                continue;
            }
            let request = Request::of_object(object);
            if !self.policy.applies_to(&request, &cluster) {
                continue;
            }
            let (rego, cel) = match self.policy.engine {
                Engine::Rego => (Some(view.rego(index, &object.root).clone()), None),
                Engine::Cel => (None, Some(view.cel(index, &object.root).clone())),
            };
            for violation in self.policy.evaluate(&request, &cluster, rego, cel) {
                let message = if violation.error {
                    format!("the policy could not be evaluated: {}", violation.message)
                } else {
                    violation.message
                };
                let pointer = violation
                    .field
                    .filter(|p| object.root.pointer(p).is_some())
                    .unwrap_or_default();
                cx.report_on(object, pointer, message);
            }
        }
    }
}

/// What every policy of a scan shares: each object converted at most once per language,
/// the namespaces, and `data.inventory`.
struct ScanView {
    rego: Vec<OnceLock<regorus::Value>>,
    cel: Vec<OnceLock<cel::Value>>,
    namespaces: HashMap<String, usize>,
    by_kind: HashMap<(String, String), Vec<usize>>,
    inventory: OnceLock<RegoInventory>,
}

impl ScanView {
    fn build(inventory: &Inventory) -> Self {
        let objects = inventory.objects();
        let mut namespaces = HashMap::new();
        let mut by_kind: HashMap<(String, String), Vec<usize>> = HashMap::new();
        for (i, o) in objects.iter().enumerate() {
            if o.kind() == "Namespace" && o.group().is_empty() {
                namespaces.insert(o.name().to_owned(), i);
            }
            by_kind
                .entry((o.api_version().to_owned(), o.kind().to_owned()))
                .or_default()
                .push(i);
        }
        Self {
            rego: objects.iter().map(|_| OnceLock::new()).collect(),
            cel: objects.iter().map(|_| OnceLock::new()).collect(),
            namespaces,
            by_kind,
            inventory: OnceLock::new(),
        }
    }

    fn rego(&self, index: usize, root: &Node) -> &regorus::Value {
        self.rego[index].get_or_init(|| to_rego(root))
    }

    fn cel(&self, index: usize, root: &Node) -> &cel::Value {
        self.cel[index].get_or_init(|| to_cel(root))
    }
}

struct ScanCluster<'a> {
    inventory: &'a Inventory,
    view: &'a ScanView,
}

impl Cluster for ScanCluster<'_> {
    fn namespace(&self, name: &str) -> Option<&Node> {
        let index = *self.view.namespaces.get(name)?;
        Some(&self.inventory.objects()[index].root)
    }

    fn rego_inventory(&self) -> &RegoInventory {
        self.view.inventory.get_or_init(|| {
            let objects = self.inventory.objects();
            let kinds: Vec<GroupVersionKind> = objects
                .iter()
                .map(|o| GroupVersionKind::new(o.api_version(), o.kind()))
                .collect();
            RegoInventory::new(
                objects
                    .iter()
                    .zip(&kinds)
                    .enumerate()
                    .map(|(i, (o, kind))| InventoryEntry {
                        kind,
                        namespace: o.namespace(),
                        name: o.name(),
                        value: self.view.rego(i, &o.root).clone(),
                    }),
            )
        })
    }

    fn objects(&self, api_version: &str, kind: &str) -> Vec<&Node> {
        self.view
            .by_kind
            .get(&(api_version.to_owned(), kind.to_owned()))
            .map(|indices| {
                indices
                    .iter()
                    .map(|&i| &self.inventory.objects()[i].root)
                    .collect()
            })
            .unwrap_or_default()
    }
}
