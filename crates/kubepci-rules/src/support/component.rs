//! Recognising platform components (a runtime detector, a log forwarder…) by name.

use kubepci_k8s::{Inventory, Object, PodTemplate};

use super::image::ImageRef;

/// Whether `candidate` names `name`: equal, or `name` followed by `-` (`falco-no-driver` is
/// Falco, `falcosidekick` and `falcon-sensor` are not), ignoring ASCII case.
fn names(candidate: &str, name: &str) -> bool {
    !name.is_empty()
        && (candidate.eq_ignore_ascii_case(name)
            || candidate.len() > name.len()
                && candidate.is_char_boundary(name.len())
                && candidate[..name.len()].eq_ignore_ascii_case(name)
                && candidate.as_bytes()[name.len()] == b'-')
}

/// The first of `wanted` that a workload is: matched against its name, its
/// `app.kubernetes.io/name` and `k8s-app` labels, and the last path segment of each of its
/// container images.
pub(crate) fn component_name<'w, S: AsRef<str>>(
    object: &Object,
    wanted: &'w [S],
) -> Option<&'w str> {
    let mut candidates: Vec<&str> = vec![object.name()];
    candidates.extend(object.label("app.kubernetes.io/name"));
    candidates.extend(object.label("k8s-app"));
    let pod = PodTemplate::of(object);
    let images: Vec<ImageRef<'_>> = pod
        .iter()
        .flat_map(|p| p.containers().filter_map(|c| c.image()).collect::<Vec<_>>())
        .filter_map(ImageRef::parse)
        .collect();
    candidates.extend(images.iter().map(ImageRef::basename));
    wanted
        .iter()
        .map(AsRef::as_ref)
        .find(|w| candidates.iter().any(|c| names(c, w)))
}

/// The objects of `kinds` that are one of `wanted`, with the name they matched.
pub(crate) fn find_components<'a, 'w>(
    inventory: &'a Inventory,
    kinds: &[&str],
    wanted: &'w [String],
) -> Vec<(&'a Object, &'w str)> {
    kinds
        .iter()
        .flat_map(|kind| inventory.of_kind(kind))
        .filter_map(|o| component_name(o, wanted).map(|name| (o, name)))
        .collect()
}

/// `a, b, c` or `a, b, c, … (N names)` for messages.
pub(crate) fn list_names(names: &[String]) -> String {
    if names.len() <= 4 {
        names.join(", ")
    } else {
        format!("{}, … ({} names)", names[..4].join(", "), names.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_whole_words_or_dash_prefixes() {
        assert!(names("falco", "falco"));
        assert!(names("falco-no-driver", "falco"));
        assert!(!names("falcosidekick", "falco"));
        assert!(!names("falcon-sensor", "falco"));
        assert!(names("Fluent-Bit", "fluent-bit"));
        assert!(!names("fluent", "fluent-bit"));
        assert!(!names("x", ""));
    }
}
