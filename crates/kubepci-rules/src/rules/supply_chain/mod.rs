//! Images and vulnerabilities (PCI DSS 6.3, 6.5, 11.3): where images come from, how they are
//! referenced, and what the vulnerability scanner says about them.

mod image_latest_tag;
mod image_pull_policy;
mod image_registry_not_allowed;
mod image_signature_not_verified;
mod image_signature_required;
mod image_without_digest;
mod reports;
mod vulnerability_fix_overdue;
mod vulnerability_report_missing;
mod vulnerability_report_stale;

pub(crate) use image_latest_tag::ImageLatestTag;
pub(crate) use image_pull_policy::ImagePullPolicy;
pub(crate) use image_registry_not_allowed::ImageRegistryNotAllowed;
pub(crate) use image_signature_not_verified::ImageSignatureNotVerified;
pub(crate) use image_signature_required::ImageSignatureRequired;
pub(crate) use image_without_digest::ImageWithoutDigest;
pub(crate) use vulnerability_fix_overdue::VulnerabilityFixOverdue;
pub(crate) use vulnerability_report_missing::VulnerabilityReportMissing;
pub(crate) use vulnerability_report_stale::VulnerabilityReportStale;
