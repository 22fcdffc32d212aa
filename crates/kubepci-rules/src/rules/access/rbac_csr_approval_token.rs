use super::{allowed_verbs, report_grants};
use crate::rules::prelude::*;
use crate::support::rbac::RBAC_KINDS;

declare_rule! {
    /// ## What it does
    /// Flags rules of Roles and ClusterRoles that allow approving certificate signing
    /// requests (`update` or `patch` on `certificatesigningrequests/approval`, or `approve`
    /// on `signers`) or minting service-account tokens (`create` on `serviceaccounts/token`).
    /// Rules with `*` in `resources` or `apiGroups` are reported by KP6002.
    ///
    /// ## Why is this bad?
    /// An approved CSR for the `kube-apiserver-client` signer is a client certificate for
    /// any user name and group, `system:masters` included, that cannot be revoked; a token
    /// request yields a credential of any service account of the namespace. Both create
    /// identities outside the identity provider and the account lifecycle (PCI DSS 7.2.5,
    /// 8.6.3).
    ///
    /// ## How to fix
    /// Leave CSR approval to the controller manager and the node-bootstrap flow; let workloads
    /// receive tokens through projected volumes instead of the TokenRequest API.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: cert-helper}
    /// rules:
    ///   - apiGroups: [certificates.k8s.io]
    ///     resources: [certificatesigningrequests/approval]
    ///     verbs: [update]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: cert-helper}
    /// rules:
    ///   - apiGroups: [certificates.k8s.io]
    ///     resources: [certificatesigningrequests]
    ///     verbs: [get, list, watch]
    /// ```
    pub(crate) struct RbacCsrApprovalToken {
        id: "KP6009",
        name: "rbac-csr-approval-or-token",
        summary: "Role approves certificate requests or mints service-account tokens",
        severity: Medium,
        target: Target::Inventory(RBAC_KINDS),
        admission: Namespace,
        pci: ["7.2.5", "8.6.3"],
        tags: [],
    }
}

impl Rule for RbacCsrApprovalToken {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_inventory(&self, cx: &mut Context<'_>) {
        report_grants(cx, true, |grant| {
            let mut found = Vec::new();
            let approval = allowed_verbs(
                grant,
                &["update", "patch"],
                "certificates.k8s.io",
                "certificatesigningrequests/approval",
            );
            if !approval.is_empty() {
                found.push(format!(
                    "{} certificatesigningrequests/approval",
                    approval.join("/")
                ));
            }
            if grant.allows("approve", "certificates.k8s.io", "signers") {
                found.push("approve signers".to_owned());
            }
            if grant.allows("create", "", "serviceaccounts/token") {
                found.push("create serviceaccounts/token".to_owned());
            }
            (!found.is_empty()).then(|| format!("allows {}", found.join(", ")))
        });
    }
}
