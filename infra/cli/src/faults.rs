//! Fault injection on the functions' path to DynamoDB, SQS and the Stripe stand-in.
//!
//! DynamoDB Local serialises transactions and never throttles, moto never fails, and the Stripe
//! stand-in is never slow: the faults AWS and Stripe do produce are injected here, in the meter
//! that already sits between the functions and those servers ([`crate::meter`]). A [`Plan`] is a
//! seed and a list of [`Rule`]s; each request a function makes is checked against the rules in
//! order, and the first whose roll comes up decides what happens to it ([`Kind`]).
//!
//! Replay: a rule's decision for its n-th matching request is a hash of (seed, rule index, n), so
//! the same seed injects the same faults at the same positions of each rule's request stream.
//! A sequential run replays exactly; under concurrency, which request is a rule's n-th depends on
//! timing, so narrow a rule (`function`, `op`, `matching`) to make a failing run repeatable.
//!
//! Control: `PUT /__local/faults` (a plan as JSON), `GET /__local/faults` (the plan and what was
//! injected, by kind), `DELETE /__local/faults` (off) on the control port, or `ferrocart faults`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Dynamodb,
    Sqs,
    Stripe,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// DynamoDB: `TransactionCanceledException` with a `TransactionConflict` reason on
    /// `TransactWriteItems`, `TransactionConflictException` on any other write. Not forwarded.
    Conflict,
    /// DynamoDB `ThrottlingException` (400). Not forwarded.
    Throttle,
    /// DynamoDB `ProvisionedThroughputExceededException` (400). Not forwarded.
    ThroughputExceeded,
    /// A 500 from the service (DynamoDB `InternalServerError`, SQS `InternalFailure`, Stripe
    /// `api_error`). Not forwarded.
    ServerError,
    /// Held for `delay_ms`, then a 504, not forwarded: a caller whose own timeout is shorter
    /// sees that timeout fire first.
    Timeout,
    /// Forwarded and committed, but the caller gets a 500 instead of the answer (the connection
    /// dropped after the write).
    LostAnswer,
    /// SQS: the message (or batch) is sent twice, and both copies are delivered.
    Duplicate,
    /// The calling function's sandbox process is killed (SIGKILL) before the request is
    /// forwarded: the function dies between its previous call and this one.
    Kill,
}

impl Kind {
    /// Whether the kind means something for the target.
    fn applies_to(self, target: Target) -> bool {
        use Kind::*;
        match target {
            Target::Dynamodb => !matches!(self, Duplicate),
            Target::Sqs => matches!(self, ServerError | Timeout | LostAnswer | Duplicate | Kill),
            // Stripe calls carry no function identity, so no process to kill.
            Target::Stripe => matches!(self, ServerError | Timeout | LostAnswer),
        }
    }
}

fn one() -> f64 {
    1.0
}

/// One kind of fault, for the requests it matches, at a rate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub target: Target,
    pub kind: Kind,
    /// The operation: a DynamoDB or SQS action (`TransactWriteItems`, `SendMessage`), or for
    /// Stripe the method and a path prefix (`POST /v1/payment_intents`). Any if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
    /// The calling function's logical id (`CheckoutFunction`). Any if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// Only requests whose path or body contains this text (an order id, a PaymentIntent id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching: Option<String>,
    /// Probability for each matching request, 0-1 (default 1).
    #[serde(default = "one")]
    pub rate: f64,
    /// Inject at most this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// `timeout`: how long the request is held (default 3000 ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Query and Scan answers cut at this many bytes (with a `LastEvaluatedKey`) instead of
    /// DynamoDB's 1 MB, so that a test shows pagination over a few small items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_bytes: Option<usize>,
}

impl Plan {
    /// The plan, or why it cannot be applied.
    pub fn validate(&self) -> Result<(), String> {
        if self.page_bytes == Some(0) {
            return Err("page_bytes must be at least 1".into());
        }
        for (i, r) in self.rules.iter().enumerate() {
            if !(0.0..=1.0).contains(&r.rate) {
                return Err(format!("rule {i}: rate must be between 0 and 1"));
            }
            if !r.kind.applies_to(r.target) {
                return Err(format!(
                    "rule {i}: {:?} faults do not apply to {:?}",
                    r.kind, r.target
                ));
            }
            if r.kind == Kind::Conflict && r.op.as_deref().is_some_and(|op| !is_write(op)) {
                return Err(format!("rule {i}: conflicts happen on writes only"));
            }
        }
        Ok(())
    }
}

/// DynamoDB operations a `TransactionConflict` can hit.
pub fn is_write(op: &str) -> bool {
    matches!(
        op,
        "PutItem" | "UpdateItem" | "DeleteItem" | "TransactWriteItems" | "BatchWriteItem"
    )
}

/// A request, as the rules see it.
pub struct Call<'a> {
    pub target: Target,
    pub op: &'a str,
    pub function: Option<&'a str>,
    /// Path and body, for `matching`.
    pub text: &'a str,
}

/// What to do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub kind: Kind,
    pub delay_ms: u64,
}

/// One injected fault, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct Injected {
    pub rule: usize,
    pub target: Target,
    pub kind: Kind,
    pub op: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub plan: Plan,
    /// Requests the rules saw (matched), per rule.
    pub matched: Vec<u64>,
    /// Faults injected, per rule.
    pub injected: Vec<u64>,
    /// Faults injected by `target kind` (`dynamodb conflict`), all rules together.
    pub by_kind: BTreeMap<String, u64>,
    /// The first [`LOG_LIMIT`] faults, in order.
    pub log: Vec<Injected>,
}

pub const LOG_LIMIT: usize = 5_000;

#[derive(Default)]
pub struct Faults(Mutex<Report>);

/// splitmix64: a well-mixed 64-bit hash, so each (seed, rule, n) gets an independent roll.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn roll(seed: u64, rule: usize, n: u64) -> f64 {
    let h = mix(seed ^ mix(rule as u64 ^ mix(n)));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

impl Faults {
    /// Installs a plan (counters start afresh).
    pub fn set(&self, plan: Plan) -> Result<(), String> {
        plan.validate()?;
        let n = plan.rules.len();
        if let Ok(mut r) = self.0.lock() {
            *r = Report {
                plan,
                matched: vec![0; n],
                injected: vec![0; n],
                ..Report::default()
            };
        }
        Ok(())
    }

    pub fn clear(&self) {
        let _ = self.set(Plan::default());
    }

    pub fn report(&self) -> serde_json::Value {
        self.0
            .lock()
            .map(|r| serde_json::to_value(&*r).unwrap_or_default())
            .unwrap_or_default()
    }

    /// Whether any rule is installed (without one, requests are not looked at).
    /// Where a Query or Scan answer is cut: the plan's `page_bytes`, else DynamoDB's 1 MB.
    pub fn page_bytes(&self) -> usize {
        self.0
            .lock()
            .ok()
            .and_then(|r| r.plan.page_bytes)
            .unwrap_or(crate::meter::PAGE_LIMIT_BYTES)
    }

    pub fn is_active(&self) -> bool {
        self.0.lock().is_ok_and(|r| !r.plan.rules.is_empty())
    }

    /// The fault to inject into this request, if any.
    pub fn decide(&self, call: &Call) -> Option<Decision> {
        let mut r = self.0.lock().ok()?;
        let seed = r.plan.seed;
        for i in 0..r.plan.rules.len() {
            let rule = &r.plan.rules[i];
            let matches = rule.target == call.target
                && rule.op.as_deref().is_none_or(|op| match call.target {
                    Target::Stripe => call.op.starts_with(op),
                    _ => call.op == op,
                })
                && rule
                    .function
                    .as_deref()
                    .is_none_or(|f| call.function == Some(f))
                && rule
                    .matching
                    .as_deref()
                    .is_none_or(|m| call.text.contains(m))
                && (rule.kind != Kind::Conflict || is_write(call.op))
                && (rule.kind != Kind::Kill || call.function.is_some());
            if !matches || rule.times.is_some_and(|t| r.injected[i] >= t) {
                continue;
            }
            let n = r.matched[i];
            r.matched[i] += 1;
            let (rate, kind, delay_ms) = {
                let rule = &r.plan.rules[i];
                (rule.rate, rule.kind, rule.delay_ms.unwrap_or(3_000))
            };
            if roll(seed, i, n) >= rate {
                continue;
            }
            let injected = Injected {
                rule: i,
                target: call.target,
                kind,
                op: call.op.to_string(),
                function: call.function.map(str::to_string),
            };
            r.injected[i] += 1;
            let name = |v: serde_json::Value| v.as_str().unwrap_or_default().to_string();
            let label = format!(
                "{} {}",
                name(serde_json::to_value(call.target).unwrap_or_default()),
                name(serde_json::to_value(kind).unwrap_or_default())
            );
            *r.by_kind.entry(label).or_default() += 1;
            if r.log.len() < LOG_LIMIT {
                r.log.push(injected);
            }
            return Some(Decision { kind, delay_ms });
        }
        None
    }
}

/// The answer a service gives for an injected fault (status, error type, body), in its protocol.
pub fn error_answer(
    target: Target,
    kind: Kind,
    op: &str,
    request: &serde_json::Value,
) -> (u16, String) {
    match target {
        Target::Dynamodb => {
            let (status, kind_name, message) = match kind {
                Kind::Conflict if op == "TransactWriteItems" => {
                    // One reason per action, as DynamoDB reports them: the first conflicted.
                    let n = request["TransactItems"]
                        .as_array()
                        .map_or(1, Vec::len)
                        .max(1);
                    let reasons: Vec<serde_json::Value> = (0..n)
                        .map(|i| {
                            if i == 0 {
                                serde_json::json!({"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"})
                            } else {
                                serde_json::json!({"Code": "None"})
                            }
                        })
                        .collect();
                    let codes: Vec<&str> = (0..n)
                        .map(|i| {
                            if i == 0 {
                                "TransactionConflict"
                            } else {
                                "None"
                            }
                        })
                        .collect();
                    let body = serde_json::json!({
                        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                        "message": format!("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]", codes.join(", ")),
                        "CancellationReasons": reasons,
                    });
                    return (400, body.to_string());
                }
                Kind::Conflict => (
                    400,
                    "TransactionConflictException",
                    "Transaction is ongoing for the item",
                ),
                Kind::Throttle => (
                    400,
                    "ThrottlingException",
                    "Rate of requests exceeds the allowed throughput.",
                ),
                Kind::ThroughputExceeded => (
                    400,
                    "ProvisionedThroughputExceededException",
                    "The level of configured provisioned throughput for the table was exceeded.",
                ),
                Kind::Timeout => (504, "InternalServerError", "Gateway timeout (injected)"),
                _ => (
                    500,
                    "InternalServerError",
                    "Internal server error (injected)",
                ),
            };
            let body = serde_json::json!({
                "__type": format!("com.amazonaws.dynamodb.v20120810#{kind_name}"),
                "message": message,
            });
            (status, body.to_string())
        }
        Target::Sqs => {
            let status = if kind == Kind::Timeout { 504 } else { 500 };
            let body = serde_json::json!({
                "__type": "com.amazonaws.sqs#InternalFailure",
                "message": "The request processing has failed because of an unknown error (injected).",
            });
            (status, body.to_string())
        }
        Target::Stripe => {
            let status = if kind == Kind::Timeout { 504 } else { 500 };
            let body = serde_json::json!({"error": {
                "type": "api_error",
                "message": "An unknown error occurred (injected).",
            }});
            (status, body.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call<'a>(op: &'a str, function: Option<&'a str>) -> Call<'a> {
        Call {
            target: Target::Dynamodb,
            op,
            function,
            text: "{\"order\":\"01ABC\"}",
        }
    }

    fn rule(kind: Kind, rate: f64) -> Rule {
        Rule {
            target: Target::Dynamodb,
            kind,
            op: None,
            function: None,
            matching: None,
            rate,
            times: None,
            delay_ms: None,
        }
    }

    fn pattern(seed: u64, rate: f64) -> Vec<bool> {
        let f = Faults::default();
        f.set(Plan {
            seed,
            rules: vec![rule(Kind::ServerError, rate)],
            ..Plan::default()
        })
        .unwrap();
        (0..2_000)
            .map(|_| f.decide(&call("GetItem", None)).is_some())
            .collect()
    }

    #[test]
    fn the_same_seed_replays_the_same_faults_and_the_rate_holds() {
        let a = pattern(7, 0.1);
        assert_eq!(a, pattern(7, 0.1));
        assert_ne!(a, pattern(8, 0.1));
        let hits = a.iter().filter(|x| **x).count();
        assert!((150..=250).contains(&hits), "{hits} of 2000 at 10%");
    }

    #[test]
    fn rules_narrow_by_function_operation_text_and_count() {
        let f = Faults::default();
        f.set(Plan {
            seed: 1,
            rules: vec![Rule {
                op: Some("TransactWriteItems".into()),
                function: Some("PaymentWebhook".into()),
                matching: Some("01ABC".into()),
                times: Some(2),
                ..rule(Kind::Conflict, 1.0)
            }],
            ..Plan::default()
        })
        .unwrap();
        assert_eq!(
            f.decide(&call("TransactWriteItems", Some("Checkout"))),
            None
        );
        assert_eq!(f.decide(&call("PutItem", Some("PaymentWebhook"))), None);
        let other = Call {
            text: "01XYZ",
            ..call("TransactWriteItems", Some("PaymentWebhook"))
        };
        assert_eq!(f.decide(&other), None);
        for _ in 0..2 {
            let d = f.decide(&call("TransactWriteItems", Some("PaymentWebhook")));
            assert_eq!(d.map(|d| d.kind), Some(Kind::Conflict));
        }
        assert_eq!(
            f.decide(&call("TransactWriteItems", Some("PaymentWebhook"))),
            None
        );
        let report = f.report();
        assert_eq!(report["injected"][0], 2);
        assert_eq!(report["by_kind"]["dynamodb conflict"], 2);
    }

    #[test]
    fn plans_that_mean_nothing_are_refused() {
        let bad_rate = Plan {
            seed: 0,
            rules: vec![rule(Kind::Throttle, 1.5)],
            ..Plan::default()
        };
        assert!(bad_rate.validate().is_err());
        let dup_on_dynamodb = Plan {
            seed: 0,
            rules: vec![rule(Kind::Duplicate, 0.1)],
            ..Plan::default()
        };
        assert!(dup_on_dynamodb.validate().is_err());
        let conflict_on_read = Plan {
            seed: 0,
            rules: vec![Rule {
                op: Some("GetItem".into()),
                ..rule(Kind::Conflict, 0.1)
            }],
            ..Plan::default()
        };
        assert!(conflict_on_read.validate().is_err());
        // Conflicts without an operation hit writes only.
        let f = Faults::default();
        f.set(Plan {
            seed: 0,
            rules: vec![rule(Kind::Conflict, 1.0)],
            ..Plan::default()
        })
        .unwrap();
        assert_eq!(f.decide(&call("Query", None)), None);
        assert!(f.decide(&call("UpdateItem", None)).is_some());
    }

    #[test]
    fn a_transaction_conflict_names_one_reason_per_action() {
        let req = serde_json::json!({"TransactItems": [{}, {}, {}]});
        let (status, body) =
            error_answer(Target::Dynamodb, Kind::Conflict, "TransactWriteItems", &req);
        assert_eq!(status, 400);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["CancellationReasons"].as_array().unwrap().len(), 3);
        assert_eq!(v["CancellationReasons"][0]["Code"], "TransactionConflict");
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .ends_with("[TransactionConflict, None, None]")
        );
    }
}
