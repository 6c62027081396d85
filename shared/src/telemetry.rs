//! JSON logs. Lambda's runtime opens a span per invocation carrying `requestId`; every line logged
//! while handling it carries that span. The level is `RUST_LOG` (`error`, `warn`, `info`, `debug`,
//! `trace`; default `info`): a plain level, not an `EnvFilter` directive, which keeps the regex
//! engine that directives need out of every binary.

use tracing_subscriber::filter::LevelFilter;

/// The level a `RUST_LOG` value names (the last `target=level` part's level is accepted too, so
/// `info` and `ferrocart=debug` both work); unknown or empty → `info`.
pub fn level(value: Option<&str>) -> LevelFilter {
    value
        .and_then(|v| v.split(',').next_back())
        .map(|d| d.rsplit('=').next().unwrap_or(d).trim())
        .filter(|l| !l.is_empty())
        .and_then(|l| l.parse().ok())
        .unwrap_or(LevelFilter::INFO)
}

pub fn init() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_max_level(level(std::env::var("RUST_LOG").ok().as_deref()))
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_ansi(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_log_names_a_level() {
        assert_eq!(level(Some("debug")), LevelFilter::DEBUG);
        assert_eq!(level(Some("warn")), LevelFilter::WARN);
        assert_eq!(level(Some("ferrocart=trace")), LevelFilter::TRACE);
        assert_eq!(level(Some("nonsense")), LevelFilter::INFO);
        assert_eq!(level(Some("")), LevelFilter::INFO);
        assert_eq!(level(None), LevelFilter::INFO);
    }
}
