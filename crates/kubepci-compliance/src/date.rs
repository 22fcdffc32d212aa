//! Dates and times as the report writes them: `YYYY-MM-DD` and RFC 3339 UTC.

use time::{Date, OffsetDateTime};

pub(crate) use kubepci_engine::parse_date;

/// `YYYY-MM-DD`.
#[must_use]
pub fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// RFC 3339 in UTC with second precision (`2026-12-04T21:40:00Z`).
#[must_use]
pub fn format_time(time: OffsetDateTime) -> String {
    let t = time.to_offset(time::UtcOffset::UTC);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_date(t.date()),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub(crate) fn serialize<S: serde::Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_date(*date))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = OffsetDateTime::from_unix_timestamp(1_796_420_400).expect("valid");
        assert_eq!(format_time(t), "2026-12-04T21:40:00Z");
        assert_eq!(format_date(t.date()), "2026-12-04");
    }
}
