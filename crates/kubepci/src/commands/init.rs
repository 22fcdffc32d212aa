//! `kubepci init`: write a compliant starting point (kubepci-baseline) into a directory.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;

use super::{EXIT_OK, write_stdout};

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Directory to write into (created if missing)
    #[arg(short, long, value_name = "DIR", default_value = "kubepci-baseline")]
    out: PathBuf,
    /// The cardholder-data environment's namespace
    #[arg(short = 'n', long, value_name = "NS", default_value = "payments")]
    namespace: String,
    /// Where the API server sends audit events (`kubepci audit serve`'s /v1/k8s-audit)
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://kubepci-audit.kubepci-system.svc:8443/v1/k8s-audit"
    )]
    audit_url: String,
    /// The KMS v2 plugin's socket, for encrypting Secrets at rest
    #[arg(
        long,
        value_name = "URL",
        default_value = "unix:///var/run/kmsplugin/socket.sock"
    )]
    kms_endpoint: String,
    /// The KMS provider's name (stored with every Secret: never change it later)
    #[arg(long, value_name = "NAME", default_value = "kubepci-kms")]
    kms_name: String,
    /// Overwrite files that already exist
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(a: InitArgs) -> anyhow::Result<ExitCode> {
    let files = kubepci_baseline::generate(&kubepci_baseline::Options {
        namespace: a.namespace,
        audit_url: a.audit_url,
        kms_endpoint: a.kms_endpoint,
        kms_name: a.kms_name,
    })?;
    if !a.force {
        let existing: Vec<String> = files
            .iter()
            .map(|f| a.out.join(f.path))
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            bail!(
                "refusing to overwrite {} (use --force)",
                existing.join(", ")
            );
        }
    }
    let mut listing = String::new();
    for file in &files {
        let path = a.out.join(file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, &file.contents)
            .with_context(|| format!("writing {}", path.display()))?;
        listing.push_str(&format!("wrote {}\n", path.display()));
    }
    listing.push_str(&format!("check it: kubepci scan {}\n", a.out.display()));
    write_stdout(listing.as_bytes())?;
    Ok(ExitCode::from(EXIT_OK))
}
