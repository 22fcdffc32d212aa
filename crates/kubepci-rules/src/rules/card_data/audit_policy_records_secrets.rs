use crate::rules::prelude::*;

/// Resources whose request or response bodies carry secrets: `(group, resource)`.
const SENSITIVE: &[(&str, &str)] = &[
    ("", "secrets"),
    ("", "configmaps"),
    ("authentication.k8s.io", "tokenreviews"),
    ("authentication.k8s.io", "tokenrequests"),
    ("", "serviceaccounts/token"),
];

/// Levels that log bodies.
fn logs_bodies(level: &str) -> bool {
    matches!(level, "Request" | "RequestResponse")
}

/// Whether an audit-policy `resources` entry list covers `(group, resource)`.
fn covers(rule: &Node, group: &str, resource: &str) -> bool {
    let Some(resources) = rule.get("resources") else {
        // No `resources`: every resource request, unless the rule is for non-resource URLs.
        return rule.get("nonResourceURLs").is_none();
    };
    let entries = resources.items();
    if entries.is_empty() {
        return true;
    }
    entries.iter().any(|entry| {
        let g = entry
            .get("group")
            .and_then(Node::as_str)
            .unwrap_or_default();
        if g != group && g != "*" {
            return false;
        }
        let names = entry.get("resources").map(Node::items).unwrap_or_default();
        names.is_empty()
            || names.iter().filter_map(Node::as_str).any(|r| {
                r == "*"
                    || r == resource
                    || (resource.contains('/')
                        && (r == format!("{}/*", resource.split('/').next().unwrap_or_default())
                            || r == format!(
                                "*/{}",
                                resource.rsplit('/').next().unwrap_or_default()
                            )))
            })
    })
}

/// Whether a rule applies only to some requests (some users, verbs, namespaces or names).
fn is_conditional(rule: &Node) -> bool {
    ["users", "userGroups", "verbs", "namespaces"]
        .iter()
        .any(|k| rule.get(k).is_some_and(|v| !v.items().is_empty()))
        || rule
            .get("resources")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .any(|e| {
                e.get("resourceNames")
                    .is_some_and(|v| !v.items().is_empty())
            })
}

declare_rule! {
    /// ## What it does
    /// Reads an API server audit policy (`audit.k8s.io/v1` `Policy`, passed to the scan as a
    /// file) and flags rules that log request or response bodies (`level: Request` or
    /// `RequestResponse`) of Secrets, ConfigMaps, TokenReviews or token requests before any
    /// rule that limits those resources to `Metadata` or `None` for every request. Audit
    /// policies apply the first matching rule, so the order matters.
    ///
    /// ## Why is this bad?
    /// A body-level audit entry for a Secret is the Secret: keys, passwords and any card
    /// number stored in it are copied into the audit log, which is shipped to log storage
    /// with its own, wider readership. PCI DSS 3.5.1 requires PAN to be unreadable wherever
    /// it is stored, and 10.2.1's audit logs must not become a store of secrets.
    ///
    /// ## How to fix
    /// Put a rule near the top of the policy that logs these resources at `Metadata` level:
    /// `- level: Metadata` with `resources: [{group: "", resources: [secrets, configmaps]},
    /// {group: authentication.k8s.io, resources: [tokenreviews]}]`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: audit.k8s.io/v1
    /// kind: Policy
    /// rules:
    ///   - level: RequestResponse
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: audit.k8s.io/v1
    /// kind: Policy
    /// rules:
    ///   - level: Metadata
    ///     resources:
    ///       - {group: "", resources: [secrets, configmaps, serviceaccounts/token]}
    ///       - {group: authentication.k8s.io, resources: [tokenreviews, tokenrequests]}
    ///   - level: RequestResponse
    /// ```
    pub(crate) struct AuditPolicyRecordsSecrets {
        id: "KP3203",
        name: "audit-policy-records-secrets",
        summary: "Audit policy logs the bodies of Secrets, ConfigMaps or token reviews",
        severity: High,
        target: Target::Kinds(&["Policy"]),
        pci: ["3.5.1", "10.2.1"],
        tags: [],
    }
}

impl Rule for AuditPolicyRecordsSecrets {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if object.group() != "audit.k8s.io" {
            return;
        }
        let rules = object
            .root
            .get("rules")
            .map(Node::items)
            .unwrap_or_default();
        // rule index → the resources it logs with bodies.
        let mut offending: Vec<(usize, Vec<&str>)> = Vec::new();
        for (group, resource) in SENSITIVE {
            for (i, rule) in rules.iter().enumerate() {
                if !covers(rule, group, resource) {
                    continue;
                }
                let level = rule.get("level").and_then(Node::as_str).unwrap_or("None");
                if logs_bodies(level) {
                    match offending.iter_mut().find(|(j, _)| *j == i) {
                        Some((_, list)) => list.push(resource),
                        None => offending.push((i, vec![resource])),
                    }
                    break;
                }
                if !is_conditional(rule) {
                    break;
                }
            }
        }
        offending.sort_by_key(|(i, _)| *i);
        for (i, resources) in offending {
            let level = rules[i]
                .get("level")
                .and_then(Node::as_str)
                .unwrap_or_default();
            let pointer = JsonPointer::root().key("rules").index(i);
            let pointer = if rules[i].get("level").is_some() {
                pointer.key("level")
            } else {
                pointer
            };
            cx.report(
                pointer,
                format!(
                    "rule {} logs bodies (level {level}) of {}: secrets and keys would be copied into the audit log",
                    i + 1,
                    resources.join(", ")
                ),
            );
        }
    }
}
