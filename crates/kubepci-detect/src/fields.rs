//! The fields of the `k8s_audit` source: the k8saudit plugin's `ka.*` fields, the json plugin's
//! `jevt.*`/`json.*` fields, and kubepci's own `kubepci.*` fields.
//!
//! Each field is a row of [`FIELDS`]: its name, whether it yields a list, its type, what its
//! argument means and how it is read from the event. Values follow the plugin's rules: a string
//! is its text, any other JSON value its compact JSON (`200`, `true`, `{"k":"v"}`); a field the
//! event lacks, or a list field that yields no value, is *not available*, and every comparison
//! on it is false (so `not (f = x)` is true).

use std::fmt::Write as _;

use crate::json::{J, pointer_tokens};

/// The type of a field's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Text (every `ka.*` field).
    Str,
    /// An unsigned integer (`jevt.rawtime`, `kubepci.user.denials`).
    U64,
}

/// What the argument in brackets means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// No argument.
    None,
    /// An optional index into the list the field reads (`ka.sourceips[0]`); a non-numeric
    /// argument is ignored, as the plugin does.
    Index,
    /// A required key (`ka.uri.param[command]`).
    Key,
    /// A required RFC 6901 pointer (`jevt.value[/stage]`).
    Pointer,
    /// A required window in seconds (`kubepci.user.denials[60]`).
    Seconds,
}

/// Which container list of a pod spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Containers {
    Regular,
    Init,
    Ephemeral,
}

impl Containers {
    fn key(self) -> &'static str {
        match self {
            Containers::Regular => "containers",
            Containers::Init => "initContainers",
            Containers::Ephemeral => "ephemeralContainers",
        }
    }
}

/// What a container field reads from each container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContainerAttr {
    Name,
    Image,
    Repository,
    Command,
    Args,
    /// `securityContext.<key>`, containers without it skipped.
    SecurityOptional(&'static str),
    /// `securityContext.<key>`, containers without it make the field unavailable.
    Security(&'static str),
    /// The container's `securityContext.<key>`, else the pod's, else `0`.
    Effective(&'static str),
    AddCapabilities,
    HostPort,
}

/// How a field is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extract {
    /// The value at a path of keys.
    Path(&'static [&'static str]),
    /// Every element of the array at a path.
    PathList(&'static [&'static str]),
    /// One attribute of every container of a list.
    Container(Containers, ContainerAttr),
    /// The image (or repository) of the first container (deprecated fields).
    FirstImage { repository: bool },
    /// `true` when any container is privileged (deprecated).
    AnyPrivileged,
    /// A query parameter of `requestURI`.
    UriParam,
    /// Always `true` (deprecated `ka.req.binding.subject.has_name`).
    AlwaysTrue,
    /// `true` when a hostPath volume equals the argument, or starts with it when it ends in
    /// `*` (deprecated `ka.req.volume.hostpath`).
    HostPathPrefix,
    /// Every `requestObject.spec.volumes[].<path>`.
    Volumes(&'static [&'static str]),
    /// The type of every volume (its keys other than `name`).
    VolumeTypes,
    /// Every `requestObject.rules[].<key>[]`.
    RoleRules(&'static str),
    /// Names of the binding's subjects of one kind; service accounts as `namespace:name`
    /// when `namespaced`.
    Subjects {
        kind: &'static str,
        namespaced: bool,
    },
    /// `objectRef.name` when the target is a pod or one of its subresources.
    TargetPodName,
    /// A JSON pointer into the event.
    Pointer,
    /// The whole event as JSON.
    Object,
    /// The event time in Unix nanoseconds.
    RawTime,
    /// The event time as `HH:MM:SS.nnnnnnnnn` (UTC).
    Time,
    /// The event time as RFC 3339 with nanoseconds.
    TimeIso8601,
    /// The cluster name the engine was given.
    ClusterName,
    /// Masked card numbers found in the strings of `requestObject`.
    CardNumbers(&'static str),
    /// Denied requests by this event's user within the window (stateful).
    Denials,
}

/// One field of the `k8s_audit` source.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    /// Its name.
    pub name: &'static str,
    /// Whether it yields a list of values.
    pub list: bool,
    /// The type of its values.
    pub ty: FieldType,
    /// What its argument means.
    pub arg: ArgKind,
    pub(crate) extract: Extract,
    /// What it is.
    pub desc: &'static str,
}

const fn f(
    name: &'static str,
    list: bool,
    arg: ArgKind,
    extract: Extract,
    desc: &'static str,
) -> FieldDef {
    FieldDef {
        name,
        list,
        ty: FieldType::Str,
        arg,
        extract,
        desc,
    }
}

use ArgKind as A;
use ContainerAttr as CA;
use Containers as C;
use Extract as E;

macro_rules! container_fields {
    ($prefix:literal, $which:expr, $what:literal) => {
        [
            f(
                concat!($prefix, ".name"),
                true,
                A::Index,
                E::Container($which, CA::Name),
                concat!("The names of the pod's ", $what, "."),
            ),
            f(
                concat!($prefix, ".image"),
                true,
                A::Index,
                E::Container($which, CA::Image),
                concat!("The images of the pod's ", $what, "."),
            ),
            f(
                concat!($prefix, ".image.repository"),
                true,
                A::Index,
                E::Container($which, CA::Repository),
                concat!(
                    "The image repositories (without tag or digest) of the pod's ",
                    $what,
                    "."
                ),
            ),
            f(
                concat!($prefix, ".command"),
                true,
                A::Index,
                E::Container($which, CA::Command),
                concat!("The commands of the pod's ", $what, "."),
            ),
            f(
                concat!($prefix, ".args"),
                true,
                A::Index,
                E::Container($which, CA::Args),
                concat!("The arguments of the pod's ", $what, "."),
            ),
            f(
                concat!($prefix, ".privileged"),
                true,
                A::Index,
                E::Container($which, CA::SecurityOptional("privileged")),
                concat!(
                    "securityContext.privileged of the pod's ",
                    $what,
                    " that set it."
                ),
            ),
            f(
                concat!($prefix, ".allow_privilege_escalation"),
                true,
                A::Index,
                E::Container($which, CA::Security("allowPrivilegeEscalation")),
                concat!(
                    "securityContext.allowPrivilegeEscalation of the pod's ",
                    $what,
                    "."
                ),
            ),
            f(
                concat!($prefix, ".read_only_fs"),
                true,
                A::Index,
                E::Container($which, CA::Security("readOnlyRootFilesystem")),
                concat!(
                    "securityContext.readOnlyRootFilesystem of the pod's ",
                    $what,
                    "."
                ),
            ),
            f(
                concat!($prefix, ".run_as_user"),
                true,
                A::Index,
                E::Container($which, CA::Security("runAsUser")),
                concat!("securityContext.runAsUser of the pod's ", $what, "."),
            ),
            f(
                concat!($prefix, ".eff_run_as_user"),
                true,
                A::Index,
                E::Container($which, CA::Effective("runAsUser")),
                concat!(
                    "The effective runAsUser of the pod's ",
                    $what,
                    " (the container's, else the pod's, else 0)."
                ),
            ),
            f(
                concat!($prefix, ".run_as_group"),
                true,
                A::Index,
                E::Container($which, CA::Security("runAsGroup")),
                concat!("securityContext.runAsGroup of the pod's ", $what, "."),
            ),
            f(
                concat!($prefix, ".eff_run_as_group"),
                true,
                A::Index,
                E::Container($which, CA::Effective("runAsGroup")),
                concat!(
                    "The effective runAsGroup of the pod's ",
                    $what,
                    " (the container's, else the pod's, else 0)."
                ),
            ),
            f(
                concat!($prefix, ".proc_mount"),
                true,
                A::Index,
                E::Container($which, CA::Security("procMount")),
                concat!("securityContext.procMount of the pod's ", $what, "."),
            ),
            f(
                concat!($prefix, ".add_capabilities"),
                true,
                A::Index,
                E::Container($which, CA::AddCapabilities),
                concat!("The capabilities added to the pod's ", $what, "."),
            ),
            f(
                concat!($prefix, ".host_port"),
                true,
                A::Index,
                E::Container($which, CA::HostPort),
                concat!(
                    "The host ports of the pod's ",
                    $what,
                    " (the container port when no host port is given)."
                ),
            ),
        ]
    };
}

const CONTAINERS: [FieldDef; 15] =
    container_fields!("ka.req.pod.containers", C::Regular, "containers");
const INIT: [FieldDef; 15] =
    container_fields!("ka.req.pod.initContainers", C::Init, "init containers");
const EPHEMERAL: [FieldDef; 15] = container_fields!(
    "ka.req.pod.ephemeralContainers",
    C::Ephemeral,
    "ephemeral containers"
);

const OTHER: &[FieldDef] = &[
    f(
        "ka.auditid",
        false,
        A::None,
        E::Path(&["auditID"]),
        "The unique ID of the audit event.",
    ),
    f(
        "ka.stage",
        false,
        A::None,
        E::Path(&["stage"]),
        "The stage of the request (RequestReceived, ResponseStarted, ResponseComplete, Panic).",
    ),
    f(
        "ka.auth.decision",
        false,
        A::None,
        E::Path(&["annotations", "authorization.k8s.io/decision"]),
        "The authorization decision.",
    ),
    f(
        "ka.auth.reason",
        false,
        A::None,
        E::Path(&["annotations", "authorization.k8s.io/reason"]),
        "The authorization reason.",
    ),
    f(
        "ka.validations.admission.policy.failure",
        false,
        A::None,
        E::Path(&[
            "annotations",
            "validation.policy.admission.k8s.io/validation_failure",
        ]),
        "The validation failure of a ValidatingAdmissionPolicy.",
    ),
    f(
        "ka.security.pod.violations",
        false,
        A::None,
        E::Path(&["annotations", "pod-security.kubernetes.io/audit-violations"]),
        "The Pod Security violations the admission recorded.",
    ),
    f(
        "ka.user.name",
        false,
        A::None,
        E::Path(&["user", "username"]),
        "The user name performing the request.",
    ),
    f(
        "ka.user.groups",
        true,
        A::None,
        E::PathList(&["user", "groups"]),
        "The groups of the user.",
    ),
    f(
        "ka.impuser.name",
        false,
        A::None,
        E::Path(&["impersonatedUser", "username"]),
        "The impersonated user name.",
    ),
    f(
        "ka.verb",
        false,
        A::None,
        E::Path(&["verb"]),
        "The action being performed.",
    ),
    f(
        "ka.uri",
        false,
        A::None,
        E::Path(&["requestURI"]),
        "The request URI as sent by the client.",
    ),
    f(
        "ka.uri.param",
        false,
        A::Key,
        E::UriParam,
        "A query parameter of the URI (ka.uri.param[command]).",
    ),
    f(
        "ka.target.name",
        false,
        A::None,
        E::Path(&["objectRef", "name"]),
        "The target object's name.",
    ),
    f(
        "ka.target.namespace",
        false,
        A::None,
        E::Path(&["objectRef", "namespace"]),
        "The target object's namespace.",
    ),
    f(
        "ka.target.resource",
        false,
        A::None,
        E::Path(&["objectRef", "resource"]),
        "The target object's resource.",
    ),
    f(
        "ka.target.subresource",
        false,
        A::None,
        E::Path(&["objectRef", "subresource"]),
        "The target object's subresource.",
    ),
    f(
        "ka.target.pod.name",
        false,
        A::None,
        E::TargetPodName,
        "The target pod's name, for pods and their subresources.",
    ),
    f(
        "ka.req.binding.subjects",
        true,
        A::None,
        E::PathList(&["requestObject", "subjects"]),
        "The subjects of a role binding, as JSON.",
    ),
    f(
        "ka.req.binding.subjects.user_names",
        true,
        A::None,
        E::Subjects {
            kind: "User",
            namespaced: false,
        },
        "The user names bound by a role binding.",
    ),
    f(
        "ka.req.binding.subjects.serviceaccount_names",
        true,
        A::None,
        E::Subjects {
            kind: "ServiceAccount",
            namespaced: false,
        },
        "The service account names bound by a role binding.",
    ),
    f(
        "ka.req.binding.subjects.serviceaccount_ns_names",
        true,
        A::None,
        E::Subjects {
            kind: "ServiceAccount",
            namespaced: true,
        },
        "The service accounts bound by a role binding, as namespace:name.",
    ),
    f(
        "ka.req.binding.subjects.group_names",
        true,
        A::None,
        E::Subjects {
            kind: "Group",
            namespaced: false,
        },
        "The group names bound by a role binding.",
    ),
    f(
        "ka.req.binding.role",
        false,
        A::None,
        E::Path(&["requestObject", "roleRef", "name"]),
        "The role a role binding refers to.",
    ),
    f(
        "ka.req.binding.subject.has_name",
        false,
        A::Key,
        E::AlwaysTrue,
        "Deprecated; always true.",
    ),
    f(
        "ka.req.configmap.name",
        false,
        A::None,
        E::Path(&["objectRef", "name"]),
        "The name of a ConfigMap in the request.",
    ),
    f(
        "ka.req.configmap.obj",
        false,
        A::None,
        E::Path(&["requestObject", "data"]),
        "The data of a ConfigMap in the request, as JSON.",
    ),
    f(
        "ka.req.container.image",
        false,
        A::None,
        E::FirstImage { repository: false },
        "Deprecated: the image of the first container.",
    ),
    f(
        "ka.req.container.image.repository",
        false,
        A::None,
        E::FirstImage { repository: true },
        "Deprecated: the image repository of the first container.",
    ),
    f(
        "ka.req.container.privileged",
        false,
        A::None,
        E::AnyPrivileged,
        "Deprecated: true when any container is privileged.",
    ),
    f(
        "ka.req.container.host_network",
        false,
        A::None,
        E::Path(&["requestObject", "spec", "hostNetwork"]),
        "Deprecated alias of ka.req.pod.host_network.",
    ),
    f(
        "ka.req.pod.host_ipc",
        false,
        A::None,
        E::Path(&["requestObject", "spec", "hostIPC"]),
        "The pod's hostIPC.",
    ),
    f(
        "ka.req.pod.host_network",
        false,
        A::None,
        E::Path(&["requestObject", "spec", "hostNetwork"]),
        "The pod's hostNetwork.",
    ),
    f(
        "ka.req.pod.host_pid",
        false,
        A::None,
        E::Path(&["requestObject", "spec", "hostPID"]),
        "The pod's hostPID.",
    ),
    f(
        "ka.req.pod.run_as_user",
        false,
        A::None,
        E::Path(&["requestObject", "spec", "securityContext", "runAsUser"]),
        "The pod-level runAsUser.",
    ),
    f(
        "ka.req.pod.run_as_group",
        false,
        A::None,
        E::Path(&["requestObject", "spec", "securityContext", "runAsGroup"]),
        "The pod-level runAsGroup.",
    ),
    f(
        "ka.req.pod.fs_group",
        false,
        A::None,
        E::Path(&["requestObject", "spec", "securityContext", "fsGroup"]),
        "The pod-level fsGroup.",
    ),
    f(
        "ka.req.pod.supplemental_groups",
        true,
        A::None,
        E::PathList(&[
            "requestObject",
            "spec",
            "securityContext",
            "supplementalGroups",
        ]),
        "The pod-level supplementalGroups.",
    ),
    f(
        "ka.req.pod.volumes.hostpath",
        true,
        A::Index,
        E::Volumes(&["hostPath", "path"]),
        "The hostPath paths of the pod's volumes.",
    ),
    f(
        "ka.req.pod.volumes.flexvolume_driver",
        true,
        A::Index,
        E::Volumes(&["flexVolume", "driver"]),
        "The flexVolume drivers of the pod's volumes.",
    ),
    f(
        "ka.req.pod.volumes.volume_type",
        true,
        A::Index,
        E::VolumeTypes,
        "The types of the pod's volumes.",
    ),
    f(
        "ka.req.volume.hostpath",
        false,
        A::Key,
        E::HostPathPrefix,
        "Deprecated: true when a hostPath volume is the argument (a prefix when it ends in *).",
    ),
    f(
        "ka.req.role.rules",
        true,
        A::None,
        E::PathList(&["requestObject", "rules"]),
        "The rules of a Role or ClusterRole, as JSON.",
    ),
    f(
        "ka.req.role.rules.apiGroups",
        true,
        A::Index,
        E::RoleRules("apiGroups"),
        "The API groups of a role's rules.",
    ),
    f(
        "ka.req.role.rules.nonResourceURLs",
        true,
        A::Index,
        E::RoleRules("nonResourceURLs"),
        "The non-resource URLs of a role's rules.",
    ),
    f(
        "ka.req.role.rules.verbs",
        true,
        A::Index,
        E::RoleRules("verbs"),
        "The verbs of a role's rules.",
    ),
    f(
        "ka.req.role.rules.resources",
        true,
        A::Index,
        E::RoleRules("resources"),
        "The resources of a role's rules.",
    ),
    f(
        "ka.req.service.type",
        false,
        A::None,
        E::Path(&["requestObject", "spec", "type"]),
        "The type of a Service.",
    ),
    f(
        "ka.req.service.ports",
        true,
        A::Index,
        E::PathList(&["requestObject", "spec", "ports"]),
        "The ports of a Service, as JSON.",
    ),
    f(
        "ka.resp.name",
        false,
        A::None,
        E::Path(&["responseObject", "metadata", "name"]),
        "The name of the response object.",
    ),
    f(
        "ka.response.code",
        false,
        A::None,
        E::Path(&["responseStatus", "code"]),
        "The response code.",
    ),
    f(
        "ka.response.reason",
        false,
        A::None,
        E::Path(&["responseStatus", "reason"]),
        "The response reason (usually present only for failures).",
    ),
    f(
        "ka.useragent",
        false,
        A::None,
        E::Path(&["userAgent"]),
        "The client's user agent.",
    ),
    f(
        "ka.sourceips",
        true,
        A::Index,
        E::PathList(&["sourceIPs"]),
        "The client's IP addresses.",
    ),
    f(
        "ka.cluster.name",
        false,
        A::None,
        E::ClusterName,
        "The name of the cluster (kubepci's --cluster-name).",
    ),
    f(
        "jevt.value",
        false,
        A::Pointer,
        E::Pointer,
        "The value at a JSON pointer into the event (jevt.value[/objectRef/name]).",
    ),
    f(
        "jevt.obj",
        false,
        A::None,
        E::Object,
        "The whole event as JSON.",
    ),
    FieldDef {
        name: "jevt.rawtime",
        list: false,
        ty: FieldType::U64,
        arg: A::None,
        extract: E::RawTime,
        desc: "The event time (stageTimestamp) in Unix nanoseconds.",
    },
    f(
        "jevt.time",
        false,
        A::None,
        E::Time,
        "The event time as HH:MM:SS.nnnnnnnnn (UTC).",
    ),
    f(
        "jevt.time.iso8601",
        false,
        A::None,
        E::TimeIso8601,
        "The event time in RFC 3339 with nanoseconds.",
    ),
    f(
        "json.value",
        false,
        A::Pointer,
        E::Pointer,
        "Alias of jevt.value.",
    ),
    f("json.obj", false, A::None, E::Object, "Alias of jevt.obj."),
    FieldDef {
        name: "json.rawtime",
        list: false,
        ty: FieldType::U64,
        arg: A::None,
        extract: E::RawTime,
        desc: "Alias of jevt.rawtime.",
    },
    f(
        "kubepci.req.card_numbers",
        true,
        A::None,
        E::CardNumbers("requestObject"),
        "Card numbers (PANs) found in the strings of the request object, masked (first 6 and last 4 digits).",
    ),
    f(
        "kubepci.resp.card_numbers",
        true,
        A::None,
        E::CardNumbers("responseObject"),
        "Card numbers (PANs) found in the strings of the response object, masked.",
    ),
    FieldDef {
        name: "kubepci.user.denials",
        list: false,
        ty: FieldType::U64,
        arg: A::Seconds,
        extract: E::Denials,
        desc: "For a denied request (authorization decision forbid, or response code 401 or 403): the number of denied requests by the same user within the last N seconds of event time, this one included (kubepci.user.denials[60]).",
    },
];

/// Every field of the `k8s_audit` source.
pub fn all_fields() -> impl Iterator<Item = &'static FieldDef> {
    CONTAINERS
        .iter()
        .chain(INIT.iter())
        .chain(EPHEMERAL.iter())
        .chain(OTHER.iter())
}

/// The field named `name`.
#[must_use]
pub fn field(name: &str) -> Option<&'static FieldDef> {
    all_fields().find(|f| f.name == name)
}

/// The longest field name that `text` starts with (output templates).
pub(crate) fn longest_prefix(text: &str) -> Option<&'static FieldDef> {
    all_fields()
        .filter(|f| {
            text.starts_with(f.name)
                && !text[f.name.len()..]
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
        .max_by_key(|f| f.name.len())
}

/// A field with its argument, resolved at compile time. Two are equal when they are written the
/// same way.
#[derive(Debug, Clone)]
pub(crate) struct BoundField {
    pub(crate) def: &'static FieldDef,
    pub(crate) key: Option<Box<str>>,
    pub(crate) index: Option<usize>,
    pub(crate) pointer: Option<Vec<Box<str>>>,
    pub(crate) seconds: u64,
    /// How the field is written in outputs (`ka.uri.param[command]`).
    pub(crate) display: Box<str>,
}

impl PartialEq for BoundField {
    fn eq(&self, other: &Self) -> bool {
        self.display == other.display
    }
}

impl Eq for BoundField {}

impl BoundField {
    /// Binds `def` to its argument, checking it.
    pub(crate) fn bind(def: &'static FieldDef, arg: Option<&str>) -> Result<Self, String> {
        let display: Box<str> = match arg {
            Some(a) => format!("{}[{a}]", def.name).into(),
            None => def.name.into(),
        };
        let mut bound = Self {
            def,
            key: None,
            index: None,
            pointer: None,
            seconds: 0,
            display,
        };
        match (def.arg, arg) {
            (ArgKind::None, None) | (ArgKind::Index, None) => {}
            (ArgKind::None, Some(_)) => {
                return Err(format!("field {} takes no argument", def.name));
            }
            (ArgKind::Index, Some(a)) => bound.index = a.parse().ok(),
            (ArgKind::Key, Some(a)) if !a.is_empty() => bound.key = Some(a.into()),
            (ArgKind::Pointer, Some(a)) => {
                bound.pointer = Some(pointer_tokens(a).ok_or_else(|| {
                    format!("{}[{a}]: the argument is not a JSON pointer", def.name)
                })?);
            }
            (ArgKind::Seconds, Some(a)) => {
                bound.seconds = a
                    .trim_end_matches('s')
                    .parse()
                    .ok()
                    .filter(|s| *s > 0 && *s <= 86_400)
                    .ok_or_else(|| {
                        format!(
                            "{}[{a}]: the argument is a window of 1 to 86400 seconds",
                            def.name
                        )
                    })?;
            }
            (ArgKind::Key | ArgKind::Pointer | ArgKind::Seconds, _) => {
                return Err(format!("field {} requires an argument", def.name));
            }
        }
        Ok(bound)
    }
}

/// What an extraction needs besides the event.
pub(crate) struct EventInfo<'a> {
    pub(crate) time_ns: Option<u64>,
    pub(crate) cluster_name: Option<&'a str>,
    /// Denied requests by this user in each window the program uses (stateful), by seconds.
    pub(crate) denials: &'a [(u64, u64)],
}

/// Extracted values for one event: strings back to back in one buffer, reused across events.
#[derive(Default)]
pub(crate) struct Values {
    pub(crate) text: String,
    pub(crate) spans: Vec<(u32, u32)>,
}

impl Values {
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
    }

    pub(crate) fn get(&self, i: usize) -> &str {
        let (s, e) = self.spans[i];
        &self.text[s as usize..e as usize]
    }

    fn push_with(&mut self, write: impl FnOnce(&mut String)) {
        let start = self.text.len();
        write(&mut self.text);
        let end = self.text.len();
        self.spans.push((offset(start), offset(end)));
    }

    fn push(&mut self, s: &str) {
        self.push_with(|t| t.push_str(s));
    }

    fn push_value(&mut self, v: J<'_, '_>) {
        self.push_with(|t| v.write_text(t));
    }
}

fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The repository part of an image reference, as the plugin computes it (`nginx:1.25` →
/// `nginx`, `reg/app@sha256:…` → `reg/app`).
fn repository(image: &str) -> &str {
    let no_tag = image.split(':').next().unwrap_or(image);
    no_tag.split('@').next().unwrap_or(no_tag)
}

fn spec<'t, 'i>(root: J<'t, 'i>) -> Option<J<'t, 'i>> {
    root.path(&["requestObject", "spec"])
}

/// The elements of the array at `keys`, filtered by `index`; `None` when absent or not an
/// array.
fn array_at<'t, 'i>(
    base: J<'t, 'i>,
    keys: &[&str],
    index: Option<usize>,
) -> Option<impl Iterator<Item = J<'t, 'i>> + use<'t, 'i>> {
    let arr = base.path(keys)?;
    if !arr.is_array() {
        return None;
    }
    Some(
        arr.elements()
            .enumerate()
            .filter(move |(i, _)| index.is_none_or(|want| *i == want))
            .map(|(_, v)| v),
    )
}

/// Extracts `field` from the event into `out`. Returns `false` when it is not available.
pub(crate) fn extract(
    field: &BoundField,
    root: J<'_, '_>,
    info: &EventInfo<'_>,
    out: &mut Values,
) -> bool {
    let before = out.spans.len();
    let available = extract_into(field, root, info, out);
    available && (out.spans.len() > before || !field.def.list)
}

fn extract_into(
    field: &BoundField,
    root: J<'_, '_>,
    info: &EventInfo<'_>,
    out: &mut Values,
) -> bool {
    match field.def.extract {
        Extract::Path(keys) => match root.path(keys) {
            Some(v) => {
                out.push_value(v);
                true
            }
            None => false,
        },
        Extract::PathList(keys) => match array_at(root, keys, field.index) {
            Some(items) => {
                for v in items {
                    out.push_value(v);
                }
                true
            }
            None => false,
        },
        Extract::Container(which, attr) => {
            let Some(spec) = spec(root) else { return false };
            let Some(containers) = array_at(spec, &[which.key()], field.index) else {
                return false;
            };
            for c in containers {
                if !container_attr(c, spec, attr, out) {
                    return false;
                }
            }
            true
        }
        Extract::FirstImage { repository: repo } => {
            match spec(root)
                .and_then(|s| s.get("containers"))
                .and_then(|c| c.index(0))
                .and_then(|c| c.get("image"))
            {
                Some(image) => {
                    match image.as_str() {
                        Some(s) if repo => out.push(repository(s)),
                        _ => out.push_value(image),
                    }
                    true
                }
                None => false,
            }
        }
        Extract::AnyPrivileged => {
            let Some(containers) = spec(root).and_then(|s| s.get("containers")) else {
                return false;
            };
            let any = containers.elements().any(|c| {
                c.path(&["securityContext", "privileged"])
                    .and_then(J::as_bool)
                    == Some(true)
            });
            out.push(if any { "true" } else { "false" });
            true
        }
        Extract::UriParam => {
            let (Some(uri), Some(key)) = (root.get("requestURI").and_then(J::as_str), &field.key)
            else {
                return false;
            };
            let Some((_, query)) = uri.split_once('?') else {
                return false;
            };
            for pair in query.split('&') {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                if percent_decode_eq(k, key) {
                    out.push_with(|t| percent_decode_into(v, t));
                    return true;
                }
            }
            false
        }
        Extract::AlwaysTrue => {
            out.push("true");
            true
        }
        Extract::HostPathPrefix => {
            let Some(arg) = field.key.as_deref() else {
                return false;
            };
            let Some(volumes) = spec(root).and_then(|s| s.get("volumes")) else {
                return false;
            };
            let (prefix, is_prefix) = match arg.strip_suffix('*') {
                Some(p) => (p, true),
                None => (arg, false),
            };
            let hit = volumes
                .elements()
                .filter_map(|v| v.path(&["hostPath", "path"]).and_then(J::as_str))
                .any(|p| {
                    if is_prefix {
                        p.starts_with(prefix)
                    } else {
                        p == arg
                    }
                });
            out.push(if hit { "true" } else { "false" });
            true
        }
        Extract::Volumes(keys) => {
            let Some(volumes) = spec(root).and_then(|s| array_at(s, &["volumes"], field.index))
            else {
                return false;
            };
            for v in volumes {
                if let Some(value) = v.path(keys) {
                    out.push_value(value);
                }
            }
            true
        }
        Extract::VolumeTypes => {
            let Some(volumes) = spec(root).and_then(|s| array_at(s, &["volumes"], field.index))
            else {
                return false;
            };
            for v in volumes {
                for (k, _) in v.members() {
                    if k != "name" {
                        out.push(k);
                    }
                }
            }
            true
        }
        Extract::RoleRules(key) => {
            let Some(rules) = array_at(root, &["requestObject", "rules"], field.index) else {
                return false;
            };
            for rule in rules {
                if let Some(items) = rule.get(key) {
                    for item in items.elements() {
                        out.push_value(item);
                    }
                }
            }
            true
        }
        Extract::Subjects { kind, namespaced } => {
            let Some(subjects) = root.path(&["requestObject", "subjects"]) else {
                return false;
            };
            for s in subjects.elements() {
                if s.get("kind").and_then(J::as_str) != Some(kind) {
                    continue;
                }
                let Some(name) = s.get("name").and_then(J::as_str) else {
                    continue;
                };
                if namespaced {
                    let ns = s.get("namespace").and_then(J::as_str).unwrap_or("");
                    out.push_with(|t| {
                        t.push_str(ns);
                        t.push(':');
                        t.push_str(name);
                    });
                } else {
                    out.push(name);
                }
            }
            true
        }
        Extract::TargetPodName => match root.get("objectRef") {
            Some(r) if r.get("resource").and_then(J::as_str) == Some("pods") => match r.get("name")
            {
                Some(n) => {
                    out.push_value(n);
                    true
                }
                None => false,
            },
            _ => false,
        },
        Extract::Pointer => match field.pointer.as_deref().and_then(|p| root.at(p)) {
            Some(v) => {
                out.push_value(v);
                true
            }
            None => false,
        },
        Extract::Object => {
            out.push_with(|t| root.write_json(t));
            true
        }
        Extract::RawTime => match info.time_ns {
            Some(ns) => {
                out.push_with(|t| {
                    let _ = write!(t, "{ns}");
                });
                true
            }
            None => false,
        },
        Extract::Time | Extract::TimeIso8601 => {
            let Some(ns) = info.time_ns else { return false };
            let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns)) else {
                return false;
            };
            out.push_with(|s| {
                if field.def.extract == Extract::Time {
                    let _ = write!(
                        s,
                        "{:02}:{:02}:{:02}.{:09}",
                        t.hour(),
                        t.minute(),
                        t.second(),
                        t.nanosecond()
                    );
                } else {
                    let _ = write!(
                        s,
                        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
                        t.year(),
                        u8::from(t.month()),
                        t.day(),
                        t.hour(),
                        t.minute(),
                        t.second(),
                        t.nanosecond()
                    );
                }
            });
            true
        }
        Extract::ClusterName => match info.cluster_name {
            Some(name) => {
                out.push(name);
                true
            }
            None => false,
        },
        Extract::CardNumbers(key) => {
            let Some(obj) = root.get(key) else {
                return false;
            };
            obj.for_each_string(&mut |s| {
                if s.len() >= kubepci_pan::MIN_DIGITS {
                    for m in kubepci_pan::find(s) {
                        out.push_with(|t| t.push_str(&m.masked()));
                    }
                }
            });
            true
        }
        Extract::Denials => match info.denials.iter().find(|(w, _)| *w == field.seconds) {
            Some((_, n)) => {
                out.push_with(|t| {
                    let _ = write!(t, "{n}");
                });
                true
            }
            None => false,
        },
    }
}

fn container_attr(c: J<'_, '_>, spec: J<'_, '_>, attr: ContainerAttr, out: &mut Values) -> bool {
    match attr {
        ContainerAttr::Name | ContainerAttr::Image => {
            let key = if attr == ContainerAttr::Name {
                "name"
            } else {
                "image"
            };
            match c.get(key) {
                Some(v) => {
                    out.push_value(v);
                    true
                }
                None => false,
            }
        }
        ContainerAttr::Repository => match c.get("image") {
            Some(v) => {
                match v.as_str() {
                    Some(s) => out.push(repository(s)),
                    None => out.push_value(v),
                }
                true
            }
            None => false,
        },
        ContainerAttr::Command | ContainerAttr::Args => {
            let key = if attr == ContainerAttr::Command {
                "command"
            } else {
                "args"
            };
            if let Some(items) = c.get(key) {
                for item in items.elements() {
                    out.push_value(item);
                }
            }
            true
        }
        ContainerAttr::SecurityOptional(key) => {
            if let Some(v) = c.path(&["securityContext", key]) {
                out.push_value(v);
            }
            true
        }
        ContainerAttr::Security(key) => match c.path(&["securityContext", key]) {
            Some(v) => {
                out.push_value(v);
                true
            }
            None => false,
        },
        ContainerAttr::Effective(key) => {
            match c
                .path(&["securityContext", key])
                .or_else(|| spec.path(&["securityContext", key]))
            {
                Some(v) => out.push_value(v),
                None => out.push("0"),
            }
            true
        }
        ContainerAttr::AddCapabilities => {
            if let Some(caps) = c.path(&["securityContext", "capabilities", "add"]) {
                for cap in caps.elements() {
                    out.push_value(cap);
                }
            }
            true
        }
        ContainerAttr::HostPort => {
            if let Some(ports) = c.get("ports") {
                for port in ports.elements() {
                    if let Some(p) = port.get("hostPort").or_else(|| port.get("containerPort")) {
                        out.push_value(p);
                    }
                }
            }
            true
        }
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes and `+` (a query string's space) into `out`.
fn percent_decode_into(s: &str, out: &mut String) {
    let b = s.as_bytes();
    if !b.iter().any(|c| matches!(c, b'%' | b'+')) {
        out.push_str(s);
        return;
    }
    let mut bytes = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                bytes.push(b' ');
                i += 1;
            }
            b'%' => {
                match (
                    b.get(i + 1).copied().and_then(hex),
                    b.get(i + 2).copied().and_then(hex),
                ) {
                    (Some(h), Some(l)) => {
                        bytes.push(h * 16 + l);
                        i += 3;
                    }
                    _ => {
                        bytes.push(b'%');
                        i += 1;
                    }
                }
            }
            c => {
                bytes.push(c);
                i += 1;
            }
        }
    }
    out.push_str(&String::from_utf8_lossy(&bytes));
}

fn percent_decode_eq(encoded: &str, want: &str) -> bool {
    if !encoded.bytes().any(|c| matches!(c, b'%' | b'+')) {
        return encoded == want;
    }
    let mut decoded = String::new();
    percent_decode_into(encoded, &mut decoded);
    decoded == want
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Parsed;

    fn values(name: &str, arg: Option<&str>, event: &str) -> Option<Vec<String>> {
        let def = field(name).unwrap_or_else(|| panic!("field {name}"));
        let bound = BoundField::bind(def, arg).expect("argument");
        let info = EventInfo {
            time_ns: Some(1_540_561_114_902_914_000),
            cluster_name: Some("prod"),
            denials: &[(60, 3)],
        };
        let mut out = Values::default();
        Parsed::default()
            .with(event.as_bytes(), |root| {
                extract(&bound, root, &info, &mut out).then(|| {
                    (0..out.spans.len())
                        .map(|i| out.get(i).to_owned())
                        .collect()
                })
            })
            .expect("json")
    }

    const POD: &str = r#"{"kind":"Event","user":{"username":"alice","groups":["dev","system:authenticated"]},
        "requestURI":"/api/v1/namespaces/default/pods/p/exec?command=bash&command=-il&container=c%20x&tty=true",
        "objectRef":{"resource":"pods","name":"p","namespace":"default","subresource":"exec"},
        "responseStatus":{"code":201},
        "requestObject":{"spec":{"securityContext":{"runAsUser":1000},
          "containers":[{"name":"a","image":"nginx:1.25","securityContext":{"runAsUser":0}},
                        {"name":"b","image":"reg.example/app@sha256:ab","securityContext":{"privileged":true},
                         "ports":[{"containerPort":80},{"containerPort":81,"hostPort":8081}]}],
          "volumes":[{"name":"v","hostPath":{"path":"/etc/kubernetes"}},{"name":"e","emptyDir":{}}],
          "data":"4111 1111 1111 1111"}}}"#;

    #[test]
    fn plugin_fields() {
        let v = |n: &str| values(n, None, POD);
        assert_eq!(v("ka.user.name"), Some(vec!["alice".into()]));
        assert_eq!(v("ka.user.groups").map(|g| g.len()), Some(2));
        assert_eq!(v("ka.response.code"), Some(vec!["201".into()]));
        assert_eq!(
            v("ka.req.pod.containers.image.repository"),
            Some(vec!["nginx".into(), "reg.example/app".into()])
        );
        assert_eq!(
            v("ka.req.pod.containers.privileged"),
            Some(vec!["true".into()])
        );
        assert_eq!(
            v("ka.req.pod.initContainers.privileged"),
            None,
            "no init containers"
        );
        assert_eq!(
            v("ka.req.pod.containers.eff_run_as_user"),
            Some(vec!["0".into(), "1000".into()])
        );
        assert_eq!(
            v("ka.req.pod.containers.run_as_user"),
            None,
            "one container does not set it"
        );
        assert_eq!(
            v("ka.req.pod.containers.host_port"),
            Some(vec!["80".into(), "8081".into()])
        );
        assert_eq!(
            v("ka.req.pod.volumes.hostpath"),
            Some(vec!["/etc/kubernetes".into()])
        );
        assert_eq!(
            v("ka.req.pod.volumes.volume_type"),
            Some(vec!["hostPath".into(), "emptyDir".into()])
        );
        assert_eq!(v("ka.req.container.image"), Some(vec!["nginx:1.25".into()]));
        assert_eq!(v("ka.req.container.privileged"), Some(vec!["true".into()]));
        assert_eq!(v("ka.target.pod.name"), Some(vec!["p".into()]));
        assert_eq!(v("ka.auth.decision"), None);
        assert_eq!(v("ka.cluster.name"), Some(vec!["prod".into()]));
        assert_eq!(v("jevt.rawtime"), Some(vec!["1540561114902914000".into()]));
        assert_eq!(v("jevt.time"), Some(vec!["13:38:34.902914000".into()]));
        assert_eq!(
            v("kubepci.req.card_numbers"),
            Some(vec!["411111******1111".into()])
        );
        assert_eq!(
            values("ka.uri.param", Some("command"), POD),
            Some(vec!["bash".into()])
        );
        assert_eq!(
            values("ka.uri.param", Some("container"), POD),
            Some(vec!["c x".into()])
        );
        assert_eq!(values("ka.uri.param", Some("nope"), POD), None);
        assert_eq!(
            values("ka.req.volume.hostpath", Some("/etc*"), POD),
            Some(vec!["true".into()])
        );
        assert_eq!(
            values("ka.req.volume.hostpath", Some("/etc"), POD),
            Some(vec!["false".into()])
        );
        assert_eq!(
            values("ka.req.pod.containers.image", Some("1"), POD),
            Some(vec!["reg.example/app@sha256:ab".into()])
        );
        assert_eq!(
            values("jevt.value", Some("/objectRef/name"), POD),
            Some(vec!["p".into()])
        );
        assert_eq!(
            values(
                "jevt.value",
                Some("/requestObject/spec/securityContext"),
                POD
            ),
            Some(vec![r#"{"runAsUser":1000}"#.into()])
        );
        assert_eq!(
            values("kubepci.user.denials", Some("60"), POD),
            Some(vec!["3".into()])
        );
    }

    #[test]
    fn arguments_are_checked() {
        let uri = field("ka.uri.param").expect("field");
        assert!(BoundField::bind(uri, None).is_err());
        let user = field("ka.user.name").expect("field");
        assert!(BoundField::bind(user, Some("x")).is_err());
        let ptr = field("jevt.value").expect("field");
        assert!(BoundField::bind(ptr, Some("stage")).is_err());
        assert_eq!(
            longest_prefix("ka.target.namespace)").map(|f| f.name),
            Some("ka.target.namespace")
        );
        assert_eq!(
            longest_prefix("ka.target.name/x").map(|f| f.name),
            Some("ka.target.name")
        );
        assert!(longest_prefix("ka.nothing").is_none());
    }
}
