//! The certificate inventory (PCI DSS 4.2.1.1): `kubepci scan --format certs` prints it for
//! people, `--format certs-json` as the `kubepci.certs/v1` JSON document.
//!
//! Rows come from [`kubepci_rules::inventory::certificates`]: cert-manager Certificates and
//! Issuers, `kubernetes.io/tls` Secrets (their certificate parsed), Secrets that Ingresses and
//! Gateways name but the input does not hold, and CA bundles of webhooks. Nothing here prints
//! key material: rows carry names, hosts, issuers, key sizes and dates only.

use std::fmt::Write as _;

use kubepci_engine::ScanReport;
use kubepci_rules::inventory::{CertificateEntry, EntryKind};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::RenderOptions;

/// Days from the report's date to an RFC 3339 expiry, when both are known.
fn days_left(report: &ScanReport, not_after: Option<&str>) -> Option<i64> {
    let t = OffsetDateTime::parse(not_after?, &Rfc3339).ok()?;
    Some((t.date() - report.as_of).whole_days())
}

fn heading(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Certificate => "Certificates",
        EntryKind::Reference => "Certificates referenced but not in the input",
        EntryKind::Issuer => "Issuers",
        EntryKind::CaBundle => "Trusted CA bundles",
    }
}

/// Renders the inventory for people: one block per entry, grouped by kind.
#[must_use]
pub fn render(report: &ScanReport, options: &RenderOptions) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "kubepci {} · certificate inventory (PCI DSS 4.2.1.1) · {} entries · as of {}",
        options.tool_version,
        report.certificates.len(),
        report.as_of
    );
    if report.certificates.is_empty() {
        out.push_str("\nNo certificates, TLS Secrets, issuers or CA bundles in the input.\n");
        return out;
    }
    let mut current = None;
    for e in &report.certificates {
        if current != Some(e.kind) {
            current = Some(e.kind);
            let _ = writeln!(out, "\n{}", heading(e.kind));
        }
        let at = e
            .location
            .as_ref()
            .map(|l| format!("  ({}:{})", l.file, l.line))
            .unwrap_or_default();
        let _ = writeln!(out, "\n  {}{at}", e.object);
        let mut field = |name: &str, value: String| {
            if !value.is_empty() {
                let _ = writeln!(out, "    {name:<9} {value}");
            }
        };
        field("secret", e.secret.clone().unwrap_or_default());
        field("hosts", e.hosts.join(", "));
        field("issuer", e.issuer.clone().unwrap_or_default());
        field("subject", e.subject.clone().unwrap_or_default());
        field(
            "key",
            e.key.as_ref().map(|k| k.describe()).unwrap_or_default(),
        );
        let validity = match (&e.not_before, &e.not_after) {
            (_, None) => String::new(),
            (from, Some(to)) => {
                let left = match days_left(report, Some(to)) {
                    Some(d) if d < 0 => format!(" (expired {} days ago)", -d),
                    Some(d) => format!(" ({d} days left)"),
                    None => String::new(),
                };
                match from {
                    Some(from) => format!("{from} → {to}{left}"),
                    None => format!("until {to}{left}"),
                }
            }
        };
        field("valid", validity);
        field("renewal", e.renewal.clone().unwrap_or_default());
        field("used by", e.used_by.join(", "));
    }
    out
}

/// The `kubepci.certs/v1` document.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a> {
    version: &'static str,
    tool: &'static str,
    tool_version: &'static str,
    as_of: String,
    certificates: &'a [CertificateEntry],
}

/// Renders the inventory as JSON.
#[must_use]
pub fn render_json(report: &ScanReport, options: &RenderOptions) -> String {
    let doc = Document {
        version: "kubepci.certs/v1",
        tool: "kubepci",
        tool_version: options.tool_version,
        as_of: report.as_of.to_string(),
        certificates: &report.certificates,
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
