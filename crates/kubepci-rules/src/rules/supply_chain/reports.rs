//! Trivy Operator `VulnerabilityReport`s (`aquasecurity.github.io/v1alpha1`), matched to the
//! workload containers they describe.
//!
//! A report names what it scanned in labels: `trivy-operator.resource.kind` / `.name` /
//! `.namespace` (the pod's immediate controller: a ReplicaSet for a Deployment) and
//! `trivy-operator.container.name`; `report.registry.server`, `report.artifact.repository`,
//! `.tag` and `.digest` name the image. Reports are attributed to the top-level workload that
//! owns the scanned object, and count for a container only when they describe the image the
//! container runs now.

use std::collections::HashMap;
use std::sync::Arc;

use kubepci_k8s::{Container, ContainerKind, Inventory, Object};
use kubepci_model::Node;

use crate::support::image::ImageRef;
use crate::support::workloads::Workloads;
use crate::{Day, Settings};

/// The kind rules read.
pub(super) const REPORT_KIND: &str = "VulnerabilityReport";
const REPORT_GROUP: &str = "aquasecurity.github.io";

/// One report.
#[derive(Debug)]
pub(super) struct Report {
    /// Index of its object in the inventory.
    pub(super) object: usize,
    /// `registry/repository` of the scanned image, normalised like container images.
    pub(super) image: Option<String>,
    pub(super) tag: Option<String>,
    pub(super) digest: Option<String>,
    /// When the report was last updated (`report.updateTimestamp`, else the object's
    /// `creationTimestamp`).
    pub(super) updated: Option<Day>,
}

impl Report {
    /// Whether the report describes the image `image` (digests compared when both sides
    /// have one, tags otherwise).
    pub(super) fn describes(&self, image: &ImageRef<'_>) -> bool {
        if self.image.as_deref() != Some(image.full_name().as_str()) {
            return false;
        }
        match (image.digest, self.digest.as_deref()) {
            (Some(a), Some(b)) => a == b,
            _ => image.tag.unwrap_or("latest") == self.tag.as_deref().unwrap_or("latest"),
        }
    }

    /// `repository:tag` as the report names it.
    pub(super) fn image_text(&self) -> String {
        let image = self.image.as_deref().unwrap_or("<unknown image>");
        match (&self.tag, &self.digest) {
            (Some(tag), _) => format!("{image}:{tag}"),
            (None, Some(digest)) => format!("{image}@{digest}"),
            _ => image.to_owned(),
        }
    }
}

/// Every report of the input, by the workload container it describes.
#[derive(Debug, Default)]
pub(super) struct Reports {
    pub(super) reports: Vec<Report>,
    /// `(namespace, workload kind, workload name, container)` → report indexes.
    by_container: HashMap<(String, String, String, String), Vec<usize>>,
    /// The newest report timestamp: stands in for the scan date when none is configured.
    pub(super) newest: Option<Day>,
}

/// What the input says about one container's image.
pub(super) enum Coverage<'r> {
    /// Reports describing the running image (newest first).
    Current(Vec<&'r Report>),
    /// Reports for the container, but of other images (scanned before the last change).
    Outdated(&'r Report),
    /// No report names the container.
    Missing,
}

fn label<'a>(object: &'a Object, key: &str) -> Option<&'a str> {
    object.label(key).or_else(|| object.annotation(key))
}

impl Reports {
    /// The index of `inventory`, built on first use.
    pub(super) fn of(inventory: &Inventory) -> Arc<Reports> {
        inventory.derived(Reports::build)
    }

    fn build(inventory: &Inventory) -> Reports {
        let workloads = Workloads::of(inventory);
        let mut index = Reports::default();
        for (i, object) in inventory.objects().iter().enumerate() {
            if object.kind() != REPORT_KIND || object.group() != REPORT_GROUP {
                continue;
            }
            let report = object.root.get("report");
            let text = |path: &[&str]| {
                report
                    .and_then(|r| r.path(path))
                    .and_then(Node::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
            };
            let image = text(&["artifact", "repository"]).and_then(|repo| {
                let reference = match text(&["registry", "server"]) {
                    Some(server) => format!("{server}/{repo}"),
                    None => repo.to_owned(),
                };
                ImageRef::parse(&reference).map(|r| r.full_name())
            });
            let updated = text(&["updateTimestamp"])
                .or_else(|| {
                    object
                        .metadata()
                        .and_then(|m| m.get("creationTimestamp"))
                        .and_then(Node::as_str)
                })
                .and_then(Day::parse);
            index.newest = index.newest.max(updated);
            let n = index.reports.len();
            index.reports.push(Report {
                object: i,
                image,
                tag: text(&["artifact", "tag"]).map(str::to_owned),
                digest: text(&["artifact", "digest"]).map(str::to_owned),
                updated,
            });
            let namespace = label(object, "trivy-operator.resource.namespace")
                .or(object.namespace())
                .unwrap_or_default();
            let (Some(kind), Some(name), Some(container)) = (
                label(object, "trivy-operator.resource.kind"),
                label(object, "trivy-operator.resource.name"),
                label(object, "trivy-operator.container.name"),
            ) else {
                continue;
            };
            let (kind, name) = workloads.owner_of(inventory, kind, namespace, name);
            index
                .by_container
                .entry((namespace.to_owned(), kind, name, container.to_owned()))
                .or_default()
                .push(n);
        }
        index
    }

    /// Whether the input holds any report (a scanner is deployed).
    pub(super) fn any(&self) -> bool {
        !self.reports.is_empty()
    }

    /// What the reports say about a container of a workload.
    pub(super) fn coverage(&self, workload: &Object, container: &Container<'_>) -> Coverage<'_> {
        let key = (
            workload.namespace().unwrap_or_default().to_owned(),
            workload.kind().to_owned(),
            workload.name().to_owned(),
            container.name().to_owned(),
        );
        let Some(found) = self.by_container.get(&key) else {
            return Coverage::Missing;
        };
        let image = container.image().and_then(ImageRef::parse);
        let mut current: Vec<&Report> = found
            .iter()
            .map(|&i| &self.reports[i])
            .filter(|r| image.as_ref().is_some_and(|img| r.describes(img)))
            .collect();
        if current.is_empty() {
            let newest = found
                .iter()
                .map(|&i| &self.reports[i])
                .max_by_key(|r| r.updated);
            return newest.map_or(Coverage::Missing, Coverage::Outdated);
        }
        current.sort_by_key(|r| std::cmp::Reverse(r.updated));
        Coverage::Current(current)
    }

    /// The day ages are measured on: the configured scan date, else the newest report.
    pub(super) fn as_of(&self, settings: &Settings) -> Option<Day> {
        settings.scan_day().or(self.newest)
    }
}

/// The containers of a workload that scanners scan (regular and init containers).
pub(super) fn scanned_containers<'a>(
    pod: &'a kubepci_k8s::PodTemplate<'a>,
) -> impl Iterator<Item = Container<'a>> + 'a {
    pod.containers()
        .filter(|c| c.kind != ContainerKind::Ephemeral)
}
