//! Wall-clock helpers. Handlers take `now` from here once per request and pass it down,
//! so the pure parts (tokens, throttling windows) are testable with any instant.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch (status-history and payment-log sort keys).
pub fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// RFC 3339 timestamp (UTC, second precision) for a Unix time, e.g. `2026-11-21T19:58:00Z`.
pub fn rfc3339(unix: u64) -> String {
    let t = ::time::OffsetDateTime::from_unix_timestamp(unix as i64)
        .unwrap_or(::time::OffsetDateTime::UNIX_EPOCH);
    t.format(&::time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| unix.to_string())
}

/// The Unix time of an RFC 3339 timestamp (any offset); `None` if it is not one. A time before
/// 1970 is 0 (for a sale window, long past either way).
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    ::time::OffsetDateTime::parse(s, &::time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| u64::try_from(t.unix_timestamp()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_rfc3339() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_795_291_080), "2026-11-21T19:58:00Z");
    }
}
