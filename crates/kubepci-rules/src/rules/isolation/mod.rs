//! Security levels (PCI DSS 2.2.3): nodes carry a level, CDE pods declare theirs and are
//! pinned to nodes of that level, nobody else tolerates the level's taint, and two levels
//! never share a node.

mod level_not_declared;
mod level_not_pinned;
mod level_not_tolerated;
mod levels_share_node;
mod node_level_not_tainted;
mod tolerates_other_level;

pub(crate) use level_not_declared::LevelNotDeclared;
pub(crate) use level_not_pinned::LevelNotPinned;
pub(crate) use level_not_tolerated::LevelNotTolerated;
pub(crate) use levels_share_node::LevelsShareNode;
pub(crate) use node_level_not_tainted::NodeLevelNotTainted;
pub(crate) use tolerates_other_level::ToleratesOtherLevel;

use super::prelude::*;

/// A pod's declared security level.
fn pod_level<'a>(pod: &PodTemplate<'a>, cx: &Context<'_>) -> Option<&'a str> {
    pod.label(&cx.settings.segmentation.security_level_label)
        .filter(|l| !l.is_empty())
}

/// What a toleration tolerates of the security-level taints (effect NoSchedule or
/// NoExecute).
#[derive(Debug, PartialEq, Eq)]
enum Tolerates<'a> {
    /// The taint of this level.
    Level(&'a str),
    /// Every level's taint (`operator: Exists` on the level key).
    EveryLevel,
    /// Every taint at all (empty key with `operator: Exists`).
    Everything,
    /// No level taint.
    Nothing,
}

fn tolerates<'a>(toleration: &'a Node, taint_key: &str) -> Tolerates<'a> {
    let effect = toleration
        .get("effect")
        .and_then(Node::as_str)
        .unwrap_or_default();
    if !matches!(effect, "" | "NoSchedule" | "NoExecute") {
        return Tolerates::Nothing;
    }
    let key = toleration
        .get("key")
        .and_then(Node::as_str)
        .unwrap_or_default();
    let exists = toleration.get("operator").and_then(Node::as_str) == Some("Exists");
    match (key, exists) {
        ("", true) => Tolerates::Everything,
        (k, true) if k == taint_key => Tolerates::EveryLevel,
        (k, false) if k == taint_key => Tolerates::Level(
            toleration
                .get("value")
                .and_then(Node::as_str)
                .unwrap_or_default(),
        ),
        _ => Tolerates::Nothing,
    }
}
