//! The `segmentation:` section of `kubepci.yaml`.
//!
//! ```yaml
//! segmentation:
//!   podCidrs: [10.244.0.0/16]           # the cluster's pod network(s)
//!   allowedEgressCidrs: [203.0.113.0/24] # e.g. the payment processor
//!   zoneLabel: kubepci.io/zone
//!   dmzZones: [dmz]
//!   storesChdLabel: kubepci.io/stores-chd
//!   cdeIngressClasses: [internal]
//!   cdeGateways: [gateways/internal]
//!   securityLevelLabel: kubepci.io/security-level
//!   securityLevelTaint: kubepci.io/security-level
//! ```

use kubepci_netpol::IpSet;
use kubepci_rules::SegmentationSettings;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::ConfigError;

/// `segmentation:` as written. Every key is optional; absent keys keep their default.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawSegmentation {
    /// The cluster's pod network(s). An `ipBlock` overlapping them is taken to admit pods
    /// too. Default: every private range (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7),
    /// which is conservative; set the real pod CIDRs for a precise matrix.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub pod_cidrs: Option<Vec<serde_saphyr::Spanned<String>>>,
    /// Destinations egress from the CDE may be opened to without counting as allow-all
    /// (resolvers, the payment processor, an egress proxy). Default: none.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub allowed_egress_cidrs: Option<Vec<serde_saphyr::Spanned<String>>>,
    /// Namespace label naming the network zone. Default: `kubepci.io/zone`.
    #[serde(default)]
    pub zone_label: Option<String>,
    /// Zones that may receive traffic from outside the cluster. Default: `[dmz]`.
    #[serde(default)]
    pub dmz_zones: Option<Vec<String>>,
    /// Workload or pod label (value `"true"`) marking stores of cardholder data. Default:
    /// `kubepci.io/stores-chd`.
    #[serde(default)]
    pub stores_chd_label: Option<String>,
    /// IngressClasses approved for exposing CDE Services. Default: none.
    #[serde(default)]
    pub cde_ingress_classes: Option<Vec<String>>,
    /// Gateways (`namespace/name`) approved for routes to CDE Services. Default: none.
    #[serde(default)]
    pub cde_gateways: Option<Vec<String>>,
    /// Node and pod label naming the security level. Default: `kubepci.io/security-level`.
    #[serde(default)]
    pub security_level_label: Option<String>,
    /// Taint key of a security level's nodes (the value is the level). Default:
    /// `kubepci.io/security-level`.
    #[serde(default)]
    pub security_level_taint: Option<String>,
}

fn cidrs(
    file: &str,
    key: &str,
    list: &[serde_saphyr::Spanned<String>],
) -> Result<IpSet, ConfigError> {
    list.iter().try_fold(IpSet::empty(), |acc, cidr| {
        let set = IpSet::from_cidrs(&[cidr.value.as_str()]).map_err(|message| ConfigError {
            file: file.to_owned(),
            line: u32::try_from(cidr.referenced.line()).unwrap_or(0),
            column: u32::try_from(cidr.referenced.column()).unwrap_or(0),
            message: format!("segmentation.{key}: {message}"),
        })?;
        Ok(acc.union(&set))
    })
}

/// Validates the section into settings.
pub(crate) fn settings(
    file: &str,
    raw: RawSegmentation,
) -> Result<SegmentationSettings, ConfigError> {
    let mut s = SegmentationSettings::default();
    if let Some(list) = &raw.pod_cidrs {
        s.network.pod_cidrs = cidrs(file, "podCidrs", list)?;
    }
    if let Some(list) = &raw.allowed_egress_cidrs {
        s.allowed_egress_cidrs = cidrs(file, "allowedEgressCidrs", list)?;
    }
    if let Some(v) = raw.zone_label {
        s.network.zone_label = v;
    }
    if let Some(v) = raw.dmz_zones {
        s.network.dmz_zones = v;
    }
    if let Some(v) = raw.stores_chd_label {
        s.network.stores_chd_label = v;
    }
    if let Some(v) = raw.cde_ingress_classes {
        s.cde_ingress_classes = v;
    }
    if let Some(v) = raw.cde_gateways {
        s.cde_gateways = v;
    }
    if let Some(v) = raw.security_level_label {
        s.security_level_label = v;
    }
    if let Some(v) = raw.security_level_taint {
        s.security_level_taint = v;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use crate::load_config;

    #[test]
    fn segmentation_section_is_parsed_and_validated() {
        let config = load_config(
            "kubepci.yaml",
            "segmentation:\n  podCidrs: [10.244.0.0/16]\n  dmzZones: [dmz, edge]\n  cdeIngressClasses: [internal]\n",
        )
        .expect("valid");
        let s = &config.settings.segmentation;
        assert!(
            s.network
                .pod_cidrs
                .contains("10.244.1.1".parse().expect("ip"))
        );
        assert!(
            !s.network
                .pod_cidrs
                .contains("10.0.0.1".parse().expect("ip"))
        );
        assert_eq!(s.network.dmz_zones, ["dmz", "edge"]);
        assert_eq!(s.cde_ingress_classes, ["internal"]);
        assert_eq!(s.security_level_label, "kubepci.io/security-level");

        let err = load_config(
            "kubepci.yaml",
            "segmentation:\n  allowedEgressCidrs:\n    - 203.0.113.0/24\n    - not-a-cidr\n",
        )
        .expect_err("bad CIDR");
        assert_eq!(err.line, 4, "{err}");
        let err =
            load_config("kubepci.yaml", "segmentation:\n  podCidr: []\n").expect_err("unknown key");
        assert_eq!(err.line, 2, "{err}");
    }
}
