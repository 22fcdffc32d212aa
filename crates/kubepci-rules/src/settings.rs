//! Parameters some rules read, set from `kubepci.yaml`.

/// Rule parameters. The defaults are what a payments platform would expect.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Settings {
    // segmentation
    /// Network segmentation and security levels (`segmentation:` in `kubepci.yaml`).
    pub segmentation: SegmentationSettings,
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

// segmentation
/// Parameters of the segmentation, exposure and security-level rules and of
/// `kubepci segmentation`.
#[derive(Debug, Clone)]
pub struct SegmentationSettings {
    /// The network analysis: pod networks, zone label, DMZ zones, stores-chd label.
    pub network: kubepci_netpol::Options,
    /// Destinations CDE egress may reach without being "allow-all" (DNS resolvers, the
    /// payment processor).
    pub allowed_egress_cidrs: kubepci_netpol::IpSet,
    /// IngressClasses approved for exposing CDE Services.
    pub cde_ingress_classes: Vec<String>,
    /// Gateways (`namespace/name`) approved for routes to CDE Services.
    pub cde_gateways: Vec<String>,
    /// Node and pod label naming the security level.
    pub security_level_label: String,
    /// Taint key nodes of a security level carry (value: the level).
    pub security_level_taint: String,
}

/// The default security-level label and taint key.
pub const SECURITY_LEVEL_LABEL: &str = "kubepci.io/security-level";

impl Default for SegmentationSettings {
    fn default() -> Self {
        Self {
            network: kubepci_netpol::Options::default(),
            allowed_egress_cidrs: kubepci_netpol::IpSet::empty(),
            cde_ingress_classes: Vec::new(),
            cde_gateways: Vec::new(),
            security_level_label: SECURITY_LEVEL_LABEL.to_owned(),
            security_level_taint: SECURITY_LEVEL_LABEL.to_owned(),
        }
    }
}
