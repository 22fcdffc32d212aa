use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags Nodes labelled with a security level (`kubepci.io/security-level`, configurable)
    /// that do not carry the matching taint (`<taint key>=<level>` with effect `NoSchedule`
    /// or `NoExecute`), or that carry the taint of another level.
    ///
    /// ## Why is this bad?
    /// Pinning keeps CDE pods on their nodes; only the taint keeps everything else off them.
    /// Without it, any pod can be scheduled onto a CDE node and the levels share a machine
    /// (PCI DSS 2.2.3).
    ///
    /// ## How to fix
    /// `kubectl taint node <node> kubepci.io/security-level=<level>:NoSchedule`, or set the
    /// taint in the node pool's configuration.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata:
    ///   name: node-cde-1
    ///   labels: {kubepci.io/security-level: cde-high}
    /// spec: {}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata:
    ///   name: node-cde-1
    ///   labels: {kubepci.io/security-level: cde-high}
    /// spec:
    ///   taints:
    ///     - {key: kubepci.io/security-level, value: cde-high, effect: NoSchedule}
    /// ```
    pub(crate) struct NodeLevelNotTainted {
        id: "KP2105",
        name: "node-security-level-not-tainted",
        summary: "Node of a security level lacks that level's taint",
        severity: High,
        target: Target::Kinds(&["Node"]),
        pci: ["2.2.3"],
        tags: [],
    }
}

impl Rule for NodeLevelNotTainted {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        let label = cx.settings.segmentation.security_level_label.clone();
        let key = cx.settings.segmentation.security_level_taint.clone();
        let Some(level) = object.label(&label).filter(|l| !l.is_empty()) else {
            return;
        };
        let taints_ptr = JsonPointer::root().key("spec").key("taints");
        let taints = object
            .root
            .pointer(&taints_ptr)
            .map(Node::items)
            .unwrap_or_default();
        let mut tainted = false;
        for (i, taint) in taints.iter().enumerate() {
            if taint.get("key").and_then(Node::as_str) != Some(key.as_str())
                || !matches!(
                    taint.get("effect").and_then(Node::as_str),
                    Some("NoSchedule" | "NoExecute")
                )
            {
                continue;
            }
            match taint.get("value").and_then(Node::as_str) {
                Some(v) if v == level => tainted = true,
                other => cx.report(
                    taints_ptr.index(i),
                    format!(
                        "node of security level `{level}` carries the taint of level `{}`",
                        other.unwrap_or_default()
                    ),
                ),
            }
        }
        if !tainted {
            cx.report(
                taints_ptr,
                format!(
                    "node of security level `{level}` has no `{key}={level}:NoSchedule` taint: pods of any level can be scheduled onto it"
                ),
            );
        }
    }
}
