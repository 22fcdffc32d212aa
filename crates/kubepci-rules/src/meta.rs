//! What every rule declares about itself, and the rule trait.

use kubepci_k8s::{Object, PodTemplate};
use kubepci_model::Severity;
use serde::Serialize;

use crate::{Context, RuleDocs};

/// What a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "type", content = "kinds")]
pub enum Target {
    /// The pod template of every pod-template kind (Pod, Deployment, … CronJob):
    /// [`Rule::check_pod`] runs once per template.
    PodTemplates,
    /// Objects of these kinds: [`Rule::check_object`] runs once per object.
    Kinds(&'static [&'static str]),
    /// The whole input at once (cross-resource rules): [`Rule::check_inventory`] runs once;
    /// the kinds are those the rule reads.
    Inventory(&'static [&'static str]),
}

impl Target {
    /// The kinds whose objects the rule needs loaded.
    #[must_use]
    pub fn kinds(&self) -> &'static [&'static str] {
        match self {
            Target::PodTemplates => kubepci_k8s::POD_TEMPLATE_KINDS,
            Target::Kinds(kinds) | Target::Inventory(kinds) => kinds,
        }
    }
}

/// How a rule runs in the admission webhook, where the input is one object (the request's)
/// and the cluster around it is known from the webhook's context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Admission {
    /// On the admitted object alone (with its namespace, for the scope).
    Object,
    /// On the admitted object, seeing the context's objects of the rule's kinds that live in
    /// the object's namespace or are cluster-scoped (all of them for a cluster-scoped object).
    Namespace,
    /// On the admitted object, seeing every object of the rule's kinds in the context.
    Cluster,
    /// Not at admission: the rule judges the cluster as a whole (a component present, every
    /// namespace isolated, evidence that only exists once workloads run), so a single
    /// request can neither pass nor fail it; `kubepci scan` reports it.
    ScanOnly,
}

impl Admission {
    /// The mode a rule has unless it declares one: rules on one pod template or one object
    /// run on the object; rules on the whole input are scan-only.
    #[must_use]
    pub const fn implied_by(target: &Target) -> Self {
        match target {
            Target::PodTemplates | Target::Kinds(_) => Admission::Object,
            Target::Inventory(_) => Admission::ScanOnly,
        }
    }

    /// The kebab-case name used in docs and JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Admission::Object => "object",
            Admission::Namespace => "namespace",
            Admission::Cluster => "cluster",
            Admission::ScanOnly => "scan-only",
        }
    }

    /// Whether the webhook evaluates the rule.
    #[must_use]
    pub const fn at_admission(self) -> bool {
        !matches!(self, Admission::ScanOnly)
    }
}

/// Labels that group rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tag {
    /// A control of the Kubernetes Pod Security Standards, baseline level.
    PssBaseline,
    /// A control of the Kubernetes Pod Security Standards, restricted level.
    PssRestricted,
}

impl Tag {
    /// The kebab-case name used on the command line and in docs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Tag::PssBaseline => "pss-baseline",
            Tag::PssRestricted => "pss-restricted",
        }
    }
}

/// A rule's metadata, declared with `declare_rule!`.
#[derive(Debug, Serialize)]
pub struct RuleMeta {
    /// Stable ID: `KP` and four digits. Never a PCI number; never reused.
    pub id: &'static str,
    /// kebab-case name, e.g. `privileged-container`.
    pub name: &'static str,
    /// Short title.
    pub summary: &'static str,
    /// Severity of its findings.
    pub severity: Severity,
    /// What it looks at.
    pub target: Target,
    /// How it runs at admission.
    pub admission: Admission,
    /// PCI DSS v4.0.1 requirement IDs, primary first.
    pub pci: &'static [&'static str],
    /// Groups it belongs to.
    pub tags: &'static [Tag],
    /// Markdown documentation (from the rule's doc comment).
    #[serde(skip)]
    pub docs: &'static str,
}

impl RuleMeta {
    /// The documentation split into its sections.
    #[must_use]
    pub fn parsed_docs(&self) -> RuleDocs {
        RuleDocs::parse(self.docs)
    }

    /// Whether the rule carries a tag.
    #[must_use]
    pub fn has_tag(&self, tag: Tag) -> bool {
        self.tags.contains(&tag)
    }
}

/// A rule. Implementations override the check that matches their [`Target`].
pub trait Rule: Sync + Send {
    /// The rule's metadata.
    fn meta(&self) -> &'static RuleMeta;

    /// Checks one pod template ([`Target::PodTemplates`]).
    fn check_pod(&self, _pod: &PodTemplate<'_>, _cx: &mut Context<'_>) {}

    /// Checks one object ([`Target::Kinds`]).
    fn check_object(&self, _object: &Object, _cx: &mut Context<'_>) {}

    /// Checks the whole input ([`Target::Inventory`]).
    fn check_inventory(&self, _cx: &mut Context<'_>) {}

    // segmentation
    /// Whether the rule reads [`Context::network`]: the engine then builds the network once
    /// per scan and shares it.
    fn uses_network(&self) -> bool {
        false
    }
}
