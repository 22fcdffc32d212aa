//! Calendar days, for rules that measure ages (vulnerability SLAs, report freshness, token
//! expiry, support windows). Rules never read the clock: the day they measure against comes
//! from the settings or from the input.

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar day (proleptic Gregorian), counted from 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i64);

impl Day {
    /// The day `year-month-day`, if it exists.
    #[must_use]
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<Self> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Self(era * 146_097 + doe - 719_468))
    }

    /// Parses `YYYY-MM-DD`, or the date part of an RFC 3339 timestamp
    /// (`2024-05-01T10:00:00Z`).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let date = text.get(..10)?;
        let rest = &text[10..];
        if !(rest.is_empty()
            || rest.starts_with('T')
            || rest.starts_with('t')
            || rest.starts_with(' '))
        {
            return None;
        }
        let bytes = date.as_bytes();
        if bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let digits = |s: &str| -> Option<u32> {
            if s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse().ok()
            } else {
                None
            }
        };
        let year = digits(&date[..4])?;
        let month = digits(&date[5..7])?;
        let day = digits(&date[8..10])?;
        Self::from_ymd(i64::from(year), month, day)
    }

    /// Days from `earlier` to `self` (negative when `earlier` is later).
    #[must_use]
    pub fn days_since(self, earlier: Day) -> i64 {
        self.0 - earlier.0
    }

    /// `(year, month, day)`.
    #[must_use]
    pub fn ymd(self) -> (i64, u32, u32) {
        // Howard Hinnant's civil_from_days.
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        (
            y,
            u32::try_from(m).unwrap_or(1),
            u32::try_from(d).unwrap_or(1),
        )
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Day::parse(&text)
            .filter(|_| text.trim().len() == 10)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("`{text}` is not a date (expected YYYY-MM-DD)"))
            })
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for Day {
    fn schema_name() -> Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "description": "A calendar day, YYYY-MM-DD."
        })
    }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_counts_days() {
        let epoch = Day::from_ymd(1970, 1, 1).expect("valid");
        assert_eq!(epoch, Day(0));
        let d = Day::parse("2024-02-29T12:00:00Z").expect("leap day");
        assert_eq!(d.to_string(), "2024-02-29");
        assert_eq!(Day::parse("2024-03-30").expect("valid").days_since(d), 30);
        assert_eq!(
            Day::parse("2000-03-01").expect("valid").to_string(),
            "2000-03-01"
        );
        assert!(Day::parse("2023-02-29").is_none());
        assert!(Day::parse("2023-13-01").is_none());
        assert!(Day::parse("2023-1-01").is_none());
        assert!(Day::parse("20230101").is_none());
        assert!(Day::parse("2023-01-01X").is_none());
        assert!(Day::parse("").is_none());
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        let start = Day::from_ymd(1900, 1, 1).expect("valid");
        for offset in 0..146_097 {
            let day = Day(start.0 + offset);
            assert_eq!(Day::parse(&day.to_string()), Some(day));
        }
    }
}
