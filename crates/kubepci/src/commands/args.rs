//! Argument parsers and process plumbing shared by the commands.

use std::time::Duration;

/// Parses `365d`, `24h`, `90m`, `30s`, `250ms`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?} needs a unit (ms, s, m, h, d)"))?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration"))?;
    let secs = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("unknown unit {unit:?} (use ms, s, m, h or d)")),
    };
    Ok(Duration::from_secs(secs))
}

/// Parses a size such as `12MiB`, `64MiB`, `4096`.
pub(crate) fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let (number, mult) = if let Some(n) = text.strip_suffix("GiB") {
        (n, 1 << 30)
    } else if let Some(n) = text.strip_suffix("MiB") {
        (n, 1 << 20)
    } else if let Some(n) = text.strip_suffix("KiB") {
        (n, 1 << 10)
    } else {
        (text, 1)
    };
    number
        .trim()
        .parse::<usize>()
        .map(|n| n * mult)
        .map_err(|_| format!("{text:?} is not a size (e.g. 12MiB)"))
}

/// Completes on Ctrl-C or SIGTERM (how Kubernetes stops a pod).
pub(crate) async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match term.as_mut() {
                Some(t) => { t.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(
            parse_duration("365d"),
            Ok(Duration::from_secs(365 * 86_400))
        );
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("5y").is_err());
        assert_eq!(parse_size("12MiB"), Ok(12 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").is_err());
    }
}
