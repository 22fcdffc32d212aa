//! `kubepci keys`: signing keys for audit-log checkpoints.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use kubepci_checkpoint::NoteSigner;

use super::EXIT_OK;

#[derive(Debug, Args)]
pub(crate) struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Generate an Ed25519 key pair: PREFIX.key (private, mode 0600) and PREFIX.pub (public)
    Generate {
        /// Key name, which becomes the log's origin line (a schema-less URL such as
        /// `audit.example.com/prod`)
        #[arg(long)]
        name: String,
        /// Path prefix of the two files written
        #[arg(long)]
        out: PathBuf,
    },
}

fn create_new(path: &Path, mode: u32) -> anyhow::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))
}

pub(crate) fn run(args: KeysArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        KeysCommand::Generate { name, out } => {
            let signer = NoteSigner::generate(&name).context("generating the key")?;
            let private = PathBuf::from(format!("{}.key", out.display()));
            let public = PathBuf::from(format!("{}.pub", out.display()));
            if private.exists() || public.exists() {
                bail!(
                    "{} or {} already exists; refusing to overwrite a key",
                    private.display(),
                    public.display()
                );
            }
            let mut f = create_new(&private, 0o600)?;
            writeln!(f, "{}", signer.to_private_string())
                .and_then(|()| f.sync_all())
                .with_context(|| format!("writing {}", private.display()))?;
            let verifier = signer.verifier().to_string();
            let mut f = create_new(&public, 0o644)?;
            writeln!(f, "{verifier}")
                .and_then(|()| f.sync_all())
                .with_context(|| format!("writing {}", public.display()))?;
            super::write_stdout(format!("{verifier}\n").as_bytes())?;
            Ok(ExitCode::from(EXIT_OK))
        }
    }
}
