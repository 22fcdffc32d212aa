//! Stored account data (PCI DSS 3.2–3.6): card numbers where they must not be, encryption
//! of the volumes that hold cardholder data, audit logs that would copy secrets, retention.

mod audit_policy_records_secrets;
mod card_number;
mod cde_native_secret;
mod cde_volume_without_encryption;
mod chd_volume_without_retention;
mod storage_class_unencrypted;
mod test_card_number;

pub(crate) use audit_policy_records_secrets::AuditPolicyRecordsSecrets;
pub(crate) use card_number::CardNumber;
pub(crate) use cde_native_secret::CdeNativeSecret;
pub(crate) use cde_volume_without_encryption::CdeVolumeWithoutEncryption;
pub(crate) use chd_volume_without_retention::ChdVolumeWithoutRetention;
pub(crate) use storage_class_unencrypted::StorageClassUnencrypted;
pub(crate) use test_card_number::TestCardNumber;

use kubepci_k8s::Object;
use kubepci_model::{JsonPointer, Node};

use crate::Context;
use crate::content::all_values;
use crate::pan::{self, PanMatch};

/// Label that marks workloads and volumes holding cardholder data.
pub(crate) const STORES_CHD_LABEL: &str = "kubepci.io/stores-chd";
/// Annotation that states how long data on a volume is kept.
pub(crate) const RETENTION_ANNOTATION: &str = "kubepci.io/retention";

/// Kinds whose free text the card-number rules scan.
pub(crate) const PAN_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "ConfigMap",
    "Secret",
    "Service",
    "Ingress",
    "Namespace",
    "ServiceAccount",
    "PersistentVolumeClaim",
];

/// The pointer one level up (`/data/a` → `/data`).
fn parent(pointer: &JsonPointer) -> JsonPointer {
    let s = pointer.as_str();
    s.rfind('/')
        .and_then(|i| JsonPointer::parse(&s[..i]))
        .unwrap_or_else(JsonPointer::root)
}

fn describe(matches: &[&PanMatch], text: &str, test: bool) -> String {
    let list: Vec<String> = matches
        .iter()
        .take(5)
        .map(|m| {
            let line = text[..m.start].matches('\n').count() + 1;
            let at = if text.contains('\n') {
                format!(" on line {line}")
            } else {
                String::new()
            };
            format!("{} {}{at}", m.brand, m.masked())
        })
        .collect();
    let more = matches.len().saturating_sub(5);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    let noun = match (test, matches.len()) {
        (false, 1) => "a card number",
        (false, _) => "card numbers",
        (true, 1) => "a well-known test card number",
        (true, _) => "well-known test card numbers",
    };
    format!("{noun}: {}{more}", list.join(", "))
}

/// Reports the card numbers (real ones, or test ones when `test`) in an object's free text:
/// one finding per field, masked. A number in a key or name is reported on the enclosing
/// mapping so that the pointer does not repeat it.
pub(crate) fn report_pans(object: &Object, cx: &mut Context<'_>, test: bool) {
    for text in all_values(object) {
        let place = text.place.describe();
        if let Some(key) = text.place.key() {
            let in_key: Vec<PanMatch> = pan::find(key)
                .into_iter()
                .filter(|m| m.test == test)
                .collect();
            if !in_key.is_empty() {
                let refs: Vec<&PanMatch> = in_key.iter().collect();
                let masked_place = mask_in(&place, &in_key, key);
                cx.report(
                    parent(&text.pointer),
                    format!(
                        "{masked_place} has {} in its name",
                        describe(&refs, key, test)
                    ),
                );
            }
        }
        let found = pan::find(&text.text);
        let hits: Vec<&PanMatch> = found.iter().filter(|m| m.test == test).collect();
        if hits.is_empty() {
            continue;
        }
        let place = match text.place.key() {
            Some(key) => {
                let in_key = pan::find(key);
                if in_key.is_empty() {
                    place
                } else {
                    mask_in(&place, &in_key, key)
                }
            }
            None => place,
        };
        let pointer = match text.place.key() {
            Some(key) if !pan::find(key).is_empty() => parent(&text.pointer),
            _ => text.pointer.clone(),
        };
        cx.report(
            pointer,
            format!("{place} holds {}", describe(&hits, &text.text, test)),
        );
    }
}

/// `place` with every card number of `key` replaced by its masked form.
fn mask_in(place: &str, matches: &[PanMatch], key: &str) -> String {
    let mut masked_key = key.to_owned();
    for m in matches.iter().rev() {
        masked_key.replace_range(m.start..m.end, &m.masked());
    }
    place.replace(key, &masked_key)
}

/// What the parameters of a StorageClass say about encryption at rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Encryption {
    /// The parameters request encryption (with a customer-managed key where the provider
    /// encrypts anyway).
    Encrypted,
    /// A known provisioner whose parameters do not request it; the text says what is missing.
    Missing(&'static str),
    /// A provisioner this check does not know.
    Unknown,
}

/// Whether a StorageClass requests encryption at rest, for the provisioners whose parameters
/// say so (AWS EBS, GCE PD, Azure Disk, Ceph RBD).
pub(crate) fn storage_class_encryption(class: &Object) -> Encryption {
    let provisioner = class
        .root
        .get("provisioner")
        .and_then(Node::as_str)
        .unwrap_or_default();
    let param = |name: &str| -> Option<String> {
        class
            .root
            .get("parameters")
            .map(Node::entries)
            .unwrap_or_default()
            .iter()
            .find(|e| e.key.eq_ignore_ascii_case(name))
            .and_then(|e| e.value.scalar_text())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    match provisioner {
        "ebs.csi.aws.com" | "kubernetes.io/aws-ebs" => {
            if param("encrypted").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
                Encryption::Encrypted
            } else {
                Encryption::Missing("parameters.encrypted: \"true\"")
            }
        }
        "pd.csi.storage.gke.io" | "kubernetes.io/gce-pd" => {
            if param("disk-encryption-kms-key").is_some() {
                Encryption::Encrypted
            } else {
                Encryption::Missing("parameters.disk-encryption-kms-key (a customer-managed key)")
            }
        }
        "disk.csi.azure.com" | "kubernetes.io/azure-disk" => {
            if param("diskEncryptionSetID").is_some() {
                Encryption::Encrypted
            } else {
                Encryption::Missing("parameters.diskEncryptionSetID (a customer-managed key)")
            }
        }
        p if p == "rbd.csi.ceph.com" || p.ends_with(".rbd.csi.ceph.com") => {
            if param("encrypted").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
                Encryption::Encrypted
            } else {
                Encryption::Missing("parameters.encrypted: \"true\"")
            }
        }
        _ => Encryption::Unknown,
    }
}

/// Whether a StorageClass is the cluster's default.
pub(crate) fn is_default_class(class: &Object) -> bool {
    [
        "storageclass.kubernetes.io/is-default-class",
        "storageclass.beta.kubernetes.io/is-default-class",
    ]
    .iter()
    .any(|a| class.annotation(a) == Some("true"))
}
