use crate::Day;
use crate::rules::prelude::*;
use crate::support::base64;

declare_rule! {
    /// ## What it does
    /// Flags Secrets of type `bootstrap.kubernetes.io/token` (kubeadm join tokens) that set
    /// no `expiration`, or whose expiration lies before the scan date. Secrets whose values
    /// were removed (a snapshot that drops Secret data) are skipped.
    ///
    /// ## Why is this bad?
    /// A bootstrap token lets whoever holds it register a node and obtain a node credential.
    /// A token without expiry stays valid forever, long after the node it was made for joined
    /// (PCI DSS 8.6.3 protects system-account credentials against misuse; 8.2.6 removes
    /// unused credentials). An expired token still stored means the token cleaner is off.
    ///
    /// ## How to fix
    /// Create tokens with a TTL (`kubeadm token create --ttl 1h`, the default is 24h) and
    /// delete tokens that are not needed (`kubeadm token delete`).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: bootstrap-token-abcdef, namespace: kube-system}
    /// type: bootstrap.kubernetes.io/token
    /// stringData:
    ///   token-id: abcdef
    ///   token-secret: "<redacted>"
    ///   usage-bootstrap-authentication: "true"
    ///   usage-bootstrap-signing: "true"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: bootstrap-token-abcdef, namespace: kube-system}
    /// type: bootstrap.kubernetes.io/token
    /// stringData:
    ///   token-id: abcdef
    ///   token-secret: "<redacted>"
    ///   expiration: "2026-06-01T12:00:00Z"
    ///   usage-bootstrap-authentication: "true"
    ///   usage-bootstrap-signing: "true"
    /// ```
    pub(crate) struct BootstrapTokenExpiry {
        id: "KP6016",
        name: "bootstrap-token-expiry",
        summary: "Bootstrap token never expires or has expired",
        severity: Medium,
        target: Target::Kinds(&["Secret"]),
        pci: ["8.6.3", "8.2.6"],
        tags: [],
    }
}

impl Rule for BootstrapTokenExpiry {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if object.root.get("type").and_then(Node::as_str) != Some("bootstrap.kubernetes.io/token") {
            return;
        }
        let string_data = object
            .root
            .get("stringData")
            .filter(|d| !d.entries().is_empty());
        let data = object.root.get("data").filter(|d| !d.entries().is_empty());
        let (expiration, pointer) = match (
            string_data.and_then(|d| d.get("expiration")),
            data.and_then(|d| d.get("expiration")),
        ) {
            (Some(value), _) => (
                value.as_str().map(str::to_owned),
                JsonPointer::root().key("stringData").key("expiration"),
            ),
            (None, Some(value)) => (
                value
                    .as_str()
                    .and_then(base64::decode)
                    .and_then(|b| String::from_utf8(b).ok()),
                JsonPointer::root().key("data").key("expiration"),
            ),
            (None, None) if string_data.is_some() || data.is_some() => {
                cx.report(
                    JsonPointer::root().key(if string_data.is_some() {
                        "stringData"
                    } else {
                        "data"
                    }),
                    "bootstrap token sets no expiration and stays valid until deleted",
                );
                return;
            }
            (None, None) => return, // values dropped: nothing to judge
        };
        let Some(expires) = expiration.as_deref().and_then(Day::parse) else {
            cx.report(
                pointer,
                "bootstrap token expiration is not an RFC 3339 timestamp",
            );
            return;
        };
        if let Some(today) = cx.settings.scan_day()
            && expires < today
        {
            cx.report(
                pointer,
                format!("bootstrap token expired on {expires} but is still stored: the token cleaner is not removing expired tokens"),
            );
        }
    }
}
