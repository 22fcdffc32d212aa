use crate::rules::prelude::*;

/// Ports of protocols that carry credentials or data in clear text.
const INSECURE: &[(u16, &str)] = &[
    (21, "FTP"),
    (23, "Telnet"),
    (69, "TFTP"),
    (110, "POP3"),
    (143, "IMAP"),
    (512, "rexec"),
    (513, "rlogin"),
    (514, "rsh/syslog"),
    (2375, "the plain-text Docker API"),
];

declare_rule! {
    /// ## What it does
    /// Flags Service ports in in-scope namespaces whose `port` or numeric `targetPort` is
    /// that of a clear-text protocol (FTP 21, Telnet 23, TFTP 69, POP3 110, IMAP 143, the
    /// r-services 512–514, the unencrypted Docker API 2375), and port 80 on Services exposed
    /// outside the cluster (LoadBalancer, NodePort, externalIPs).
    ///
    /// ## Why is this bad?
    /// These protocols send credentials and data unencrypted. PCI DSS 1.2.6 requires
    /// security features for insecure services in use, and 2.2.5 a documented justification
    /// for each: a finding here is either removed or waived with that justification.
    ///
    /// ## How to fix
    /// Use the TLS variant (FTPS/SFTP, IMAPS, HTTPS on 443), or record a waiver naming the
    /// compensating control.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: files, namespace: payments}
    /// spec:
    ///   selector: {app: files}
    ///   ports: [{name: ftp, port: 21}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: files, namespace: payments}
    /// spec:
    ///   selector: {app: files}
    ///   ports: [{name: sftp, port: 2222}]
    /// ```
    pub(crate) struct InsecureProtocolPort {
        id: "KP2017",
        name: "insecure-protocol-port",
        summary: "Service exposes a clear-text protocol port",
        severity: Medium,
        target: Target::Kinds(&["Service"]),
        pci: ["1.2.6", "2.2.5"],
        tags: [],
    }
}

impl Rule for InsecureProtocolPort {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_object(&self, object: &Object, cx: &mut Context<'_>) {
        if !cx.scope().in_scope() {
            return;
        }
        let spec = object.root.get("spec");
        let external = matches!(
            spec.and_then(|s| s.get("type")).and_then(Node::as_str),
            Some("LoadBalancer" | "NodePort")
        ) || spec
            .and_then(|s| s.get("externalIPs"))
            .is_some_and(|ips| !ips.items().is_empty());
        let ports_ptr = JsonPointer::root().key("spec").key("ports");
        let ports = spec
            .and_then(|s| s.get("ports"))
            .map(Node::items)
            .unwrap_or_default();
        for (i, port) in ports.iter().enumerate() {
            for field in ["port", "targetPort"] {
                let Some(number) = port
                    .get(field)
                    .filter(|n| matches!(n.value, kubepci_model::Value::Int(_)))
                    .and_then(Node::as_i64)
                else {
                    continue;
                };
                let name = INSECURE
                    .iter()
                    .find(|(p, _)| i64::from(*p) == number)
                    .map(|(_, n)| *n)
                    .or((external && number == 80).then_some("plain HTTP on an external Service"));
                if let Some(name) = name {
                    cx.report(
                        ports_ptr.index(i).key(field),
                        format!("{field} {number} serves {name}, which is not encrypted"),
                    );
                    break;
                }
            }
        }
    }
}
