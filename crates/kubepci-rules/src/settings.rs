//! Parameters some rules read, set from `kubepci.yaml`.

/// Rule parameters. The defaults are what a payments platform would expect.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Settings {
    // segmentation
    /// Network segmentation and security levels (`segmentation:` in `kubepci.yaml`).
    pub segmentation: SegmentationSettings,
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
