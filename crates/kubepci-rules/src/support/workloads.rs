//! The workloads of the input as their owners see them: pod-template objects that no other
//! pod-template object of the input controls (a snapshot holds a Deployment, its ReplicaSets
//! and their Pods; findings go on the Deployment).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kubepci_k8s::{Inventory, Object, POD_TEMPLATE_KINDS};
use kubepci_model::Node;

/// Pod-template objects by `(kind, namespace, name)`, and which of them are top-level.
#[derive(Debug, Default)]
pub(crate) struct Workloads {
    /// Indexes (into `inventory.objects()`) of top-level workloads, in input order.
    pub(crate) top: Vec<usize>,
    by_key: HashMap<(String, String, String), usize>,
}

/// The controller of an object (`ownerReferences` entry with `controller: true`), as
/// `(kind, name)`.
pub(crate) fn controller_of(object: &Object) -> Option<(&str, &str)> {
    object
        .metadata()?
        .get("ownerReferences")?
        .items()
        .iter()
        .find(|r| r.get("controller").and_then(Node::as_bool) == Some(true))
        .and_then(|r| Some((r.get("kind")?.as_str()?, r.get("name")?.as_str()?)))
}

impl Workloads {
    /// The index of `inventory`, built on first use.
    pub(crate) fn of(inventory: &Inventory) -> Arc<Workloads> {
        inventory.derived(Workloads::build)
    }

    fn build(inventory: &Inventory) -> Workloads {
        let mut index = Workloads::default();
        let mut all = Vec::new();
        for (i, object) in inventory.objects().iter().enumerate() {
            if !POD_TEMPLATE_KINDS.contains(&object.kind()) {
                continue;
            }
            let ns = object.namespace().unwrap_or_default().to_owned();
            index
                .by_key
                .entry((object.kind().to_owned(), ns, object.name().to_owned()))
                .or_insert(i);
            all.push(i);
        }
        let present: HashSet<(String, String, String)> = index.by_key.keys().cloned().collect();
        index.top = all
            .into_iter()
            .filter(|&i| {
                let object = &inventory.objects()[i];
                !controller_of(object).is_some_and(|(kind, name)| {
                    present.contains(&(
                        kind.to_owned(),
                        object.namespace().unwrap_or_default().to_owned(),
                        name.to_owned(),
                    ))
                })
            })
            .collect();
        index
    }

    /// The pod-template object `kind` `namespace/name`, if the input has it.
    pub(crate) fn get<'a>(
        &self,
        inventory: &'a Inventory,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Option<&'a Object> {
        self.by_key
            .get(&(kind.to_owned(), namespace.to_owned(), name.to_owned()))
            .map(|&i| &*inventory.objects()[i])
    }

    /// The top-level workload that owns `kind` `namespace/name` (following controllers
    /// through the input, and the naming conventions of ReplicaSets and Jobs when the
    /// intermediate object is absent): `(kind, name)`.
    pub(crate) fn owner_of(
        &self,
        inventory: &Inventory,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> (String, String) {
        let (mut kind, mut name) = (kind.to_owned(), name.to_owned());
        for _ in 0..4 {
            if let Some(object) = self.get(inventory, &kind, namespace, &name) {
                match controller_of(object) {
                    Some((k, n)) if self.get(inventory, k, namespace, n).is_some() => {
                        (kind, name) = (k.to_owned(), n.to_owned());
                        continue;
                    }
                    _ => return (kind, name),
                }
            }
            // The object itself is absent: a ReplicaSet `<deployment>-<hash>` or a Job
            // `<cronjob>-<schedule time>` whose owner is present.
            let parent = match kind.as_str() {
                "ReplicaSet" => "Deployment",
                "Job" => "CronJob",
                _ => return (kind, name),
            };
            match name.rsplit_once('-') {
                Some((prefix, suffix))
                    if !suffix.is_empty()
                        && suffix.bytes().all(|b| b.is_ascii_alphanumeric())
                        && self.get(inventory, parent, namespace, prefix).is_some() =>
                {
                    (kind, name) = (parent.to_owned(), prefix.to_owned());
                }
                _ => return (kind, name),
            }
        }
        (kind, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_k8s::{KindFilter, load};
    use std::collections::BTreeMap;

    #[test]
    fn generated_objects_are_not_top_level_and_resolve_to_owners() {
        let objects = load(
            "t.yaml",
            b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: a}\nspec: {template: {spec: {containers: []}}}\n---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: api-5d9c8b7f6d, namespace: a, ownerReferences: [{kind: Deployment, name: api, controller: true}]}\nspec: {template: {spec: {containers: []}}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: api-5d9c8b7f6d-x1, namespace: a, ownerReferences: [{kind: ReplicaSet, name: api-5d9c8b7f6d, controller: true}]}\nspec: {containers: []}\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly, namespace: a}\nspec: {jobTemplate: {spec: {template: {spec: {containers: []}}}}}\n",
            &KindFilter::All,
            None,
        )
        .objects;
        let inv = Inventory::new(objects, &BTreeMap::new());
        let w = Workloads::of(&inv);
        assert_eq!(w.top, [0, 3]);
        assert_eq!(
            w.owner_of(&inv, "Pod", "a", "api-5d9c8b7f6d-x1"),
            ("Deployment".to_owned(), "api".to_owned())
        );
        assert_eq!(
            w.owner_of(&inv, "ReplicaSet", "a", "api-6f7c9d8b5"),
            ("Deployment".to_owned(), "api".to_owned())
        );
        assert_eq!(
            w.owner_of(&inv, "Job", "a", "nightly-29011520"),
            ("CronJob".to_owned(), "nightly".to_owned())
        );
        assert_eq!(
            w.owner_of(&inv, "ReplicaSet", "a", "web-6f7c9d8b5"),
            ("ReplicaSet".to_owned(), "web-6f7c9d8b5".to_owned())
        );
    }
}
