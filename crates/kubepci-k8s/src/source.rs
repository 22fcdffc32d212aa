//! Reading inputs: files, directories (recursive, `.yaml` `.yml` `.json`, in sorted order for a
//! deterministic scan) and stdin (`-`).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::{InputError, InputErrorKind};

/// Where an input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputPath {
    /// A file found on disk.
    File(PathBuf),
    /// Standard input.
    Stdin,
}

impl InputPath {
    /// How findings name this input.
    #[must_use]
    pub fn display_name(&self) -> String {
        match self {
            InputPath::File(p) => p.display().to_string(),
            InputPath::Stdin => "-".to_owned(),
        }
    }

    /// Reads the whole input.
    ///
    /// # Errors
    /// When the file or stdin cannot be read.
    pub fn read(&self) -> Result<Vec<u8>, InputError> {
        let mut buf = Vec::new();
        self.read_into(&mut buf)?;
        Ok(buf)
    }

    /// Reads the whole input into `buf` (cleared first), reusing its allocation: a scan keeps
    /// one buffer per thread instead of mapping fresh pages for every large file.
    ///
    /// # Errors
    /// When the file or stdin cannot be read.
    pub fn read_into(&self, buf: &mut Vec<u8>) -> Result<(), InputError> {
        buf.clear();
        let result = match self {
            InputPath::File(p) => std::fs::File::open(p).and_then(|mut f| f.read_to_end(buf)),
            InputPath::Stdin => std::io::stdin().lock().read_to_end(buf),
        };
        result.map(|_| ()).map_err(|e| InputError {
            file: self.display_name(),
            position: kubepci_model::Position::new(1, 1),
            kind: InputErrorKind::Io(e.to_string()),
        })
    }
}

/// Whether a path names a manifest file by its extension.
#[must_use]
pub fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Expands the command-line paths: `-` is stdin, a directory yields its manifest files
/// recursively in sorted order, a file is taken whatever its extension.
///
/// # Errors
/// A path that does not exist or a directory that cannot be walked is an input error.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<InputPath>, InputError> {
    let mut out = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            out.push(InputPath::Stdin);
            continue;
        }
        let err = |message: String| InputError {
            file: path.display().to_string(),
            position: kubepci_model::Position::new(1, 1),
            kind: InputErrorKind::Io(message),
        };
        let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
        if meta.is_dir() {
            for entry in walkdir::WalkDir::new(path)
                .sort_by_file_name()
                .follow_links(true)
            {
                let entry = entry.map_err(|e| err(e.to_string()))?;
                if entry.file_type().is_file() && is_manifest(entry.path()) {
                    out.push(InputPath::File(entry.into_path()));
                }
            }
        } else {
            out.push(InputPath::File(path.clone()));
        }
    }
    Ok(out)
}
