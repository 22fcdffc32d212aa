//! The report door: PCI DSS v4.0.1 requirement by requirement, with the evidence behind each
//! status, for a QSA.
//!
//! - [`evidence`] gathers what a report is made from: the inputs with their SHA-256 digests,
//!   the scan (run now, or a saved `kubepci scan --format json` result), the segmentation
//!   verdict and, optionally, the audit store's latest checkpoint and whether the store
//!   verifies. It is the only module that reads files.
//! - [`attestation`] parses the attestation register: owners' attestations for what rules
//!   cannot decide, with evidence references and review dates.
//! - [`assess`] turns the evidence into a [`Report`] (pure): each requirement's status, the
//!   rules that ran, the objects they evaluated, findings, waivers and attestations; the
//!   scope statement; what needs attention first.
//! - [`render`] writes the report as one self-contained printable HTML file, Markdown (for
//!   pull-request comments) or JSON (`kubepci.report/v1`, schema in docs/report.schema.json).
//! - [`sign`] signs the JSON with an Ed25519 note key and verifies it.
//! - [`history`] turns a signed report into the summary appended to the audit log, and reads
//!   the sequence of them back as a compliance timeline.
//!
//! The requirement model is `kubepci_rules::pci`; a rule's requirements are read from the
//! scan's rule metadata, so every rule that ran counts under the requirements it names.

pub mod assess;
pub mod attestation;
mod date;
pub mod evidence;
pub mod history;
pub mod model;
pub mod render;
pub mod sign;

pub use assess::{Evidence, ScanSource, assess};
pub use attestation::{AttestationError, AttestationRegister, Entity, parse_attestations};
pub use date::{format_date, format_time};
pub use model::{Report, Status, schema};

/// Feeds arbitrary bytes to every parser of untrusted input in this crate (the attestation
/// register, a saved scan result, a saved segmentation report, a report to verify, a recorded
/// summary); the body of the `report_inputs` fuzz target and of a property test. It must never
/// panic.
pub fn fuzz_parse(data: &[u8]) {
    let key = kubepci_checkpoint::NoteSigner::from_seed("fuzz.example.com", [0x42; 32]).verifier();
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_attestations("fuzz.yaml", text);
    }
    let _ = evidence::parse_scan_result("fuzz.json", data);
    let _ = evidence::parse_segmentation(data);
    let _ = sign::verify(data, &key);
    let _ = serde_json::from_slice::<history::ReportSummary>(data);
}
