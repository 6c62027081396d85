//! Feeds SQS consumers the way Lambda's event source mapping does: long-poll the queue, hand the
//! function a real SQS event of up to `BatchSize` records, then delete the records that succeeded.
//! With `ReportBatchItemFailures` only the ids the function returns in `batchItemFailures` stay on
//! the queue; if the invocation itself fails, all of them do. Records left on the queue come back
//! after the visibility timeout (shortened locally, see [`LOCAL_RETRY_SECONDS`]), and after
//! `maxReceiveCount` receives moto moves them to the DLQ.

use crate::lambda::{Outcome, Pool};
use crate::template::{SqsSource, queue_arn, queue_url};
use aws_sdk_sqs::types::MessageSystemAttributeName;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// Locally, a failed message becomes visible again after this many seconds instead of the queue's
/// visibility timeout (3-6 minutes in the template), so retries and the dead-letter redrive can be
/// watched and tested in seconds. The receive counting and the redrive itself are moto's, as in AWS.
pub const LOCAL_RETRY_SECONDS: i32 = 1;

async fn retry_soon<'a>(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    messages: impl Iterator<Item = &'a aws_sdk_sqs::types::Message>,
) {
    for m in messages {
        if let Some(handle) = m.receipt_handle()
            && let Err(e) = sqs
                .change_message_visibility()
                .queue_url(url)
                .receipt_handle(handle)
                .visibility_timeout(LOCAL_RETRY_SECONDS)
                .send()
                .await
        {
            crate::log::say!("[sqs] could not shorten a failed message's visibility: {e:?}");
        }
    }
}

pub fn spawn(sqs: aws_sdk_sqs::Client, source: SqsSource, queue_name: String, pool: Arc<Pool>) {
    tokio::spawn(async move {
        let url = queue_url(&queue_name);
        let arn = queue_arn(&queue_name);
        loop {
            let received = sqs
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(source.batch_size.clamp(1, 10) as i32)
                .wait_time_seconds(1)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .message_attribute_names("All")
                .send()
                .await;
            let messages = match received {
                Ok(out) => out.messages.unwrap_or_default(),
                Err(e) => {
                    crate::log::say!("[sqs] receive from {queue_name} failed: {e:?}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if messages.is_empty() {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            let records: Vec<Value> = messages
                .iter()
                .map(|m| {
                    let attrs: serde_json::Map<String, Value> = m
                        .attributes()
                        .map(|a| {
                            a.iter()
                                .map(|(k, v)| (k.as_str().to_string(), Value::String(v.clone())))
                                .collect()
                        })
                        .unwrap_or_default();
                    json!({
                        "messageId": m.message_id(),
                        "receiptHandle": m.receipt_handle(),
                        "body": m.body().unwrap_or(""),
                        "attributes": attrs,
                        "messageAttributes": {},
                        "md5OfBody": m.md5_of_body(),
                        "eventSource": "aws:sqs",
                        "eventSourceARN": arn,
                        "awsRegion": crate::template::REGION,
                    })
                })
                .collect();
            let event = json!({ "Records": records });
            let outcome = pool.invoke(event.to_string().into()).await;
            let failed: Option<HashSet<String>> = match outcome {
                Outcome::Response(payload) if source.report_batch_item_failures => {
                    let v: Value = serde_json::from_slice(&payload).unwrap_or(Value::Null);
                    Some(
                        v["batchItemFailures"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_string))
                            .collect(),
                    )
                }
                Outcome::Response(_) => Some(HashSet::new()),
                other => {
                    crate::log::say!(
                        "[sqs] {} failed on a batch from {queue_name}: {other:?}",
                        source.function
                    );
                    None
                }
            };
            let Some(failed) = failed else {
                retry_soon(&sqs, &url, messages.iter()).await;
                continue;
            };
            retry_soon(
                &sqs,
                &url,
                messages
                    .iter()
                    .filter(|m| failed.contains(m.message_id().unwrap_or_default())),
            )
            .await;
            for m in &messages {
                let id = m.message_id().unwrap_or_default();
                if failed.contains(id) {
                    continue;
                }
                if let Some(handle) = m.receipt_handle()
                    && let Err(e) = sqs
                        .delete_message()
                        .queue_url(&url)
                        .receipt_handle(handle)
                        .send()
                        .await
                {
                    crate::log::say!("[sqs] delete from {queue_name} failed: {e:?}");
                }
            }
            if !failed.is_empty() {
                crate::log::say!(
                    "[sqs] {} reported {} failed record(s) from {queue_name}",
                    source.function,
                    failed.len()
                );
            }
        }
    });
}
