//! What every DynamoDB stream consumer shares: reading a record's keys and images, failing a
//! batch from a record (`batchItemFailures` with its sequence number: Lambda retries from it),
//! and setting an unreadable record aside on a dead-letter queue with its reason.

use crate::consumer::{BatchResponse, ItemFailure};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// A stream record as far as consumers read it.
#[derive(Debug)]
pub struct Record {
    pub pk: String,
    pub sk: String,
    pub new_image: Option<serde_dynamo::Item>,
    pub old_image: Option<serde_dynamo::Item>,
}

#[derive(Deserialize)]
struct Raw {
    dynamodb: RawData,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawData {
    keys: serde_dynamo::Item,
    #[serde(default)]
    new_image: Option<serde_dynamo::Item>,
    #[serde(default)]
    old_image: Option<serde_dynamo::Item>,
}

#[derive(Deserialize)]
struct RawKeys {
    pk: String,
    sk: String,
}

impl Record {
    /// The record's keys and images; `Err` says why it is not a readable stream record.
    pub fn read(record: &Value) -> Result<Self, String> {
        let r: Raw = serde_json::from_value(record.clone())
            .map_err(|e| format!("not a DynamoDB stream record: {e}"))?;
        let keys: RawKeys =
            serde_dynamo::from_item(r.dynamodb.keys).map_err(|e| format!("keys: {e}"))?;
        Ok(Self {
            pk: keys.pk,
            sk: keys.sk,
            new_image: r.dynamodb.new_image,
            old_image: r.dynamodb.old_image,
        })
    }
}

/// An image as `T`; the error names the attribute that did not fit (`which` is "new" or "old").
pub fn image<T: DeserializeOwned>(
    item: Option<serde_dynamo::Item>,
    which: &str,
    entity: &str,
) -> Result<Option<T>, String> {
    match item {
        None => Ok(None),
        Some(i) => serde_path_to_error::deserialize::<_, T>(
            serde_dynamo::Deserializer::from_attribute_value(serde_dynamo::AttributeValue::M(
                i.into_inner(),
            )),
        )
        .map(Some)
        .map_err(|e| format!("{which} image is not {entity}: {}: {}", e.path(), e.inner())),
    }
}

/// The record's sequence number (its `itemIdentifier` in a batch response).
pub fn sequence_number(record: &Value) -> String {
    record["dynamodb"]["SequenceNumber"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The records of a stream event (none if it has no `Records`).
pub fn records(event: &Value) -> Vec<Value> {
    event["Records"].as_array().cloned().unwrap_or_default()
}

/// Everything from `record` on is retried.
pub fn fail_from(record: Option<&Value>) -> BatchResponse {
    BatchResponse {
        batch_item_failures: record
            .map(|r| ItemFailure {
                item_identifier: sequence_number(r),
            })
            .into_iter()
            .collect(),
    }
}

/// Sends unreadable records to `queue` (`{"reason", "record"}`), in order. On a failure to send
/// one, the batch is retried from it (the ones before it were sent).
pub async fn set_aside(
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    poisons: &[(&Value, String)],
) -> Result<(), BatchResponse> {
    for (record, reason) in poisons {
        tracing::warn!(%reason, sequence = %sequence_number(record), "poison stream record");
        let body = json!({ "reason": reason, "record": record }).to_string();
        if let Err(e) = sqs
            .send_message()
            .queue_url(queue)
            .message_body(body)
            .send()
            .await
        {
            tracing::error!(error = ?e, "could not set a poison record aside; retrying from it");
            return Err(fail_from(Some(record)));
        }
    }
    Ok(())
}
