//! What the rule engine produces.

use std::sync::Arc;

use serde::Serialize;

use crate::{JsonPointer, Scope, Severity};

/// Identity of a Kubernetes object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    /// `apiVersion`, e.g. `apps/v1`.
    pub api_version: String,
    /// `kind`, e.g. `Deployment`.
    pub kind: String,
    /// `metadata.namespace`, or the namespace the scan assumed; `None` for cluster-scoped
    /// objects and for namespaced objects that name none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `metadata.name` (or `generateName` followed by `*`).
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// Where in which file something was written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// The file as given on the command line (`-` for stdin).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The waiver that covers a finding.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct WaiverRef {
    /// Waiver id from the register.
    pub id: String,
    /// Its expiry date (`YYYY-MM-DD`).
    pub expires: String,
}

/// One violation of one rule by one object, at one field.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// Stable rule ID (`KPnnnn`).
    pub rule_id: &'static str,
    /// The rule's severity.
    pub severity: Severity,
    /// The object at fault (the owning workload, never a generated Pod).
    pub object: ObjectRef,
    /// The field at fault, relative to the object.
    pub pointer: JsonPointer,
    /// Where that field is written, when the object came from a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// What is wrong, in one sentence. Never contains a secret value or a card number.
    pub message: String,
    /// PCI scope of the object's namespace.
    pub scope: Scope,
    /// The waiver covering the finding, if any: a waived finding is still a finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<WaiverRef>,
}

impl Finding {
    /// Whether a valid waiver covers this finding.
    #[must_use]
    pub fn is_waived(&self) -> bool {
        self.waiver.is_some()
    }

    /// The deterministic output order: file, line, rule, object, pointer.
    #[must_use]
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            self.location
                .as_ref()
                .map(|l| (l.file.clone(), l.line, l.column)),
            self.rule_id,
            &self.object,
            &self.pointer,
            &self.message,
        )
    }
}
