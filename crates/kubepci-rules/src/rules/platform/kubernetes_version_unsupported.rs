use std::collections::BTreeMap;

use crate::Day;
use crate::rules::prelude::*;

/// Upstream end-of-life dates by minor version (kubernetes.io/releases). Versions older
/// than the first entry are long unsupported; newer ones than the last are unknown.
const END_OF_LIFE: &[(u32, (i64, u32, u32))] = &[
    (24, (2023, 7, 28)),
    (25, (2023, 10, 28)),
    (26, (2024, 2, 28)),
    (27, (2024, 6, 28)),
    (28, (2024, 10, 28)),
    (29, (2025, 2, 28)),
    (30, (2025, 7, 15)),
    (31, (2025, 10, 28)),
    (32, (2026, 2, 28)),
    (33, (2026, 6, 28)),
    (34, (2026, 10, 27)),
    (35, (2027, 2, 28)),
    (36, (2027, 6, 28)),
];

declare_rule! {
    /// ## What it does
    /// Flags Node objects whose kubelet (`status.nodeInfo.kubeletVersion`) is a Kubernetes
    /// minor version past its end of support on the scan date, once per version (on the
    /// first node running it). Dates are the upstream ones; a managed provider's extended
    /// support is configured in `platform.kubernetesEndOfSupport` (e.g. `"1.29": 2026-03-23`).
    /// Without a scan date nothing is flagged.
    ///
    /// ## Why is this bad?
    /// An unsupported Kubernetes version receives no security patches: every vulnerability
    /// found after its end of life stays open (PCI DSS 6.3.3), and the annual review of
    /// technologies in use (12.3.4) is meant to catch exactly that.
    ///
    /// ## How to fix
    /// Upgrade the control plane and node pools to a supported minor version (upstream
    /// supports the three most recent).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status:
    ///   nodeInfo: {kubeletVersion: v1.29.8}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status:
    ///   nodeInfo: {kubeletVersion: v1.34.2}
    /// ```
    pub(crate) struct KubernetesVersionUnsupported {
        id: "KP7015",
        name: "kubernetes-version-unsupported",
        summary: "Nodes run a Kubernetes version out of support",
        severity: High,
        target: Target::Inventory(&["Node"]),
        admission: ScanOnly,
        pci: ["6.3.3", "12.3.4"],
        tags: [],
    }
}

/// `1.29` from `v1.29.8-eks-a737599`.
fn minor_of(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.trim_start_matches('v').split(['.', '-', '+']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

impl Rule for KubernetesVersionUnsupported {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        let Some(today) = cx.settings.scan_day() else {
            return;
        };
        let pointer = JsonPointer::root()
            .key("status")
            .key("nodeInfo")
            .key("kubeletVersion");
        // Minor version → (first node running it, its version text, node count).
        let mut versions: BTreeMap<u32, (&Object, &str, usize)> = BTreeMap::new();
        for node in cx.inventory.of_kind("Node") {
            let Some(version) = node.root.pointer(&pointer).and_then(Node::as_str) else {
                continue;
            };
            let Some((1, minor)) = minor_of(version) else {
                continue;
            };
            versions.entry(minor).or_insert((node, version, 0)).2 += 1;
        }
        let oldest = END_OF_LIFE.first().map_or(0, |(m, _)| *m);
        for (minor, (node, version, nodes)) in versions {
            let key = format!("1.{minor}");
            let configured = cx
                .settings
                .platform
                .kubernetes_end_of_support
                .get(&key)
                .copied();
            let end = configured.or_else(|| {
                END_OF_LIFE
                    .iter()
                    .find(|(m, _)| *m == minor.max(oldest))
                    .and_then(|(_, (y, mo, d))| Day::from_ymd(*y, *mo, *d))
            });
            let Some(end) = end.filter(|end| today > *end) else {
                continue;
            };
            let since = if minor < oldest && configured.is_none() {
                format!("before {end}")
            } else {
                end.to_string()
            };
            cx.report_on(
                node,
                pointer.clone(),
                format!(
                    "{nodes} node{} run{} Kubernetes {key} ({version}), out of support since {since}",
                    if nodes == 1 { "" } else { "s" },
                    if nodes == 1 { "s" } else { "" }
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::minor_of;

    #[test]
    fn parses_kubelet_versions() {
        assert_eq!(minor_of("v1.29.8-eks-a737599"), Some((1, 29)));
        assert_eq!(minor_of("v1.31.1+k3s1"), Some((1, 31)));
        assert_eq!(minor_of("1.30.0-gke.1"), Some((1, 30)));
        assert_eq!(minor_of("garbage"), None);
    }
}
