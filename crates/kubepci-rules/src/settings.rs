//! Parameters some rules read, set from `kubepci.yaml`.

/// Rule parameters. The defaults are what a payments platform would expect.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Settings {
    // --- credentials, card data and transport (KP3xxx, KP4xxx) ---
    /// The date of the scan. Certificate expiry is measured against it: rules never read the
    /// clock, so a scan is reproducible. The engine sets it; `None` skips date-dependent checks.
    pub as_of: Option<time::Date>,
    /// Days before its expiry a certificate is reported as expiring (default 30).
    pub certificate_expiry_warning_days: Option<u32>,
    /// The longest certificate lifetime accepted, in days (default 397, the CA/Browser Forum
    /// limit for public TLS certificates).
    pub max_certificate_lifetime_days: Option<u32>,
    /// StorageClasses accepted as encrypted for CDE volumes, besides those whose parameters
    /// show encryption.
    pub encrypted_storage_classes: Vec<String>,
}

impl Settings {
    /// Returns these settings with the scan date set.
    #[must_use]
    pub fn with_as_of(mut self, date: time::Date) -> Self {
        self.as_of = Some(date);
        self
    }

    /// [`Settings::certificate_expiry_warning_days`] or its default.
    #[must_use]
    pub fn certificate_expiry_warning_days(&self) -> u32 {
        self.certificate_expiry_warning_days.unwrap_or(30)
    }

    /// [`Settings::max_certificate_lifetime_days`] or its default.
    #[must_use]
    pub fn max_certificate_lifetime_days(&self) -> u32 {
        self.max_certificate_lifetime_days.unwrap_or(397)
    }
}
