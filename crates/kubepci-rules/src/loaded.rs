//! Rules loaded at run time (Gatekeeper constraints, ValidatingAdmissionPolicy bindings) run
//! in the same engine as the compiled catalogue: [`RuleRef`] holds either kind of rule, and
//! [`intern`] gives a loaded rule's metadata the `'static` life every finding and report
//! refers to.
//!
//! Interning is by content: metadata equal to some already interned is shared, so loading
//! the same policies again (a webhook reloading its configuration) allocates nothing; only a
//! changed policy adds its new metadata (a few hundred bytes).

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use kubepci_model::Severity;

use crate::{Admission, Rule, RuleMeta, Target};

/// A rule to run: one of the compiled catalogue, or one loaded at run time.
#[derive(Clone)]
pub enum RuleRef {
    /// A rule of [`crate::RULES`].
    Compiled(&'static dyn Rule),
    /// A rule loaded at run time.
    Loaded(Arc<dyn Rule>),
}

impl Deref for RuleRef {
    type Target = dyn Rule;

    fn deref(&self) -> &Self::Target {
        match self {
            RuleRef::Compiled(rule) => *rule,
            RuleRef::Loaded(rule) => rule.as_ref(),
        }
    }
}

impl From<&'static dyn Rule> for RuleRef {
    fn from(rule: &'static dyn Rule) -> Self {
        RuleRef::Compiled(rule)
    }
}

impl std::fmt::Debug for RuleRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.meta().id)
    }
}

/// The target kind that stands for every kind (a policy that matches any object, or reads
/// the whole inventory).
pub const ANY_KIND: &str = "*";

/// The metadata of a loaded rule, owned until interned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LoadedMeta {
    /// Rule ID (`gk:<Kind>/<name>`, `vap:<policy>/<binding>`).
    pub id: String,
    /// Name (the constraint's or binding's).
    pub name: String,
    /// Short title.
    pub summary: String,
    /// Severity of its findings.
    pub severity: Severity,
    /// The kinds it reads ([`ANY_KIND`] for all); it runs on the whole inventory.
    pub kinds: Vec<String>,
    /// PCI DSS v4.0.1 requirement IDs, primary first (from the table, hence `'static`).
    pub pci: Vec<&'static str>,
    /// How it runs in the admission webhook.
    pub admission: Admission,
    /// Markdown documentation.
    pub docs: String,
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// The `'static` metadata for `meta`: the same reference for equal metadata.
#[must_use]
pub fn intern(meta: LoadedMeta) -> &'static RuleMeta {
    static INTERNED: OnceLock<Mutex<HashMap<LoadedMeta, &'static RuleMeta>>> = OnceLock::new();
    let mut interned = INTERNED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(existing) = interned.get(&meta) {
        return existing;
    }
    let kinds: Vec<&'static str> = meta.kinds.iter().map(|k| leak(k.clone())).collect();
    let rule_meta: &'static RuleMeta = Box::leak(Box::new(RuleMeta {
        id: leak(meta.id.clone()),
        name: leak(meta.name.clone()),
        summary: leak(meta.summary.clone()),
        severity: meta.severity,
        target: Target::Inventory(Box::leak(kinds.into_boxed_slice())),
        pci: Box::leak(meta.pci.clone().into_boxed_slice()),
        tags: &[],
        admission: meta.admission,
        docs: leak(meta.docs.clone()),
    }));
    interned.insert(meta, rule_meta);
    rule_meta
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(id: &str) -> LoadedMeta {
        LoadedMeta {
            id: id.to_owned(),
            name: "n".to_owned(),
            summary: "s".to_owned(),
            severity: Severity::High,
            kinds: vec!["Pod".to_owned()],
            pci: vec!["2.2.6"],
            admission: Admission::Object,
            docs: "d".to_owned(),
        }
    }

    #[test]
    fn equal_metadata_is_interned_once() {
        let a = intern(meta("gk:K/a"));
        let again = intern(meta("gk:K/a"));
        let b = intern(meta("gk:K/b"));
        assert!(std::ptr::eq(a, again), "reloading allocates nothing new");
        assert!(!std::ptr::eq(a, b));
        assert_eq!(a.id, "gk:K/a");
        assert_eq!(a.target.kinds(), ["Pod"]);
        assert_eq!(a.pci, ["2.2.6"]);
    }
}
