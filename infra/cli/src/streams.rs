//! Feeds DynamoDB stream consumers the way Lambda's event source mapping does: reads each shard
//! of DynamoDB Local's stream in order, drops the records no `FilterCriteria` pattern matches,
//! and hands the function real DynamoDB stream events of up to `BatchSize` records, gathered for
//! up to `MaximumBatchingWindowInSeconds` (capped at 1 s locally).
//!
//! A batch is retried until it succeeds: with `ReportBatchItemFailures`, from the first record the
//! function names (the ones before it are done); after an error, whole. After
//! `MaximumRetryAttempts` retries the rest of the batch is given up and, as AWS does, a message
//! naming its shard and sequence numbers goes to the `OnFailure` destination queue.

use crate::lambda::{Outcome, Pool};
use crate::template::{REGION, StreamSource};
use anyhow::{Context, Result, anyhow};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Locally, a failed batch is retried after this long.
const LOCAL_RETRY: Duration = Duration::from_secs(1);
/// The longest a batch is gathered for locally, whatever the template says.
const LOCAL_BATCHING_WINDOW: Duration = Duration::from_secs(1);

/// DynamoDB Local's stream API, called as JSON. (Not through the SDK: DynamoDB Local 3.3 writes an
/// empty map attribute in a stream image as `{}` rather than `{"M": {}}`, which the SDK refuses
/// to parse; [`repair`] puts it right.) It does not check signatures, but it keeps tables per
/// access key, so the request names the stack's key.
struct StreamApi {
    http: reqwest::Client,
    url: String,
}

impl StreamApi {
    async fn call(&self, operation: &str, body: Value) -> Result<Value> {
        let now = ferrocart::time::rfc3339(ferrocart::time::now_unix());
        let day: String = now.chars().filter(char::is_ascii_digit).take(8).collect();
        let r = self
            .http
            .post(&self.url)
            .header(
                "X-Amz-Target",
                format!("DynamoDBStreams_20120810.{operation}"),
            )
            .header("Content-Type", "application/x-amz-json-1.0")
            .header(
                "Authorization",
                format!(
                    "AWS4-HMAC-SHA256 Credential=local/{day}/{REGION}/dynamodb/aws4_request, \
                     SignedHeaders=host;x-amz-date, Signature=0000"
                ),
            )
            .body(body.to_string())
            .send()
            .await
            .with_context(|| operation.to_string())?;
        let status = r.status();
        let text = r.text().await?;
        if !status.is_success() {
            return Err(anyhow!("{operation}: {status}: {text}"));
        }
        Ok(serde_json::from_str(&text)?)
    }
}

/// An attribute value as DynamoDB's JSON form has it: `{}` (DynamoDB Local's empty map) becomes
/// `{"M": {}}`, and maps and lists are repaired inside.
pub fn repair(v: &mut Value) {
    let Value::Object(m) = v else { return };
    if m.is_empty() {
        m.insert("M".into(), json!({}));
        return;
    }
    if let Some(Value::Object(inner)) = m.get_mut("M") {
        for x in inner.values_mut() {
            repair(x);
        }
    }
    if let Some(Value::Array(inner)) = m.get_mut("L") {
        for x in inner.iter_mut() {
            repair(x);
        }
    }
}

/// A stream record as Lambda delivers it.
fn lambda_record(mut r: Value, stream_arn: &str) -> Value {
    if let Some(Value::Object(d)) = r.get_mut("dynamodb") {
        for image in ["Keys", "NewImage", "OldImage"] {
            if let Some(Value::Object(item)) = d.get_mut(image) {
                for v in item.values_mut() {
                    repair(v);
                }
            }
        }
    }
    if let Value::Object(m) = &mut r {
        m.insert("awsRegion".into(), json!(REGION));
        m.insert("eventSourceARN".into(), json!(stream_arn));
    }
    r
}

/// Lambda event filtering (the subset templates use): objects match key by key; a list matches
/// if the value equals one of its entries or one of `{"prefix"}`, `{"anything-but"}`,
/// `{"exists"}` holds.
pub fn matches(pattern: &Value, event: &Value) -> bool {
    match pattern {
        Value::Object(p) => p.iter().all(|(k, sub)| match sub {
            Value::Array(alts) if alts.iter().any(|a| a.get("exists").is_some()) => {
                let want = alts
                    .iter()
                    .find_map(|a| a.get("exists").and_then(Value::as_bool))
                    .unwrap_or(true);
                event.get(k).is_some() == want
            }
            _ => event.get(k).is_some_and(|v| matches(sub, v)),
        }),
        Value::Array(alts) => alts.iter().any(|a| match a {
            Value::Object(rule) => {
                if let Some(prefix) = rule.get("prefix").and_then(Value::as_str) {
                    event.as_str().is_some_and(|s| s.starts_with(prefix))
                } else if let Some(not) = rule.get("anything-but") {
                    match not {
                        Value::Array(v) => !v.contains(event),
                        other => other != event,
                    }
                } else {
                    false
                }
            }
            scalar => scalar == event,
        }),
        scalar => scalar == event,
    }
}

pub struct Feed {
    pub ddb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub table: String,
    pub source: StreamSource,
    /// The `OnFailure` destination's queue URL.
    pub on_failure: Option<String>,
    pub pool: Arc<Pool>,
}

pub fn spawn(feed: Feed) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = feed.run().await {
                crate::log::say!("[stream] {}: {e:#}; starting over", feed.source.function);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

struct Shard {
    id: String,
    parent: Option<String>,
    iterator: Option<String>,
}

fn api() -> StreamApi {
    StreamApi {
        http: crate::local::http(),
        url: format!("http://127.0.0.1:{}/", crate::services::DYNAMODB_PORT),
    }
}

impl Feed {
    async fn stream_arn(&self) -> Result<String> {
        let t = self
            .ddb
            .describe_table()
            .table_name(&self.table)
            .send()
            .await?;
        t.table()
            .and_then(|t| t.latest_stream_arn())
            .map(str::to_string)
            .ok_or_else(|| anyhow!("table {} has no stream", self.table))
    }

    async fn run(&self) -> Result<()> {
        let api = api();
        let arn = self.stream_arn().await?;
        let mut shards: Vec<Shard> = Vec::new();
        let mut finished: HashSet<String> = HashSet::new();
        let mut last_describe: Option<Instant> = None;
        loop {
            // New shards (DynamoDB rolls them over): read from their start once the parent is done.
            if last_describe.is_none_or(|t| t.elapsed() > Duration::from_secs(5)) {
                last_describe = Some(Instant::now());
                let d = api
                    .call("DescribeStream", json!({ "StreamArn": arn }))
                    .await?;
                for s in d["StreamDescription"]["Shards"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let Some(id) = s["ShardId"].as_str() else {
                        continue;
                    };
                    if finished.contains(id) || shards.iter().any(|k| k.id == id) {
                        continue;
                    }
                    shards.push(Shard {
                        id: id.to_string(),
                        parent: s["ParentShardId"].as_str().map(str::to_string),
                        iterator: None,
                    });
                }
            }
            let mut idle = true;
            for i in 0..shards.len() {
                let ready = shards[i]
                    .parent
                    .as_ref()
                    .is_none_or(|p| finished.contains(p) || !shards.iter().any(|s| &s.id == p));
                if !ready {
                    continue;
                }
                if shards[i].iterator.is_none() {
                    let it = api
                        .call(
                            "GetShardIterator",
                            json!({
                                "StreamArn": arn,
                                "ShardId": shards[i].id,
                                "ShardIteratorType": "TRIM_HORIZON",
                            }),
                        )
                        .await?;
                    shards[i].iterator = it["ShardIterator"].as_str().map(str::to_string);
                }
                let (records, next) = self.gather(&api, shards[i].iterator.clone()).await?;
                shards[i].iterator = next;
                if !records.is_empty() {
                    idle = false;
                    self.deliver(&arn, &shards[i].id, records).await;
                }
                if shards[i].iterator.is_none() {
                    finished.insert(shards[i].id.clone());
                }
            }
            shards.retain(|s| !finished.contains(&s.id));
            if idle {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }

    /// Up to a batch of records from `iterator`, gathered for the batching window.
    async fn gather(
        &self,
        api: &StreamApi,
        iterator: Option<String>,
    ) -> Result<(Vec<Value>, Option<String>)> {
        let mut out = Vec::new();
        let mut iterator = iterator;
        let window =
            Duration::from_secs(self.source.batching_window_secs).min(LOCAL_BATCHING_WINDOW);
        let started = Instant::now();
        while let Some(it) = iterator.clone() {
            let want = self.source.batch_size as usize - out.len();
            let page = api
                .call(
                    "GetRecords",
                    json!({ "ShardIterator": it, "Limit": want.min(1000) }),
                )
                .await?;
            iterator = page["NextShardIterator"].as_str().map(str::to_string);
            let got = page["Records"].as_array().cloned().unwrap_or_default();
            let empty = got.is_empty();
            out.extend(got);
            if out.len() >= self.source.batch_size as usize
                || (out.is_empty() && empty)
                || started.elapsed() >= window
            {
                break;
            }
            if empty {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok((out, iterator))
    }

    /// Invokes the function with the records that pass the filters, retrying as Lambda does.
    async fn deliver(&self, arn: &str, shard: &str, records: Vec<Value>) {
        let mut batch: Vec<Value> = records
            .into_iter()
            .map(|r| lambda_record(r, arn))
            .filter(|r| {
                self.source.filters.is_empty() || self.source.filters.iter().any(|p| matches(p, r))
            })
            .collect();
        let mut attempts = 0u32;
        while !batch.is_empty() {
            attempts += 1;
            let event = json!({ "Records": batch });
            let outcome = self.pool.invoke(event.to_string().into()).await;
            let failed_from: Option<usize> = match &outcome {
                Outcome::Response(payload) if self.source.report_batch_item_failures => {
                    let v: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
                    let ids: Vec<&str> = v["batchItemFailures"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|f| f["itemIdentifier"].as_str())
                        .collect();
                    if ids.is_empty() {
                        None
                    } else {
                        // The earliest named record; one Lambda cannot place fails the batch.
                        Some(
                            batch
                                .iter()
                                .position(|r| {
                                    ids.contains(
                                        &r["dynamodb"]["SequenceNumber"]
                                            .as_str()
                                            .unwrap_or_default(),
                                    )
                                })
                                .unwrap_or(0),
                        )
                    }
                }
                Outcome::Response(_) => None,
                other => {
                    crate::log::say!(
                        "[stream] {} failed on a batch of {}: {other:?}",
                        self.source.function,
                        batch.len()
                    );
                    Some(0)
                }
            };
            let Some(from) = failed_from else { return };
            batch.drain(..from);
            if attempts > self.source.max_retry_attempts {
                self.give_up(arn, shard, &batch, attempts).await;
                return;
            }
            crate::log::say!(
                "[stream] {} reported a failure; retrying {} record(s)",
                self.source.function,
                batch.len()
            );
            tokio::time::sleep(LOCAL_RETRY).await;
        }
    }

    async fn give_up(&self, arn: &str, shard: &str, batch: &[Value], attempts: u32) {
        let seq = |r: Option<&Value>| {
            r.and_then(|r| r["dynamodb"]["SequenceNumber"].as_str())
                .unwrap_or_default()
                .to_string()
        };
        crate::log::say!(
            "[stream] {} gave up on {} record(s) after {attempts} attempts",
            self.source.function,
            batch.len()
        );
        let Some(url) = &self.on_failure else { return };
        let message = json!({
            "requestContext": {
                "requestId": uuid::Uuid::new_v4().to_string(),
                "functionArn": format!("arn:aws:lambda:{REGION}:{}:function:{}", crate::template::ACCOUNT, self.source.function),
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "version": "1.0",
            "timestamp": ferrocart::time::rfc3339(ferrocart::time::now_unix()),
            "DDBStreamBatchInfo": {
                "shardId": shard,
                "startSequenceNumber": seq(batch.first()),
                "endSequenceNumber": seq(batch.last()),
                "batchSize": batch.len(),
                "streamArn": arn,
            },
        });
        if let Err(e) = self
            .sqs
            .send_message()
            .queue_url(url)
            .message_body(message.to_string())
            .send()
            .await
        {
            crate::log::say!("[stream] could not send to the on-failure queue: {e:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_patterns_match_as_lambda_does() {
        let mut images = json!({"images": {}, "tags": {"L": [{}]}});
        for v in images
            .as_object_mut()
            .into_iter()
            .flat_map(|m| m.values_mut())
        {
            repair(v);
        }
        assert_eq!(
            images,
            json!({"images": {"M": {}}, "tags": {"L": [{"M": {}}]}})
        );
        let product = json!({"eventName": "MODIFY", "dynamodb": {"Keys": {"pk": {"S": "PRODUCT#1"}, "sk": {"S": "PRODUCT"}}}});
        let stock = json!({"eventName": "MODIFY", "dynamodb": {"Keys": {"pk": {"S": "PRODUCT#1"}, "sk": {"S": "STOCK#main"}}}});
        let only_products = json!({"dynamodb": {"Keys": {"sk": {"S": ["PRODUCT"]}}}});
        assert!(matches(&only_products, &product));
        assert!(!matches(&only_products, &stock));
        let prefix = json!({"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "STOCK#"}]}}}});
        assert!(matches(&prefix, &stock) && !matches(&prefix, &product));
        let not_removes = json!({"eventName": [{"anything-but": ["REMOVE"]}]});
        assert!(matches(&not_removes, &product));
        assert!(!matches(&not_removes, &json!({"eventName": "REMOVE"})));
        let has_new = json!({"dynamodb": {"NewImage": [{"exists": true}]}});
        assert!(!matches(&has_new, &product));
        assert!(matches(
            &json!({"dynamodb": {"NewImage": [{"exists": false}]}}),
            &product
        ));
    }
}
