//! What a policy is asked about: an object under an operation, as an admission request
//! carries it.

use std::collections::BTreeMap;

use kubepci_k8s::Object;
use kubepci_model::Node;

use crate::value::to_rego;

/// The operation of an admission request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `CREATE`.
    Create,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
    /// `CONNECT`.
    Connect,
}

impl Operation {
    /// The name Kubernetes uses.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        }
    }

    /// Parses Kubernetes' name for an operation.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "CREATE" => Operation::Create,
            "UPDATE" => Operation::Update,
            "DELETE" => Operation::Delete,
            "CONNECT" => Operation::Connect,
            _ => return None,
        })
    }
}

/// Group, version and kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct GroupVersionKind {
    /// API group, `""` for the core group.
    pub group: String,
    /// Version, e.g. `v1`.
    pub version: String,
    /// Kind, e.g. `Pod`.
    pub kind: String,
}

impl GroupVersionKind {
    /// Splits an `apiVersion` and a kind.
    #[must_use]
    pub fn new(api_version: &str, kind: &str) -> Self {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        Self {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
        }
    }

    /// `group/version`, or `version` for the core group.
    #[must_use]
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// One object under review, as an AdmissionRequest carries it.
///
/// A scan reviews each object without an operation, as Gatekeeper's audit does (its
/// `input.review.operation` is empty); ValidatingAdmissionPolicies, which only exist at
/// admission, see a scanned object as a `CREATE`.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The object's group, version and kind.
    pub kind: GroupVersionKind,
    /// `metadata.name` (empty for `generateName` objects).
    pub name: String,
    /// The namespace, `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    /// The operation; `None` in a scan.
    pub operation: Option<Operation>,
    /// The object (absent on `DELETE`).
    pub object: Option<&'a Node>,
    /// The previous object (`UPDATE`, `DELETE`).
    pub old_object: Option<&'a Node>,
    /// `request.userInfo`, when the request came from an apiserver.
    pub user_info: Option<&'a Node>,
    /// `request.uid`.
    pub uid: String,
    /// `request.dryRun`.
    pub dry_run: bool,
}

impl<'a> Request<'a> {
    /// A scanned object, reviewed without an operation.
    #[must_use]
    pub fn of_object(object: &'a Object) -> Self {
        Self {
            kind: GroupVersionKind::new(object.api_version(), object.kind()),
            name: object
                .metadata()
                .and_then(|m| m.get("name"))
                .and_then(Node::as_str)
                .unwrap_or_default()
                .to_owned(),
            namespace: object.namespace().map(str::to_owned),
            operation: None,
            object: Some(&object.root),
            old_object: None,
            user_info: None,
            uid: String::new(),
            dry_run: false,
        }
    }

    /// The `request` of an AdmissionReview. Fields the request leaves out are taken from its
    /// object (`kind`, `name`, `namespace`), as the apiserver would have filled them.
    ///
    /// # Errors
    /// A request with neither `object` nor `oldObject`, or whose operation is unknown.
    pub fn of_admission_request(request: &'a Node) -> Result<Self, String> {
        let text = |node: Option<&Node>| node.and_then(Node::as_str).unwrap_or_default().to_owned();
        let present = |key: &str| request.get(key).filter(|n| !n.is_null());
        let object = present("object");
        let old_object = present("oldObject");
        let Some(subject) = object.or(old_object) else {
            return Err("the AdmissionRequest has neither `object` nor `oldObject`".to_owned());
        };
        let operation = match request.get("operation").and_then(Node::as_str) {
            None | Some("") => None,
            Some(name) => {
                Some(Operation::parse(name).ok_or_else(|| format!("unknown operation `{name}`"))?)
            }
        };
        let kind = match request.get("kind") {
            Some(k) if k.is_map() => GroupVersionKind {
                group: text(k.get("group")),
                version: text(k.get("version")),
                kind: text(k.get("kind")),
            },
            _ => {
                GroupVersionKind::new(&text(subject.get("apiVersion")), &text(subject.get("kind")))
            }
        };
        let metadata = subject.get("metadata");
        let name = match request.get("name").and_then(Node::as_str) {
            Some(n) if !n.is_empty() => n.to_owned(),
            _ => text(metadata.and_then(|m| m.get("name"))),
        };
        let namespace = match request.get("namespace").and_then(Node::as_str) {
            Some(n) if !n.is_empty() => Some(n.to_owned()),
            _ => metadata
                .and_then(|m| m.get("namespace"))
                .and_then(Node::as_str)
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
        };
        Ok(Self {
            kind,
            name,
            namespace,
            operation,
            object,
            old_object,
            user_info: request.get("userInfo"),
            uid: text(request.get("uid")),
            dry_run: request
                .get("dryRun")
                .and_then(Node::as_bool)
                .unwrap_or(false),
        })
    }

    /// The object, or on `DELETE` the old object (Gatekeeper's `variables.anyObject`).
    #[must_use]
    pub fn any_object(&self) -> Option<&'a Node> {
        self.object.or(self.old_object)
    }

    /// The labels of the object (or the old object).
    #[must_use]
    pub fn labels(&self) -> BTreeMap<&'a str, &'a str> {
        self.any_object()
            .and_then(|o| o.get("metadata"))
            .and_then(|m| m.get("labels"))
            .map(|l| {
                l.entries()
                    .iter()
                    .filter_map(|e| e.value.as_str().map(|v| (&*e.key, v)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether the object is a core Namespace.
    #[must_use]
    pub fn is_namespace(&self) -> bool {
        self.kind.kind == "Namespace" && self.kind.group.is_empty()
    }

    /// The namespace the request is about: the object's, or a Namespace's own name.
    #[must_use]
    pub fn namespace_name(&self) -> Option<&str> {
        if self.is_namespace() {
            Some(&self.name)
        } else {
            self.namespace.as_deref()
        }
    }

    /// The review as Gatekeeper's Rego sees it (`input.review`): the AdmissionRequest's JSON
    /// form, with `object` given as already converted (`object_value`) when the caller has it.
    #[must_use]
    pub fn to_rego_review(&self, object_value: Option<regorus::Value>) -> regorus::Value {
        let mut review = BTreeMap::new();
        let mut put = |key: &str, value: regorus::Value| {
            review.insert(regorus::Value::from(key), value);
        };
        put("uid", regorus::Value::from(self.uid.as_str()));
        put("kind", gvk_value(&self.kind));
        put(
            "resource",
            regorus::Value::from(BTreeMap::from([
                (
                    regorus::Value::from("group"),
                    regorus::Value::from(self.kind.group.as_str()),
                ),
                (
                    regorus::Value::from("version"),
                    regorus::Value::from(self.kind.version.as_str()),
                ),
                (
                    regorus::Value::from("resource"),
                    regorus::Value::from(crate::resources::resource_of(&self.kind.kind).as_str()),
                ),
            ])),
        );
        if !self.name.is_empty() {
            put("name", regorus::Value::from(self.name.as_str()));
        }
        if let Some(ns) = &self.namespace {
            put("namespace", regorus::Value::from(ns.as_str()));
        }
        put(
            "operation",
            regorus::Value::from(self.operation.map_or("", Operation::as_str)),
        );
        put(
            "userInfo",
            self.user_info
                .map_or_else(regorus::Value::new_object, to_rego),
        );
        if let Some(value) = object_value.or_else(|| self.object.map(to_rego)) {
            put("object", value);
        }
        if let Some(old) = self.old_object {
            put("oldObject", to_rego(old));
        }
        if self.dry_run {
            put("dryRun", regorus::Value::from(true));
        }
        regorus::Value::from(review)
    }
}

fn gvk_value(gvk: &GroupVersionKind) -> regorus::Value {
    regorus::Value::from(BTreeMap::from([
        (
            regorus::Value::from("group"),
            regorus::Value::from(gvk.group.as_str()),
        ),
        (
            regorus::Value::from("version"),
            regorus::Value::from(gvk.version.as_str()),
        ),
        (
            regorus::Value::from("kind"),
            regorus::Value::from(gvk.kind.as_str()),
        ),
    ]))
}
