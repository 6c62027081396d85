//! order-archiver: the table's DynamoDB stream (orders turning paid only, by the event source
//! mapping's filter) → the data lake, one NDJSON object per batch and day (`ferrocart::lake`).
//!
//! - Each paid order's lines are read (they were written with the order and never change) and
//!   the order becomes one [`OrderPaid`] line. A batch's lines go into one object per day, named
//!   by the batch's first sequence number: a batch delivered again overwrites its objects with
//!   the same lines, and one S3 PUT carries up to a batch of orders.
//! - A failure to read lines or to write an object fails the batch from its first record
//!   (`batchItemFailures`): Lambda retries it, then sends its position to the dead-letter queue.
//! - A record that is not a readable order (a poison) is sent to the dead-letter queue with its
//!   reason and does not hold the stream up.

use ferrocart::consumer::BatchResponse;
use ferrocart::lake::{self, OrderPaid};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::state::OrderStatus;
use ferrocart::store::Store;
use ferrocart::store::orders::OrderItem;
use ferrocart::{keys, streams};
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use std::collections::BTreeMap;

/// How many orders' lines are read at once.
const READ_CONCURRENCY: usize = 16;

pub struct Context {
    pub store: Store,
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    /// Where the orders' days are, e.g. `orders/`.
    pub prefix: String,
    pub sqs: aws_sdk_sqs::Client,
    pub dead_letter_queue: String,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            s3: startup.s3(),
            bucket: startup.required("LAKE_BUCKET")?,
            prefix: startup.required("LAKE_ORDERS_PREFIX")?,
            sqs: startup.sqs(),
            dead_letter_queue: startup.required("LAKE_DEAD_LETTER_QUEUE_URL")?,
        })
    }
}

/// What one record asks of the lake.
#[derive(Debug)]
enum Decoded {
    /// An order that was just paid.
    Paid(Box<OrderItem>),
    /// Anything else (the filter should have kept it out): nothing to do.
    Other,
    Poison(String),
}

fn decode(record: &Value) -> Decoded {
    let r = match streams::Record::read(record) {
        Ok(r) => r,
        Err(reason) => return Decoded::Poison(reason),
    };
    let Some(id) = keys::order_of_partition(&r.pk) else {
        return Decoded::Other;
    };
    if r.sk != keys::order(&id).sk {
        return Decoded::Other;
    }
    let new = match streams::image::<OrderItem>(r.new_image, "new", "an order") {
        Ok(Some(order)) => order,
        Ok(None) => return Decoded::Other,
        Err(reason) => return Decoded::Poison(reason),
    };
    // Only the change into `paid` (the status table allows no other way in).
    let was = streams::image::<OrderItem>(r.old_image, "old", "an order")
        .ok()
        .flatten()
        .map(|o| o.status);
    if new.status != OrderStatus::Paid || was == Some(OrderStatus::Paid) {
        return Decoded::Other;
    }
    if new.paid_at.is_none() {
        return Decoded::Poison("a paid order without paid_at".into());
    }
    Decoded::Paid(Box::new(new))
}

pub async fn handle(
    ctx: &Context,
    event: LambdaEvent<Value>,
) -> Result<Value, lambda_runtime::Error> {
    let records = streams::records(&event.payload);
    Ok(serde_json::to_value(process(ctx, &records).await)?)
}

/// A batch from the stream: its paid orders written to the lake, poisons set aside.
pub async fn process(ctx: &Context, records: &[Value]) -> BatchResponse {
    let mut paid = Vec::new();
    let mut poisons = Vec::new();
    for record in records {
        match decode(record) {
            Decoded::Paid(order) => paid.push(*order),
            Decoded::Other => {}
            Decoded::Poison(reason) => poisons.push((record, reason)),
        }
    }
    if !paid.is_empty() {
        let first = records
            .first()
            .map(streams::sequence_number)
            .unwrap_or_default();
        if let Err(e) = archive(ctx, &paid, &first).await {
            tracing::error!(error = %e, "archiving paid orders failed; the batch will be retried");
            return streams::fail_from(records.first());
        }
        tracing::info!(orders = paid.len(), "paid orders archived");
    }
    if let Err(retry) = streams::set_aside(&ctx.sqs, &ctx.dead_letter_queue, &poisons).await {
        return retry;
    }
    BatchResponse::default()
}

/// The orders' lines, as one object per day named by `first` (the batch's first sequence number).
async fn archive(
    ctx: &Context,
    orders: &[OrderItem],
    first: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut days: BTreeMap<String, String> = BTreeMap::new();
    for chunk in orders.chunks(READ_CONCURRENCY) {
        let lines = futures_util::future::join_all(
            chunk.iter().map(|o| ctx.store.order_lines(&o.order_id)),
        )
        .await;
        for (order, lines) in chunk.iter().zip(lines) {
            let lines = lines?;
            let Some(event) = OrderPaid::of(order, &lines) else {
                continue;
            };
            let body = days.entry(event.day().to_string()).or_default();
            body.push_str(&serde_json::to_string(&event)?);
            body.push('\n');
        }
    }
    for (day, body) in days {
        ctx.s3
            .put_object()
            .bucket(&ctx.bucket)
            .key(lake::object_key(&ctx.prefix, &day, first))
            .content_type("application/x-ndjson")
            .body(body.into_bytes().into())
            .send()
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn record(sk: &str, old: Option<&str>, new: Option<Value>) -> Value {
        let id = "01900000-0000-7000-8000-000000000001";
        json!({
            "eventName": "MODIFY",
            "dynamodb": {
                "Keys": {"pk": {"S": format!("ORDER#{id}")}, "sk": {"S": sk}},
                "OldImage": old.map(|s| json!({"status": {"S": s}})),
                "NewImage": new,
                "SequenceNumber": "7",
            }
        })
    }

    #[test]
    fn only_the_change_into_paid_is_archived_and_unreadable_orders_are_poisons() {
        let status_only = json!({"status": {"S": "paid"}});
        // a line item, and a record that is not a stream record: nothing, and a poison
        assert!(matches!(
            decode(&record("LINE#x", None, None)),
            Decoded::Other
        ));
        assert!(matches!(decode(&json!({"x": 1})), Decoded::Poison(_)));
        // an order image missing its fields
        match decode(&record("ORDER", Some("pending_payment"), Some(status_only))) {
            Decoded::Poison(reason) => assert!(reason.starts_with("new image is not an order")),
            other => panic!("{other:?}"),
        }
        // a removal
        assert!(matches!(
            decode(&record("ORDER", Some("paid"), None)),
            Decoded::Other
        ));
    }
}
