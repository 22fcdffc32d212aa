use crate::rules::prelude::*;

declare_rule! {
    /// ## What it does
    /// Flags Secrets of type `kubernetes.io/service-account-token` in in-scope namespaces
    /// (`cde`, `connected`, unscoped): long-lived API tokens for a service account.
    ///
    /// ## Why is this bad?
    /// Such a token never expires and is not bound to a pod: whoever copies it keeps API
    /// access until the Secret is deleted, long after the workload is gone. Since Kubernetes
    /// 1.22 pods receive short-lived, audience-bound projected tokens instead. PCI DSS 8.6.3
    /// requires application account credentials to be protected against misuse, and 8.2.6
    /// that unused credentials be removed.
    ///
    /// ## How to fix
    /// Delete the Secret. Workloads get projected tokens automatically; external clients
    /// request short-lived ones with `kubectl create token` or the TokenRequest API.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: ci-deployer-token
    ///   namespace: payments
    ///   annotations: {kubernetes.io/service-account.name: ci-deployer}
    /// type: kubernetes.io/service-account-token
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata: {name: ci-deployer, namespace: payments}
    /// automountServiceAccountToken: false
    /// ```
    pub(crate) struct LegacyServiceAccountToken {
        id: "KP3008",
        name: "legacy-service-account-token",
        summary: "Long-lived service-account token Secret in scope",
        severity: Medium,
        target: Target::Kinds(&["Secret"]),
        pci: ["8.6.3", "8.2.6"],
        tags: [],
    }
}

impl Rule for LegacyServiceAccountToken {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if !cx.scope().in_scope()
            || object.root.get("type").and_then(Node::as_str)
                != Some("kubernetes.io/service-account-token")
        {
            return;
        }
        let account = object
            .annotation("kubernetes.io/service-account.name")
            .unwrap_or("?");
        cx.report(
            JsonPointer::root().key("type"),
            format!("long-lived API token Secret for service account `{account}`; use short-lived projected tokens"),
        );
    }
}
