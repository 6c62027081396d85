//! The local meter: the functions reach DynamoDB Local and SQS through a pass-through proxy that
//! counts what they ask for, so a journey's cost is measured, not estimated.
//!
//! - DynamoDB: every request is forwarded with `ReturnConsumedCapacity: INDEXES` (in place of
//!   none or `TOTAL`: the answer has the same total, and says which part the indexes took), and
//!   the units in each response are summed per operation, the indexes' part beside them, together
//!   with the number of items in transactions.
//! - SQS: requests are counted per action, and messages per batch.
//!
//! - Stripe: requests are counted per method and path (ids folded), only so that its faults
//!   ([`crate::faults`]) can be injected on the functions' path to it.
//!
//! Every request is first checked against the fault plan ([`crate::faults`]): it may be answered
//! with an injected error, delayed, forwarded twice, have its answer lost, or cost its caller its
//! process.
//!
//! `GET /__local/meter` on the control port returns the counters; `POST /__local/meter/reset`
//! zeroes them; `GET /__local/meter/sent` lists the messages the functions sent, by queue. Only the functions' traffic goes through the meter: the local stack's own SQS
//! poller and the tests talk to the servers directly.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default, Clone, Serialize)]
pub struct OpCount {
    pub requests: u64,
    /// Units DynamoDB Local reported (`ConsumedCapacity.CapacityUnits`).
    pub capacity_units: f64,
    /// The part of `capacity_units` that went to writing or reading global secondary indexes.
    pub index_units: f64,
    /// Items written in `TransactWriteItems` (each billed at 2 units per KB on AWS).
    pub transact_items: u64,
    /// Messages carried (SQS batches carry several).
    pub messages: u64,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Counters {
    pub dynamodb: BTreeMap<String, OpCount>,
    /// Units each global secondary index took, over every operation (by index name).
    pub dynamodb_indexes: BTreeMap<String, f64>,
    pub sqs: BTreeMap<String, OpCount>,
    pub stripe: BTreeMap<String, OpCount>,
}

/// One message a function sent to a queue (the most recent [`SENT_LOG_LIMIT`] are kept), so
/// tests can check what was enqueued even though the local consumers take the messages at once.
#[derive(Debug, Clone, Serialize)]
pub struct SentMessage {
    pub queue: String,
    pub body: String,
}

pub const SENT_LOG_LIMIT: usize = 20_000;

/// What the local IAM check knows: each function's DynamoDB and SQS grants, the table's key
/// names, and each queue's logical id by its local name.
#[derive(Default)]
pub struct Iam {
    pub grants: std::collections::HashMap<String, crate::iam::Grants>,
    pub keys: crate::iam::KeyNames,
    pub queue_ids: std::collections::HashMap<String, String>,
}

#[derive(Clone, Default)]
pub struct Meter(
    Arc<Mutex<Counters>>,
    Arc<Mutex<std::collections::VecDeque<SentMessage>>>,
    Arc<Iam>,
    /// Requests the policies would have denied, as `<function>: <access>` (first 1,000).
    Arc<Mutex<Vec<String>>>,
    /// The fault plan, and what it injected.
    Arc<crate::faults::Faults>,
);

/// The calling sandbox (`Checkout-7`, its SDK clients' app id) and its function (`Checkout`).
fn caller(headers: &HeaderMap) -> Option<(&str, &str)> {
    let label = ["x-amz-user-agent", "user-agent"]
        .iter()
        .filter_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .find_map(crate::iam::caller)?;
    Some((label, label.split('-').next().unwrap_or(label)))
}

impl Meter {
    pub fn new(iam: Iam) -> Self {
        Meter(
            Default::default(),
            Default::default(),
            Arc::new(iam),
            Default::default(),
            Default::default(),
        )
    }
    pub fn faults(&self) -> &crate::faults::Faults {
        &self.4
    }
    /// Requests the functions' policies would not allow, so far.
    pub fn denied(&self) -> Vec<String> {
        self.3.lock().map(|d| d.clone()).unwrap_or_default()
    }
    /// Checks a request against its caller's policy; logs and keeps what would be denied.
    fn check(&self, service: Service, headers: &HeaderMap, op: &str, request: &Value) {
        // Callers that are not functions (none go through the meter today) are not checked.
        let Some((function, grants)) =
            caller(headers).and_then(|(_, f)| self.2.grants.get_key_value(f))
        else {
            return;
        };
        let denied: Vec<String> = match service {
            Service::DynamoDb => crate::iam::accesses(op, request, &self.2.keys)
                .into_iter()
                .filter(|a| !crate::iam::allowed(&grants.tables, a))
                .map(|a| a.to_string())
                .collect(),
            Service::Stripe => Vec::new(),
            Service::Sqs => {
                let name = queue_name(request);
                let queue = self.2.queue_ids.get(name).map_or(name, String::as_str);
                if crate::iam::queue_allowed(&grants.queues, op, queue) {
                    Vec::new()
                } else {
                    vec![format!("sqs:{op} on {queue}")]
                }
            }
        };
        for access in denied {
            let line = format!("{function}: {access}");
            crate::log::say!("[iam] DENIED by the template's policy: {line}");
            if let Ok(mut d) = self.3.lock()
                && d.len() < 1_000
            {
                d.push(line);
            }
        }
    }
    pub fn sent(&self) -> Vec<SentMessage> {
        self.1
            .lock()
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }
    fn log_sent(&self, queue: &str, bodies: Vec<String>) {
        if let Ok(mut log) = self.1.lock() {
            for body in bodies {
                if log.len() == SENT_LOG_LIMIT {
                    log.pop_front();
                }
                log.push_back(SentMessage {
                    queue: queue.to_string(),
                    body,
                });
            }
        }
    }
    pub fn snapshot(&self) -> Counters {
        self.0.lock().map(|c| c.clone()).unwrap_or_default()
    }
    pub fn reset(&self) {
        if let Ok(mut c) = self.0.lock() {
            *c = Counters::default();
        }
    }
    fn record(&self, f: impl FnOnce(&mut Counters)) {
        if let Ok(mut c) = self.0.lock() {
            f(&mut c);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Service {
    DynamoDb,
    Sqs,
    Stripe,
}

impl Service {
    fn target(self) -> crate::faults::Target {
        match self {
            Self::DynamoDb => crate::faults::Target::Dynamodb,
            Self::Sqs => crate::faults::Target::Sqs,
            Self::Stripe => crate::faults::Target::Stripe,
        }
    }
}

/// A Stripe request's operation, `METHOD /path`, and its counting name with ids folded
/// (`GET /v1/payment_intents/{id}`).
fn stripe_op(method: &Method, uri: &Uri) -> (String, String) {
    let path = uri.path();
    let folded: Vec<&str> = path
        .split('/')
        .map(|seg| {
            if seg.len() > 3
                && seg[..3].ends_with('_')
                && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                "{id}"
            } else {
                seg
            }
        })
        .collect();
    (
        format!("{method} {path}"),
        format!("{method} {}", folded.join("/")),
    )
}

#[derive(Clone)]
struct Proxy {
    meter: Meter,
    service: Service,
    upstream: String,
    http: reqwest::Client,
}

/// A router forwarding everything to `upstream` (e.g. `http://127.0.0.1:8000`), counting as it goes.
pub fn router(meter: Meter, service: Service, upstream: String) -> Router {
    let proxy = Proxy {
        meter,
        service,
        upstream,
        http: crate::local::http(),
    };
    Router::new().fallback(forward).with_state(proxy)
}

const CAPACITY_OPS: &[&str] = &[
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
];

fn operation(headers: &HeaderMap, body: &[u8]) -> String {
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        return target.rsplit('.').next().unwrap_or(target).to_string();
    }
    // SQS's query protocol (Action=...), for older clients.
    String::from_utf8_lossy(body)
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action=").map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

/// The queue an SQS JSON request names (the last segment of its `QueueUrl`).
fn queue_name(request: &Value) -> &str {
    request["QueueUrl"]
        .as_str()
        .and_then(|u| u.rsplit('/').next())
        .unwrap_or_default()
}

/// The units of a `ConsumedCapacity` (one object, or a list for transactions and batches):
/// (all, and the part each global secondary index took).
fn units(v: &Value) -> (f64, BTreeMap<String, f64>) {
    let mut indexes = BTreeMap::new();
    let all = add_units(v, &mut indexes);
    (all, indexes)
}

fn add_units(v: &Value, indexes: &mut BTreeMap<String, f64>) -> f64 {
    match v {
        Value::Array(items) => items.iter().map(|i| add_units(i, indexes)).sum(),
        Value::Object(_) => {
            for (name, c) in v["GlobalSecondaryIndexes"]
                .as_object()
                .into_iter()
                .flatten()
            {
                *indexes.entry(name.clone()).or_default() +=
                    c["CapacityUnits"].as_f64().unwrap_or(0.0);
            }
            v["CapacityUnits"].as_f64().unwrap_or(0.0)
        }
        _ => 0.0,
    }
}

async fn forward(
    State(p): State<Proxy>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let (op, stripe_name) = match p.service {
        Service::Stripe => stripe_op(&method, &uri),
        _ => {
            let op = operation(&headers, &body);
            (op.clone(), op)
        }
    };
    let mut body = body;
    let mut request_json: Option<Value> = None;
    if p.service == Service::DynamoDb
        && let Ok(mut v) = serde_json::from_slice::<Value>(&body)
    {
        let asked = v.get("ReturnConsumedCapacity").and_then(Value::as_str);
        if CAPACITY_OPS.contains(&op.as_str()) && matches!(asked, None | Some("TOTAL")) {
            v["ReturnConsumedCapacity"] = Value::String("INDEXES".into());
            body = Bytes::from(serde_json::to_vec(&v).unwrap_or_default());
        }
        p.meter.check(Service::DynamoDb, &headers, &op, &v);
        request_json = Some(v);
    }
    if p.service == Service::Sqs {
        request_json = serde_json::from_slice::<Value>(&body).ok();
        if let Some(v) = &request_json {
            p.meter.check(Service::Sqs, &headers, &op, v);
        }
    }
    let path = uri.path_and_query().map(|x| x.as_str()).unwrap_or("/");
    let sandbox = caller(&headers);
    // Most runs install no faults: then the request's text is not even built.
    let fault = p
        .meter
        .faults()
        .is_active()
        .then(|| {
            let text = format!("{path} {}", String::from_utf8_lossy(&body));
            p.meter.faults().decide(&crate::faults::Call {
                target: p.service.target(),
                op: &op,
                function: sandbox.map(|(_, f)| f),
                text: &text,
            })
        })
        .flatten();
    use crate::faults::Kind;
    if let Some(d) = fault {
        crate::log::say!(
            "[faults] {:?} on {op} from {}",
            d.kind,
            sandbox.map_or("?", |(l, _)| l)
        );
        match d.kind {
            Kind::LostAnswer | Kind::Duplicate => {}
            Kind::Kill => {
                if let Some((label, _)) = sandbox {
                    crate::lambda::kill_sandbox(label).await;
                }
                return injected(p.service, Kind::ServerError, &op, request_json.as_ref());
            }
            Kind::Timeout => {
                tokio::time::sleep(std::time::Duration::from_millis(d.delay_ms)).await;
                return injected(p.service, d.kind, &op, request_json.as_ref());
            }
            kind => return injected(p.service, kind, &op, request_json.as_ref()),
        }
    }
    let send = || {
        let mut req = p
            .http
            .request(method.clone(), format!("{}{path}", p.upstream));
        for (name, value) in &headers {
            if name != "host" && name != "content-length" {
                req = req.header(name, value);
            }
        }
        req.body(body.clone()).send()
    };
    let answer = match send().await {
        Ok(r) => r,
        Err(e) => {
            return Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(Body::from(format!("meter: upstream failed: {e}")))
                .unwrap_or_default();
        }
    };
    let status = answer.status();
    let resp_headers = answer.headers().clone();
    let bytes = answer.bytes().await.unwrap_or_default();
    let bytes = if p.service == Service::DynamoDb
        && matches!(op.as_str(), "Query" | "Scan")
        && status.is_success()
    {
        page_limit(
            bytes,
            request_json.as_ref(),
            &p.meter.2.keys,
            p.meter.faults().page_bytes(),
        )
    } else {
        bytes
    };
    if fault.is_some_and(|d| d.kind == Kind::Duplicate) && status.is_success() {
        // At-least-once delivery: the same message sent again, delivered as a second copy.
        let _ = send().await;
    }
    match p.service {
        Service::Stripe => {
            p.meter
                .record(|c| c.stripe.entry(stripe_name).or_default().requests += 1);
        }
        Service::DynamoDb => {
            let (consumed, indexes) = serde_json::from_slice::<Value>(&bytes)
                .map(|v| units(&v["ConsumedCapacity"]))
                .unwrap_or_default();
            let transact_items = if op == "TransactWriteItems" && status.is_success() {
                request_json
                    .as_ref()
                    .and_then(|v| v["TransactItems"].as_array().map(|a| a.len() as u64))
                    .unwrap_or(0)
            } else {
                0
            };
            p.meter.record(|c| {
                let e = c.dynamodb.entry(op.clone()).or_default();
                e.requests += 1;
                e.capacity_units += consumed;
                e.index_units += indexes.values().sum::<f64>();
                for (name, u) in indexes {
                    *c.dynamodb_indexes.entry(name).or_default() += u;
                }
                e.transact_items += transact_items;
            });
        }
        Service::Sqs => {
            let messages = match op.as_str() {
                "SendMessage" => 1,
                "SendMessageBatch" | "DeleteMessageBatch" => request_json
                    .as_ref()
                    .and_then(|v| v["Entries"].as_array().map(|a| a.len() as u64))
                    .unwrap_or(0),
                _ => 0,
            };
            if status.is_success()
                && let Some(req) = &request_json
            {
                let queue = queue_name(req);
                let bodies: Vec<String> = match op.as_str() {
                    "SendMessage" => req["MessageBody"]
                        .as_str()
                        .map(str::to_string)
                        .into_iter()
                        .collect(),
                    "SendMessageBatch" => req["Entries"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|e| e["MessageBody"].as_str().map(str::to_string))
                        .collect(),
                    _ => Vec::new(),
                };
                p.meter.log_sent(queue, bodies);
            }
            p.meter.record(|c| {
                let e = c.sqs.entry(op.clone()).or_default();
                e.requests += 1;
                e.messages += messages;
            });
        }
    }
    if fault.is_some_and(|d| d.kind == Kind::LostAnswer) {
        return injected(p.service, Kind::ServerError, &op, request_json.as_ref());
    }
    let mut out = Response::builder().status(status);
    for (name, value) in &resp_headers {
        if name != "content-length" && name != "transfer-encoding" && name != "connection" {
            out = out.header(name, value);
        }
    }
    out.body(Body::from(bytes)).unwrap_or_default()
}

/// DynamoDB returns at most 1 MB of items per Query or Scan and says where it stopped
/// (`LastEvaluatedKey`); DynamoDB Local does not. This cuts a larger answer as DynamoDB does,
/// measuring items by their JSON size (a little more than DynamoDB's own count, so the cut
/// comes slightly early), so code that ignores the key is caught locally. (DynamoDB applies the
/// limit before a `FilterExpression`; here it applies to the filtered answer.)
pub const PAGE_LIMIT_BYTES: usize = 1024 * 1024;

fn page_limit(
    bytes: Bytes,
    request: Option<&Value>,
    keys: &crate::iam::KeyNames,
    limit_bytes: usize,
) -> Bytes {
    let Ok(mut v) = serde_json::from_slice::<Value>(&bytes) else {
        return bytes;
    };
    let Some(items) = v["Items"].as_array() else {
        return bytes;
    };
    let mut size = 0;
    let mut kept = 0;
    for item in items {
        size += serde_json::to_vec(item).map_or(0, |b| b.len());
        if size > limit_bytes {
            break;
        }
        kept += 1;
    }
    // An item is at most 400 KB, so DynamoDB's page always holds one: so does a smaller cut.
    let kept = kept.max(1);
    if kept >= items.len() {
        return bytes;
    }
    let last = &items[kept - 1];
    let mut names = keys.table_keys.clone();
    if let Some(index) = request.and_then(|r| r["IndexName"].as_str()) {
        names.extend(keys.index_keys.get(index).cloned().unwrap_or_default());
    }
    let lek: serde_json::Map<String, Value> = names
        .into_iter()
        .filter_map(|n| last.get(&n).map(|a| (n, a.clone())))
        .collect();
    let items: Vec<Value> = items[..kept].to_vec();
    v["Items"] = Value::Array(items);
    v["Count"] = kept.into();
    v["ScannedCount"] = kept.into();
    v["LastEvaluatedKey"] = Value::Object(lek);
    Bytes::from(serde_json::to_vec(&v).unwrap_or_default())
}

/// The service's own error answer for an injected fault.
fn injected(
    service: Service,
    kind: crate::faults::Kind,
    op: &str,
    request: Option<&Value>,
) -> Response<Body> {
    let (status, body) =
        crate::faults::error_answer(service.target(), kind, op, request.unwrap_or(&Value::Null));
    let content_type = match service {
        Service::Stripe => "application/json",
        _ => "application/x-amz-json-1.0",
    };
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    #[test]
    fn a_query_answer_over_1_mb_is_cut_where_dynamodb_cuts_it() {
        let item = |i: usize| {
            serde_json::json!({"pk": {"S": format!("P#{i}")}, "sk": {"S": "P"},
                "gsi1pk": {"S": "CAT#x"}, "gsi1sk": {"S": format!("{i}")},
                "description": {"S": "x".repeat(300_000)}})
        };
        let answer = serde_json::json!({"Items": (0..4).map(item).collect::<Vec<_>>(), "Count": 4});
        let keys = crate::iam::KeyNames {
            table_keys: vec!["pk".into(), "sk".into()],
            index_keys: [("gsi1".to_string(), vec!["gsi1pk".into(), "gsi1sk".into()])].into(),
            ..Default::default()
        };
        let req = serde_json::json!({"IndexName": "gsi1"});
        let cut = super::page_limit(
            serde_json::to_vec(&answer).unwrap().into(),
            Some(&req),
            &keys,
            super::PAGE_LIMIT_BYTES,
        );
        let v: serde_json::Value = serde_json::from_slice(&cut).unwrap();
        assert_eq!(v["Count"], 3);
        assert_eq!(v["Items"].as_array().unwrap().len(), 3);
        assert_eq!(
            v["LastEvaluatedKey"],
            serde_json::json!({"pk": {"S": "P#2"}, "sk": {"S": "P"}, "gsi1pk": {"S": "CAT#x"}, "gsi1sk": {"S": "2"}})
        );
        // Small answers pass untouched.
        let small = serde_json::json!({"Items": [{"pk": {"S": "a"}}], "Count": 1});
        let bytes: axum::body::Bytes = serde_json::to_vec(&small).unwrap().into();
        assert_eq!(
            super::page_limit(bytes.clone(), None, &keys, super::PAGE_LIMIT_BYTES),
            bytes
        );
    }

    #[test]
    fn consumed_capacity_is_summed_in_either_shape() {
        let one = serde_json::json!({"TableName": "t", "CapacityUnits": 2.0});
        let many = serde_json::json!([{"CapacityUnits": 1.0}, {"CapacityUnits": 0.5}]);
        assert_eq!(super::units(&one), (2.0, BTreeMap::new()));
        assert_eq!(super::units(&many), (1.5, BTreeMap::new()));
        assert_eq!(
            super::units(&serde_json::Value::Null),
            (0.0, BTreeMap::new())
        );
        // As DynamoDB Local answers `INDEXES` for a transaction that moved a row on an index.
        let indexed = serde_json::json!([{"TableName": "t", "CapacityUnits": 6.0,
            "Table": {"CapacityUnits": 2.0},
            "GlobalSecondaryIndexes": {"stock": {"CapacityUnits": 4.0}}}]);
        let both = serde_json::json!([indexed[0].clone(), {"CapacityUnits": 3.0,
            "GlobalSecondaryIndexes": {"stock": {"CapacityUnits": 1.0}, "gsi1": {"CapacityUnits": 1.0}}}]);
        assert_eq!(
            super::units(&both),
            (
                9.0,
                BTreeMap::from([("gsi1".to_string(), 1.0), ("stock".to_string(), 5.0)])
            )
        );
    }
}
