//! Business metrics as CloudWatch Embedded Metric Format (EMF): one JSON line on stdout per event,
//! which CloudWatch Logs turns into a metric (namespace `Ferrocart`, dimension `Stage`) with no API
//! call and no extra latency. The template's dashboard charts them.
//!
//! Each is emitted where the event becomes true exactly once (the transaction that placed the order,
//! the webhook delivery that applied the payment), so retries and duplicate deliveries do not count
//! twice.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub const NAMESPACE: &str = "Ferrocart";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    OrdersPlaced,
    /// Checkouts refused because a product had too little stock (or its price changed).
    StockOuts,
    PaymentsSucceeded,
    PaymentsFailed,
    EmailsSent,
    EmailsUndeliverable,
    ImagesResized,
    ImagesRejected,
    ColdStarts,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::OrdersPlaced => "OrdersPlaced",
            Metric::StockOuts => "StockOuts",
            Metric::PaymentsSucceeded => "PaymentsSucceeded",
            Metric::PaymentsFailed => "PaymentsFailed",
            Metric::EmailsSent => "EmailsSent",
            Metric::EmailsUndeliverable => "EmailsUndeliverable",
            Metric::ImagesResized => "ImagesResized",
            Metric::ImagesRejected => "ImagesRejected",
            Metric::ColdStarts => "ColdStarts",
        }
    }
}

/// The EMF document for one data point. `properties` are extra searchable fields (not dimensions,
/// so they cost nothing as metrics), e.g. the order id.
pub fn line(
    metric: Metric,
    value: f64,
    stage: &str,
    timestamp_ms: u64,
    properties: &[(&str, &str)],
) -> String {
    let mut doc = serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Stage"]],
                "Metrics": [{"Name": metric.name(), "Unit": "Count"}],
            }],
        },
        "Stage": stage,
        metric.name(): value,
    });
    if let Some(obj) = doc.as_object_mut() {
        for (k, v) in properties {
            obj.entry(*k).or_insert_with(|| (*v).into());
        }
    }
    doc.to_string()
}

fn stage() -> &'static str {
    static STAGE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    STAGE.get_or_init(|| std::env::var("STAGE").unwrap_or_else(|_| "local".into()))
}

/// Writes one data point to stdout (one `write` of one line, so lines never interleave).
pub fn emit(metric: Metric, value: f64, properties: &[(&str, &str)]) {
    let mut text = line(
        metric,
        value,
        stage(),
        crate::time::now_unix_ms(),
        properties,
    );
    text.push('\n');
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Counts one event.
pub fn count(metric: Metric, properties: &[(&str, &str)]) {
    emit(metric, 1.0, properties);
}

static COLD: AtomicBool = AtomicBool::new(true);
static STARTED: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// Call first thing in `main`: init time is measured from here.
pub fn process_started() {
    STARTED.get_or_init(Instant::now);
}

/// Call at the start of every invocation: the first one in a sandbox is logged as a cold start
/// (with the time since [`process_started`]) and counted; later ones do nothing.
pub fn invocation_started() {
    if COLD.swap(false, Ordering::Relaxed) {
        let init_ms = STARTED
            .get()
            .map(|t| t.elapsed().as_secs_f64() * 1000.0)
            .unwrap_or(0.0);
        tracing::info!(cold_start = true, init_ms, "cold start: first invocation");
        count(Metric::ColdStarts, &[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emf_line_declares_its_metric_and_dimension() {
        let l = line(
            Metric::OrdersPlaced,
            1.0,
            "prod",
            1_700_000_000_000,
            &[("order_id", "o-1"), ("Stage", "not-overwritten")],
        );
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        assert!(!l.contains('\n'));
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000u64);
        let m = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(m["Namespace"], "Ferrocart");
        assert_eq!(m["Dimensions"], serde_json::json!([["Stage"]]));
        assert_eq!(m["Metrics"][0]["Name"], "OrdersPlaced");
        assert_eq!(m["Metrics"][0]["Unit"], "Count");
        // Every dimension and metric named must be a top-level member.
        assert_eq!(v["Stage"], "prod");
        assert_eq!(v["OrdersPlaced"], 1.0);
        assert_eq!(v["order_id"], "o-1");
    }

    #[test]
    fn names_are_distinct() {
        let all = [
            Metric::OrdersPlaced,
            Metric::StockOuts,
            Metric::PaymentsSucceeded,
            Metric::PaymentsFailed,
            Metric::EmailsSent,
            Metric::EmailsUndeliverable,
            Metric::ImagesResized,
            Metric::ImagesRejected,
            Metric::ColdStarts,
        ];
        let mut names: Vec<_> = all.iter().map(|m| m.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
    }
}
