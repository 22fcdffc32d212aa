//! Go `time.ParseDuration` durations (`2160h`, `720h0m0s`, `1h30m`, `1.5h`), as cert-manager
//! and many controllers write them.

/// A duration in whole seconds, or `None` when the text is not a Go duration.
#[must_use]
pub fn parse_go_duration(text: &str) -> Option<i64> {
    let mut s = text.trim();
    let negative = s.starts_with('-');
    s = s.trim_start_matches(['-', '+']);
    if s == "0" {
        return Some(0);
    }
    if s.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !s.is_empty() {
        let number_len = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        if number_len == 0 {
            return None;
        }
        let value: f64 = s[..number_len].parse().ok()?;
        s = &s[number_len..];
        let unit_len = s
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(s.len());
        let seconds = match &s[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        s = &s[unit_len..];
        total += value * seconds;
    }
    if !total.is_finite() || total > 1e15 {
        return None;
    }
    // Whole seconds are all a certificate lifetime needs.
    #[allow(clippy::cast_possible_truncation)]
    let secs = total.round() as i64;
    Some(if negative { -secs } else { secs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("2160h"), Some(2160 * 3600));
        assert_eq!(parse_go_duration("720h0m0s"), Some(720 * 3600));
        assert_eq!(parse_go_duration("1h30m"), Some(5400));
        assert_eq!(parse_go_duration("1.5h"), Some(5400));
        assert_eq!(parse_go_duration("90s"), Some(90));
        assert_eq!(parse_go_duration("0"), Some(0));
        assert_eq!(parse_go_duration("-5m"), Some(-300));
        for bad in ["", "90d", "h", "1x", "abc", "1e400h"] {
            assert_eq!(parse_go_duration(bad), None, "{bad}");
        }
    }
}
