//! The free text objects carry, with where it is: ConfigMap and Secret values (Secret `data`
//! decoded from base64), container env values, command and args, annotations and labels.
//! Credential and card-number rules scan these.

use std::borrow::Cow;

use kubepci_k8s::{Container, Object, PodTemplate};
use kubepci_model::{JsonPointer, Node};

/// Annotations that repeat the object itself (scanning them would report everything twice).
const SELF_COPY_ANNOTATIONS: &[&str] = &["kubectl.kubernetes.io/last-applied-configuration"];

/// Where a piece of text is.
#[derive(Debug, Clone)]
pub(crate) enum Place<'a> {
    /// A value of ConfigMap `data`/`binaryData` or Secret `data`/`stringData`.
    Data {
        kind: &'a str,
        field: &'static str,
        key: &'a str,
    },
    /// A container's `env[].value`.
    Env { container: String, name: &'a str },
    /// An item of a container's `command` or `args`.
    Arg {
        container: String,
        field: &'static str,
        index: usize,
    },
    /// An annotation or label value (of the object or of its pod template).
    Metadata {
        field: &'static str,
        key: &'a str,
        template: bool,
    },
}

impl Place<'_> {
    /// How messages name the place: "ConfigMap key `db.conf`", "env `DB_PASSWORD` of container
    /// `app`", "args[2] of container `app`", "annotation `example.com/note`".
    pub(crate) fn describe(&self) -> String {
        match self {
            Place::Data { kind, field, key } => match *field {
                "binaryData" => format!("{kind} binaryData key `{key}`"),
                "stringData" => format!("{kind} stringData key `{key}`"),
                _ => format!("{kind} key `{key}`"),
            },
            Place::Env { container, name } => format!("env `{name}` of {container}"),
            Place::Arg {
                container,
                field,
                index,
            } => format!("{field}[{index}] of {container}"),
            Place::Metadata {
                field,
                key,
                template,
            } => {
                let noun = if *field == "labels" {
                    "label"
                } else {
                    "annotation"
                };
                if *template {
                    format!("pod template {noun} `{key}`")
                } else {
                    format!("{noun} `{key}`")
                }
            }
        }
    }

    /// The name the text is stored under (data key, env name, annotation key), if any.
    pub(crate) fn key(&self) -> Option<&str> {
        match self {
            Place::Data { key, .. } | Place::Metadata { key, .. } => Some(key),
            Place::Env { name, .. } => Some(name),
            Place::Arg { .. } => None,
        }
    }
}

/// One piece of text and where it is.
#[derive(Debug, Clone)]
pub(crate) struct Text<'a> {
    /// The field holding it.
    pub(crate) pointer: JsonPointer,
    /// Where it is, for messages.
    pub(crate) place: Place<'a>,
    /// The text (decoded for Secret `data` and ConfigMap `binaryData`).
    pub(crate) text: Cow<'a, str>,
}

/// Decodes a base64 value of Secret `data` or ConfigMap `binaryData`; `None` when it is not
/// valid base64.
pub(crate) fn decode_base64(value: &str) -> Option<Vec<u8>> {
    let trimmed = value.trim();
    data_encoding::BASE64
        .decode(trimmed.as_bytes())
        .ok()
        .or_else(|| {
            // Tolerate line-wrapped base64 (as `base64` prints it).
            let joined: String = trimmed.split_ascii_whitespace().collect();
            data_encoding::BASE64.decode(joined.as_bytes()).ok()
        })
}

fn bytes_to_text(bytes: Vec<u8>) -> Cow<'static, str> {
    match String::from_utf8(bytes) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// The values of a ConfigMap (`data`, `binaryData`) or Secret (`data`, `stringData`).
/// Other kinds have none.
pub(crate) fn data_values(object: &Object) -> Vec<Text<'_>> {
    let fields: &[&'static str] = match object.kind() {
        "ConfigMap" => &["data", "binaryData"],
        "Secret" => &["data", "stringData"],
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    for field in fields {
        let Some(map) = object.root.get(field) else {
            continue;
        };
        let encoded = *field == "binaryData" || (*field == "data" && object.kind() == "Secret");
        for entry in map.entries() {
            let Some(raw) = entry.value.scalar_text() else {
                continue;
            };
            let text = if encoded {
                match decode_base64(&raw) {
                    Some(bytes) => bytes_to_text(bytes),
                    None => continue,
                }
            } else {
                raw
            };
            out.push(Text {
                pointer: JsonPointer::root().key(field).key(&entry.key),
                place: Place::Data {
                    kind: object.kind(),
                    field,
                    key: &entry.key,
                },
                text,
            });
        }
    }
    out
}

/// A container's env values, command and args.
pub(crate) fn container_values<'a>(container: &Container<'a>) -> Vec<Text<'a>> {
    let mut out = Vec::new();
    let describe = container.describe();
    for (index, env) in container
        .get(&["env"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let (Some(name), Some(value)) = (
            env.get("name").and_then(Node::as_str),
            env.get("value").and_then(Node::scalar_text),
        ) else {
            continue;
        };
        out.push(Text {
            pointer: container.pointer_to(&["env"]).index(index).key("value"),
            place: Place::Env {
                container: describe.clone(),
                name,
            },
            text: value,
        });
    }
    for field in ["command", "args"] {
        for (index, arg) in container
            .get(&[field])
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if let Some(text) = arg.scalar_text() {
                out.push(Text {
                    pointer: container.pointer_to(&[field]).index(index),
                    place: Place::Arg {
                        container: describe.clone(),
                        field,
                        index,
                    },
                    text,
                });
            }
        }
    }
    out
}

fn metadata_map<'a>(
    metadata: Option<&'a Node>,
    base: &JsonPointer,
    template: bool,
    out: &mut Vec<Text<'a>>,
) {
    let Some(metadata) = metadata else {
        return;
    };
    for field in ["annotations", "labels"] {
        for entry in metadata.get(field).map(Node::entries).unwrap_or_default() {
            if SELF_COPY_ANNOTATIONS.contains(&&*entry.key) {
                continue;
            }
            let Some(text) = entry.value.scalar_text() else {
                continue;
            };
            out.push(Text {
                pointer: base.key(field).key(&entry.key),
                place: Place::Metadata {
                    field,
                    key: &entry.key,
                    template,
                },
                text,
            });
        }
    }
}

/// Annotation and label values of an object and, for pod-template kinds, of its template.
pub(crate) fn metadata_values(object: &Object) -> Vec<Text<'_>> {
    let mut out = Vec::new();
    metadata_map(
        object.metadata(),
        &JsonPointer::root().key("metadata"),
        false,
        &mut out,
    );
    if let Some(pod) = PodTemplate::of(object)
        && pod.metadata_pointer != JsonPointer::root().key("metadata")
    {
        metadata_map(pod.metadata, &pod.metadata_pointer, true, &mut out);
    }
    out
}

/// Every piece of free text of an object: data values, then each container's env, command
/// and args, then annotations and labels.
pub(crate) fn all_values(object: &Object) -> Vec<Text<'_>> {
    let mut out = data_values(object);
    if let Some(pod) = PodTemplate::of(object) {
        for container in pod.containers() {
            out.extend(container_values(&container));
        }
    }
    out.extend(metadata_values(object));
    out
}

/// Whether an object was read from a live cluster rather than from a manifest (the API server
/// sets these fields; manifests in Git do not carry them).
pub(crate) fn is_live_object(object: &Object) -> bool {
    object.metadata().is_some_and(|m| {
        [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "managedFields",
        ]
        .iter()
        .any(|k| m.get(k).is_some_and(|v| !v.is_null()))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use kubepci_k8s::{Inventory, KindFilter, load};

    use super::*;

    fn inventory(text: &str) -> Inventory {
        let loaded = load("t.yaml", text.as_bytes(), &KindFilter::All, None);
        Inventory::new(loaded.objects, &BTreeMap::new())
    }

    #[test]
    fn decodes_secret_data_and_names_every_place() {
        let inv = inventory(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s, annotations: {a: x}}\ndata: {k: aGVsbG8=, bad: '!!'}\nstringData: {p: plain}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    metadata: {labels: {app: d}}\n    spec:\n      containers:\n        - name: c\n          env: [{name: E, value: v}, {name: F, valueFrom: {secretKeyRef: {name: s, key: k}}}]\n          args: [--x=1]\n",
        );
        let secret = inv.of_kind("Secret").next().expect("secret");
        let texts = all_values(secret);
        let got: Vec<(String, String, String)> = texts
            .iter()
            .map(|t| {
                (
                    t.pointer.to_string(),
                    t.place.describe(),
                    t.text.to_string(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("/data/k".into(), "Secret key `k`".into(), "hello".into()),
                (
                    "/stringData/p".into(),
                    "Secret stringData key `p`".into(),
                    "plain".into()
                ),
                (
                    "/metadata/annotations/a".into(),
                    "annotation `a`".into(),
                    "x".into()
                ),
            ]
        );
        let deployment = inv.of_kind("Deployment").next().expect("deployment");
        let got: Vec<String> = all_values(deployment)
            .iter()
            .map(|t| format!("{} {}", t.pointer, t.place.describe()))
            .collect();
        assert_eq!(
            got,
            [
                "/spec/template/spec/containers/0/env/0/value env `E` of container `c`",
                "/spec/template/spec/containers/0/args/0 args[0] of container `c`",
                "/spec/template/metadata/labels/app pod template label `app`",
            ]
        );
    }

    #[test]
    fn live_objects_are_recognised() {
        let inv = inventory(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: a, uid: 1f}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\n",
        );
        let live: Vec<bool> = inv.of_kind("Secret").map(is_live_object).collect();
        assert_eq!(live, [true, false]);
    }
}
