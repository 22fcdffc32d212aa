//! RBAC and identity (PCI DSS 7.2, 7.3, 8.2, 8.6): who holds which permissions, through which
//! bindings. Rules read the RBAC index (`support::rbac`), built once per inventory.
//!
//! Rules about role *definitions* skip Kubernetes' own bootstrap roles (label
//! `kubernetes.io/bootstrapping: rbac-defaults` or a `system:` name), roles in exempt
//! namespaces and the rules of aggregating ClusterRoles (copies of the roles they aggregate,
//! which are checked themselves). The capability rules (escalation, exec, workload creation,
//! node proxy, admission configuration, CSR approval, evidence deletion) read rules that name
//! their resources; a rule with `*` in `resources` or `apiGroups` is reported once, by KP6002.

mod binding_to_missing_subject;
mod bootstrap_token_expiry;
mod cde_secret_foreign_reader;
mod cluster_admin_binding;
mod cluster_wide_secret_read;
mod generic_group_binding;
mod rbac_create_workloads;
mod rbac_csr_approval_token;
mod rbac_delete_evidence;
mod rbac_escalation_verbs;
mod rbac_node_proxy;
mod rbac_pod_exec;
mod rbac_webhook_write;
mod rbac_wildcard;
mod service_account_admin_role;
mod system_group_binding;

pub(crate) use binding_to_missing_subject::BindingToMissingSubject;
pub(crate) use bootstrap_token_expiry::BootstrapTokenExpiry;
pub(crate) use cde_secret_foreign_reader::CdeSecretForeignReader;
pub(crate) use cluster_admin_binding::ClusterAdminBinding;
pub(crate) use cluster_wide_secret_read::ClusterWideSecretRead;
pub(crate) use generic_group_binding::GenericGroupBinding;
pub(crate) use rbac_create_workloads::RbacCreateWorkloads;
pub(crate) use rbac_csr_approval_token::RbacCsrApprovalToken;
pub(crate) use rbac_delete_evidence::RbacDeleteEvidence;
pub(crate) use rbac_escalation_verbs::RbacEscalationVerbs;
pub(crate) use rbac_node_proxy::RbacNodeProxy;
pub(crate) use rbac_pod_exec::RbacPodExec;
pub(crate) use rbac_webhook_write::RbacWebhookWrite;
pub(crate) use rbac_wildcard::RbacWildcard;
pub(crate) use service_account_admin_role::ServiceAccountAdminRole;
pub(crate) use system_group_binding::SystemGroupBinding;

use crate::rules::prelude::*;
use crate::support::rbac::{Grant, Rbac, Role, rule_pointer};

/// The role definitions the definition rules check.
fn checked_roles<'a>(rbac: &'a Rbac, cx: &Context<'_>) -> Vec<&'a Role> {
    rbac.roles
        .iter()
        .filter(|r| r.object.is_some() && !r.system && !r.aggregating)
        .filter(|r| {
            !r.namespace
                .as_deref()
                .is_some_and(|ns| cx.settings.is_exempt_namespace(ns))
        })
        .collect()
}

/// Reports every rule (`rules[i]`) of a checked role for which `describe` returns what it
/// grants. With `explicit_only`, rules with `*` in `resources` or `apiGroups` are left to
/// KP6002, which reports each wildcard once instead of every capability it implies.
fn report_grants(
    cx: &mut Context<'_>,
    explicit_only: bool,
    describe: impl Fn(&Grant) -> Option<String>,
) {
    let rbac = Rbac::of(cx.inventory);
    for role in checked_roles(&rbac, cx) {
        let Some(index) = role.object else {
            continue;
        };
        let object = &cx.inventory.objects()[index];
        for grant in &role.grants {
            if explicit_only && grant.has_wildcard_target() {
                continue;
            }
            if let Some(what) = describe(grant) {
                cx.report_on(
                    object,
                    rule_pointer(grant),
                    format!("{} rule {} {what}", role.describe(), grant.index),
                );
            }
        }
    }
}

/// The verbs of `verbs` a grant allows on `resource` of `group` (every object).
fn allowed_verbs<'v>(
    grant: &Grant,
    verbs: &[&'v str],
    group: &str,
    resource: &str,
) -> Vec<&'v str> {
    verbs
        .iter()
        .copied()
        .filter(|v| grant.allows(v, group, resource))
        .collect()
}
