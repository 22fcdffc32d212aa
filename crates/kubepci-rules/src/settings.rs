//! Parameters some rules read, set from `kubepci.yaml`.

/// Rule parameters. The defaults are what a payments platform would expect.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Settings {}
