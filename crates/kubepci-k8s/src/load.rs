//! Bytes of one input → objects, input errors and counts.

use std::collections::HashSet;
use std::sync::Arc;

use kubepci_model::{Node, Position};

use crate::json::parse_json;
use crate::object::Object;
use crate::yaml::{is_blank, parse_document, peek_kind, split_documents};
use crate::{InputError, InputErrorKind};

/// Which kinds to build objects for. Documents of other kinds are recognised by a cheap look
/// at their top-level `kind:` line and skipped without parsing (they are counted).
#[derive(Debug, Clone, Default)]
pub enum KindFilter {
    /// Build every object.
    #[default]
    All,
    /// Build only objects of these kinds (Lists are always opened).
    Only(HashSet<String>),
}

impl KindFilter {
    /// Whether documents of `kind` must be parsed.
    #[must_use]
    pub fn wants(&self, kind: &str) -> bool {
        match self {
            KindFilter::All => true,
            KindFilter::Only(kinds) => kinds.contains(kind) || kind.ends_with("List"),
        }
    }
}

/// Counts over the loaded input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LoadStats {
    /// Files (or stdin) read.
    pub files: usize,
    /// Bytes read.
    pub bytes: usize,
    /// Non-empty documents (items of a List count one each).
    pub documents: usize,
    /// Objects built.
    pub objects: usize,
    /// Documents without `apiVersion` or `kind` (not Kubernetes objects).
    pub skipped_not_objects: usize,
    /// Documents of kinds no rule reads, skipped unparsed.
    pub skipped_unused_kinds: usize,
    /// Documents that could not be loaded (see the errors).
    pub errors: usize,
}

impl LoadStats {
    /// Adds another file's counts.
    pub fn add(&mut self, other: &LoadStats) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.documents += other.documents;
        self.objects += other.objects;
        self.skipped_not_objects += other.skipped_not_objects;
        self.skipped_unused_kinds += other.skipped_unused_kinds;
        self.errors += other.errors;
    }
}

/// The result of loading one input.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Objects in input order.
    pub objects: Vec<Object>,
    /// Documents that could not be loaded.
    pub errors: Vec<InputError>,
    /// Counts.
    pub stats: LoadStats,
}

/// Loads one input. `name` is how findings will name the file; `default_namespace` is assumed
/// for namespaced objects that name none (like `kubectl apply -n`).
#[must_use]
pub fn load(
    name: &str,
    bytes: &[u8],
    filter: &KindFilter,
    default_namespace: Option<&str>,
) -> Loaded {
    let file: Arc<str> = Arc::from(name);
    let mut out = Loaded::default();
    out.stats.files = 1;
    out.stats.bytes = bytes.len();
    let text = match std::str::from_utf8(strip_bom(bytes)) {
        Ok(text) => text,
        Err(e) => {
            let pos = crate::json::LineIndex::new(
                std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
            )
            .position(e.valid_up_to());
            out.push_error(&file, pos, InputErrorKind::NotUtf8);
            return out;
        }
    };
    let looks_json = name.ends_with(".json") || text.trim_start().starts_with(['{', '[']);
    if looks_json {
        match parse_json(text) {
            Ok(Some(node)) => {
                out.add_document(node, &file, filter, default_namespace);
                return out;
            }
            Ok(None) => return out,
            // A `.json` file must be JSON; other text that merely starts with a bracket may
            // be YAML flow style.
            Err((pos, kind)) if name.ends_with(".json") => {
                out.push_error(&file, pos, kind);
                return out;
            }
            Err(_) => {}
        }
    }
    for doc in split_documents(text) {
        if let Some(kind) = peek_kind(doc.text)
            && !filter.wants(kind)
        {
            out.stats.documents += 1;
            out.stats.skipped_unused_kinds += 1;
            continue;
        }
        if is_blank(doc.text) {
            continue;
        }
        match parse_document(doc) {
            Ok(Some(node)) => out.add_document(node, &file, filter, default_namespace),
            Ok(None) => {}
            Err((pos, kind)) => {
                out.stats.documents += 1;
                out.push_error(&file, pos, kind);
            }
        }
    }
    out
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

impl Loaded {
    fn push_error(&mut self, file: &Arc<str>, position: Position, kind: InputErrorKind) {
        self.stats.errors += 1;
        self.errors.push(InputError {
            file: file.to_string(),
            position,
            kind,
        });
    }

    fn add_document(
        &mut self,
        node: Node,
        file: &Arc<str>,
        filter: &KindFilter,
        default_namespace: Option<&str>,
    ) {
        if node.is_null() {
            return;
        }
        if let Some(items) = list_items(&node) {
            let list_kind = node.get("kind").and_then(Node::as_str).unwrap_or_default();
            let item_kind = list_kind.strip_suffix("List").filter(|k| !k.is_empty());
            let list_api = node.get("apiVersion").and_then(Node::as_str);
            for item in items {
                let item = with_inferred_type(item.clone(), item_kind, list_api);
                self.add_object(item, file, filter, default_namespace);
            }
            return;
        }
        self.add_object(node, file, filter, default_namespace);
    }

    fn add_object(
        &mut self,
        node: Node,
        file: &Arc<str>,
        filter: &KindFilter,
        default_namespace: Option<&str>,
    ) {
        self.stats.documents += 1;
        let pos = node.pos;
        match Object::from_node(node, file.clone(), default_namespace) {
            Ok(Some(object)) if filter.wants(object.kind()) => {
                self.stats.objects += 1;
                self.objects.push(object);
            }
            Ok(Some(_)) => self.stats.skipped_unused_kinds += 1,
            Ok(None) => self.stats.skipped_not_objects += 1,
            Err(message) => self.push_error(file, pos, InputErrorKind::MalformedObject(message)),
        }
    }
}

/// The items of a `kind: List` (or `kind: FooList`) document.
fn list_items(node: &Node) -> Option<&[Node]> {
    let kind = node.get("kind")?.as_str()?;
    if !kind.ends_with("List") {
        return None;
    }
    let items = node.get("items")?;
    matches!(items.value, kubepci_model::Value::Seq(_)).then(|| items.items())
}

/// Items of typed lists (`PodList` from the API) carry no kind/apiVersion of their own.
fn with_inferred_type(mut item: Node, kind: Option<&str>, api_version: Option<&str>) -> Node {
    if let kubepci_model::Value::Map(entries) = &mut item.value {
        let pos = item.pos;
        for (key, value) in [("kind", kind), ("apiVersion", api_version)] {
            if let (Some(value), false) = (value, entries.iter().any(|e| &*e.key == key))
                && kind.is_some()
                && value != "List"
            {
                entries.push(kubepci_model::Entry {
                    key: key.into(),
                    key_pos: pos,
                    value: Node::new(kubepci_model::Value::Str(value.into()), pos),
                });
            }
        }
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_document_yaml_keeps_going_after_an_error() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nkind: Pod\napiVersion: v1\nmetadata: {name: [\n---\napiVersion: v1\nkind: Service\nmetadata: {name: c}\n---\nfoo: bar\n";
        let loaded = load("m.yaml", text.as_bytes(), &KindFilter::All, None);
        let names: Vec<_> = loaded.objects.iter().map(|o| o.name().to_owned()).collect();
        assert_eq!(names, ["a", "c"]);
        assert_eq!(loaded.errors.len(), 1);
        assert!(
            loaded.errors[0].position.line >= 7,
            "{:?}",
            loaded.errors[0]
        );
        assert_eq!(loaded.stats.skipped_not_objects, 1);
        assert_eq!(loaded.stats.documents, 4);
    }

    #[test]
    fn kubectl_list_json() {
        let text = r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "cde"}},
  {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "cde"}}
]}"#;
        let loaded = load("snap.json", text.as_bytes(), &KindFilter::All, None);
        assert_eq!(loaded.objects.len(), 2);
        assert_eq!(loaded.objects[1].id.namespace.as_deref(), Some("cde"));
        assert_eq!(loaded.objects[1].root.pos.line, 3);
        assert_eq!(loaded.objects[0].namespace(), None);
    }

    #[test]
    fn typed_api_lists_infer_item_kind() {
        let text =
            r#"{"apiVersion": "v1", "kind": "PodList", "items": [{"metadata": {"name": "p"}}]}"#;
        let loaded = load("pods.json", text.as_bytes(), &KindFilter::All, None);
        assert_eq!(loaded.objects[0].kind(), "Pod");
        assert_eq!(loaded.objects[0].api_version(), "v1");
    }

    #[test]
    fn unused_kinds_are_skipped_unparsed() {
        let text = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec: [broken\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n";
        let filter = KindFilter::Only(["Pod".to_owned()].into_iter().collect());
        let loaded = load("x.yaml", text.as_bytes(), &filter, None);
        assert_eq!(loaded.objects.len(), 1);
        assert!(loaded.errors.is_empty());
        assert_eq!(loaded.stats.skipped_unused_kinds, 1);
    }

    #[test]
    fn default_namespace_applies_to_namespaced_objects_only() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\n";
        let loaded = load(
            "x.yaml",
            text.as_bytes(),
            &KindFilter::All,
            Some("payments"),
        );
        assert_eq!(loaded.objects[0].namespace(), Some("payments"));
        assert!(loaded.objects[0].namespace_assumed);
        assert_eq!(loaded.objects[1].namespace(), None);
    }

    #[test]
    fn invalid_utf8_is_an_input_error() {
        let loaded = load("x.yaml", b"a: \xff\n", &KindFilter::All, None);
        assert_eq!(loaded.errors[0].kind, InputErrorKind::NotUtf8);
    }
}
