//! Queue messages, defined once for their senders and consumers.

use crate::ids::OrderId;
use serde::{Deserialize, Serialize};

/// SQS's longest message delay.
pub const MAX_DELAY_SECS: u64 = 900;

/// "Release this order's reservation if it is still unpaid at `expires_at`."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderExpiry {
    pub order_id: OrderId,
    pub expires_at: u64,
}

/// Sends an expiry message delayed until `expires_at` (or SQS's maximum; the consumer re-sends
/// for the rest).
pub async fn schedule_expiry(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    msg: &OrderExpiry,
    now: u64,
) -> Result<(), aws_sdk_sqs::Error> {
    let delay = msg.expires_at.saturating_sub(now).min(MAX_DELAY_SECS);
    let body = serde_json::to_string(msg).unwrap_or_default();
    sqs.send_message()
        .queue_url(queue_url)
        .message_body(body)
        .delay_seconds(delay as i32)
        .send()
        .await?;
    Ok(())
}
