//! The Kubernetes Dashboard: recognising its container and reading its flags.

use kubepci_k8s::Container;
use kubepci_model::{JsonPointer, Node};

use crate::support::image::ImageRef;

/// Whether a container runs the Kubernetes Dashboard (`kubernetesui/dashboard…` or the
/// older `kubernetes-dashboard-<arch>` images).
pub(super) fn is_dashboard(container: &Container<'_>) -> bool {
    let Some(image) = container.image().and_then(ImageRef::parse) else {
        return false;
    };
    let full = image.full_name();
    full.contains("kubernetesui/dashboard") || image.basename().starts_with("kubernetes-dashboard")
}

/// A flag of the container's `command` or `args` (`--name` or `--name=value`), with its
/// value (`None` for a bare flag) and where it is written.
pub(super) fn flag<'a>(
    container: &Container<'a>,
    name: &str,
) -> Option<(Option<&'a str>, JsonPointer)> {
    let wanted = format!("--{name}");
    for field in ["args", "command"] {
        let items = container.get(&[field]).map(Node::items).unwrap_or_default();
        for (i, item) in items.iter().enumerate() {
            let Some(text) = item.as_str() else {
                continue;
            };
            let pointer = container.pointer_to(&[field]).index(i);
            if text == wanted {
                return Some((None, pointer));
            }
            if let Some(value) = text.strip_prefix(&wanted).and_then(|r| r.strip_prefix('=')) {
                return Some((Some(value), pointer));
            }
        }
    }
    None
}

/// Whether a boolean flag is on (`--flag`, `--flag=true`, Go's `1`, `t`, `T`, `TRUE`, `True`).
pub(super) fn is_on(value: Option<&str>) -> bool {
    value.is_none_or(|v| matches!(v, "true" | "1" | "t" | "T" | "TRUE" | "True"))
}
