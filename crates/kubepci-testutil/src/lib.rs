//! Test support shared by kubepci's crates.
//!
//! Tests that use third-party data (conformance suites, the benchmark corpus) read it in place
//! from the shared data folder: `$KUBEPCI_SHARED`, or `../shared` beside the workspace. Where
//! it is absent such tests skip with a message; with `KUBEPCI_REQUIRE_SHARED=1` (CI sets it) a
//! missing folder or file fails the test instead, so CI can never pass by skipping.

use std::path::{Path, PathBuf};

/// The shared data folder, or `None` (after printing why) when it is absent and not required.
///
/// # Panics
/// When `KUBEPCI_REQUIRE_SHARED=1` and the folder or `relative` inside it is missing.
#[must_use]
pub fn shared_path(relative: &str) -> Option<PathBuf> {
    let root = std::env::var_os("KUBEPCI_SHARED").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        PathBuf::from,
    );
    let path = root.join(relative);
    if path.exists() {
        return Some(path);
    }
    let required = std::env::var("KUBEPCI_REQUIRE_SHARED").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "shared data {} is missing and KUBEPCI_REQUIRE_SHARED=1",
        path.display()
    );
    eprintln!(
        "skipping: shared data {} not found (set KUBEPCI_SHARED to the shared folder)",
        path.display()
    );
    None
}
