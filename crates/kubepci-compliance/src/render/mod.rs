//! The report's formats. Every renderer is a pure function of the [`Report`].

mod html;
mod markdown;

pub use html::render as html;
pub use markdown::render as markdown;

use crate::model::{Report, Status};

/// The JSON document, pretty-printed, with a trailing newline.
#[must_use]
pub fn json(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}

/// Colour of a status in the overview and badges (chosen to stay distinct in greyscale print).
pub(crate) const fn colour(status: Status) -> &'static str {
    match status {
        Status::NotInPlace => "#b71c1c",
        Status::AttestationOverdue => "#e65100",
        Status::NotAttested => "#f9a825",
        Status::NotTested => "#757575",
        Status::InPlaceWithWaivers => "#00838f",
        Status::Attested => "#66bb6a",
        Status::InPlace => "#1b5e20",
        Status::NotApplicable => "#cfd8dc",
    }
}

/// Text colour on a status background.
pub(crate) const fn ink(status: Status) -> &'static str {
    match status {
        Status::NotAttested | Status::Attested | Status::NotApplicable => "#111111",
        _ => "#ffffff",
    }
}

/// Most findings listed under one requirement in the HTML and Markdown (the JSON has all).
pub(crate) const FINDINGS_SHOWN: usize = 20;
