//! The `admission.k8s.io/v1` AdmissionReview wire format: the request as the apiserver sends
//! it (the object kept as raw JSON, so that the engine's loader reads exactly the bytes a
//! scan of the same manifest would) and the response.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The only AdmissionReview version the apiserver sends to `admissionReviewVersions: [v1]`.
pub const API_VERSION: &str = "admission.k8s.io/v1";

/// Group, version and kind.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GroupVersionKind {
    /// API group (`""` for core).
    #[serde(default)]
    pub group: String,
    /// Version.
    #[serde(default)]
    pub version: String,
    /// Kind.
    #[serde(default)]
    pub kind: String,
}

impl GroupVersionKind {
    /// As an `apiVersion`: `apps/v1`, or `v1` for the core group.
    #[must_use]
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// Who sent the request.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserInfo {
    /// User name.
    #[serde(default)]
    pub username: String,
    /// Groups.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// `request` of an AdmissionReview.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    /// Echoed in the response.
    pub uid: String,
    /// The object's kind (as converted for the webhook).
    pub kind: GroupVersionKind,
    /// `status`, `scale`, `ephemeralcontainers`…; empty for the main resource.
    #[serde(default)]
    pub sub_resource: String,
    /// The object's name (may be empty on CREATE with `generateName`).
    #[serde(default)]
    pub name: String,
    /// The namespace (empty for cluster-scoped objects).
    #[serde(default)]
    pub namespace: String,
    /// `CREATE`, `UPDATE`, `DELETE` or `CONNECT`.
    pub operation: String,
    /// The requester.
    #[serde(default)]
    pub user_info: UserInfo,
    /// The new object (absent on DELETE and CONNECT).
    #[serde(default)]
    pub object: Option<Box<RawValue>>,
    /// The old object (UPDATE, DELETE).
    #[serde(default)]
    pub old_object: Option<Box<RawValue>>,
    /// A dry run: the apiserver persists nothing; kubepci evaluates and records nothing beyond
    /// its log.
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// A decoded AdmissionReview.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionReview {
    /// Must be [`API_VERSION`].
    #[serde(default)]
    pub api_version: String,
    /// Must be `AdmissionReview`.
    #[serde(default)]
    pub kind: String,
    /// The request.
    pub request: Option<AdmissionRequest>,
}

/// Why a body is not an AdmissionReview kubepci can answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not JSON, or not of the AdmissionReview shape. Only the position and the class of
    /// the error are kept: serde's own message can quote the body's values.
    #[error("the body is not an AdmissionReview: {class} at line {line} column {column}")]
    Json {
        /// `syntax error`, `wrong shape`, `truncated JSON`.
        class: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// Another version or kind.
    #[error(
        "expected apiVersion {API_VERSION} and kind AdmissionReview, got `{api_version}` `{kind}`"
    )]
    Version {
        /// What was sent.
        api_version: String,
        /// What was sent.
        kind: String,
    },
    /// No `request`.
    #[error("the AdmissionReview has no request")]
    NoRequest,
    /// A `request.object` that is not a JSON object (null is allowed: absent).
    #[error("request.object is not a JSON object")]
    ObjectShape,
}

/// Decodes a request body.
///
/// # Errors
/// Not JSON, another version or kind, no request, or an object that is not a JSON object.
pub fn decode(body: &[u8]) -> Result<AdmissionRequest, DecodeError> {
    let review: AdmissionReview = serde_json::from_slice(body).map_err(|e| DecodeError::Json {
        class: match e.classify() {
            serde_json::error::Category::Io | serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "wrong shape",
            serde_json::error::Category::Eof => "truncated JSON",
        },
        line: e.line(),
        column: e.column(),
    })?;
    if review.api_version != API_VERSION || review.kind != "AdmissionReview" {
        return Err(DecodeError::Version {
            api_version: truncate(&review.api_version),
            kind: truncate(&review.kind),
        });
    }
    let mut request = review.request.ok_or(DecodeError::NoRequest)?;
    for object in [&mut request.object, &mut request.old_object] {
        if let Some(raw) = object {
            match raw.get().trim_start().as_bytes().first() {
                Some(b'{') => {}
                Some(b'n') if raw.get().trim() == "null" => *object = None,
                _ => return Err(DecodeError::ObjectShape),
            }
        }
    }
    Ok(request)
}

fn truncate(text: &str) -> String {
    text.chars().take(64).collect()
}

/// `response.status` of a denial.
#[derive(Debug, Serialize)]
pub struct Status {
    /// HTTP-like code the apiserver reports (403).
    pub code: u16,
    /// What the user sees.
    pub message: String,
    /// A machine-readable reason.
    pub reason: &'static str,
}

/// `response` of an AdmissionReview.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    /// The request's uid.
    pub uid: String,
    /// The verdict.
    pub allowed: bool,
    /// Why, for a denial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Warnings kubectl prints.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Recorded in the apiserver's audit event, prefixed with the webhook's name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
    /// A mutating answer: the base64 of a JSON patch (RFC 6902).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
}

impl AdmissionResponse {
    /// `JSONPatch` when the answer carries a patch.
    fn patch_type(&self) -> Option<&'static str> {
        self.patch.as_ref().map(|_| "JSONPatch")
    }
}

/// Encodes JSON patch operations as `response.patch` wants them (base64).
#[must_use]
pub fn json_patch(operations: &[serde_json::Value]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .encode(serde_json::to_vec(operations).unwrap_or_default())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResponseReview<'a> {
    api_version: &'static str,
    kind: &'static str,
    response: WithPatchType<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WithPatchType<'a> {
    #[serde(flatten)]
    response: &'a AdmissionResponse,
    #[serde(skip_serializing_if = "Option::is_none")]
    patch_type: Option<&'static str>,
}

/// Encodes a response as an AdmissionReview.
#[must_use]
pub fn encode(response: &AdmissionResponse) -> Vec<u8> {
    serde_json::to_vec(&ResponseReview {
        api_version: API_VERSION,
        kind: "AdmissionReview",
        response: WithPatchType {
            response,
            patch_type: response.patch_type(),
        },
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_real_request_and_keeps_the_object_bytes() {
        let body = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},"namespace":"pay","operation":"CREATE","userInfo":{"username":"alice","groups":["dev"]},"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}},"oldObject":null,"dryRun":true}}"#;
        let request = decode(body).expect("decodes");
        assert_eq!(request.uid, "u-1");
        assert_eq!(request.kind.kind, "Pod");
        assert_eq!(request.user_info.username, "alice");
        assert_eq!(request.dry_run, Some(true));
        assert!(request.old_object.is_none(), "null is absent");
        let object = request.object.expect("object");
        assert_eq!(
            object.get(),
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}"#
        );
    }

    #[test]
    fn refuses_other_shapes_with_a_reason() {
        for (body, want) in [
            (&b"not json"[..], "not an AdmissionReview"),
            (
                br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u","kind":{},"operation":"CREATE"}}"#,
                "expected apiVersion",
            ),
            (br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#, "no request"),
            (
                br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{},"operation":"CREATE","object":[1]}}"#,
                "not a JSON object",
            ),
        ] {
            let error = decode(body).expect_err("refused");
            assert!(error.to_string().contains(want), "{error}");
        }
    }

    #[test]
    fn errors_never_quote_the_body() {
        let body = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":["hunter2-password"],"kind":{},"operation":"CREATE"}}"#;
        let error = decode(body).expect_err("wrong shape").to_string();
        assert!(!error.contains("hunter2"), "{error}");
        assert!(error.contains("wrong shape"), "{error}");
    }

    #[test]
    fn encodes_the_response_envelope() {
        let response = AdmissionResponse {
            uid: "u-1".into(),
            allowed: false,
            status: Some(Status {
                code: 403,
                message: "no".into(),
                reason: "Forbidden",
            }),
            warnings: vec!["w".into()],
            audit_annotations: BTreeMap::from([("decision".to_owned(), "deny".to_owned())]),
            patch: None,
        };
        let json: serde_json::Value =
            serde_json::from_slice(&encode(&response)).expect("valid JSON");
        assert!(json["response"].get("patchType").is_none());
        assert_eq!(json["apiVersion"], API_VERSION);
        assert_eq!(json["kind"], "AdmissionReview");
        assert_eq!(json["response"]["uid"], "u-1");
        assert_eq!(json["response"]["allowed"], false);
        assert_eq!(json["response"]["status"]["code"], 403);
        assert_eq!(json["response"]["auditAnnotations"]["decision"], "deny");
    }

    #[test]
    fn a_patch_is_base64_json_with_its_type() {
        let op = serde_json::json!({"op": "replace", "path": "/spec/containers/0/image", "value": "r/x@sha256:ab"});
        let response = AdmissionResponse {
            uid: "u-2".into(),
            allowed: true,
            status: None,
            warnings: Vec::new(),
            audit_annotations: BTreeMap::new(),
            patch: Some(json_patch(std::slice::from_ref(&op))),
        };
        let json: serde_json::Value =
            serde_json::from_slice(&encode(&response)).expect("valid JSON");
        assert_eq!(json["response"]["patchType"], "JSONPatch");
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(json["response"]["patch"].as_str().expect("patch"))
            .expect("base64");
        let ops: serde_json::Value = serde_json::from_slice(&decoded).expect("JSON patch");
        assert_eq!(ops, serde_json::json!([op]));
    }
}
