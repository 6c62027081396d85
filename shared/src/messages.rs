//! Queue messages, defined once for their senders and consumers.

use crate::ids::OrderId;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
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

/// "This order is paid: fulfil it." (`{"type": "order.paid", "order_id": ...}`, fulfilment queue.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderPaid {
    #[serde(rename = "type")]
    pub kind: OrderPaidType,
    pub order_id: OrderId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderPaidType {
    #[serde(rename = "order.paid")]
    OrderPaid,
}

impl OrderPaid {
    pub fn new(order_id: OrderId) -> Self {
        Self {
            kind: OrderPaidType::OrderPaid,
            order_id,
        }
    }
}

/// The customer emails the shop sends, at most one of each per order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    /// The order is paid (sent by order-fulfilment when it picks the order up).
    OrderConfirmation,
    /// The order left the warehouse(s), with tracking (order-fulfilment).
    Shipped,
    /// A payment attempt was declined; the order can still be paid (payment-webhook).
    PaymentFailed,
    /// The reservation expired unpaid and the order was cancelled (order-expiry).
    OrderCancelled,
}

impl EmailKind {
    pub const ALL: [EmailKind; 4] = [
        EmailKind::OrderConfirmation,
        EmailKind::Shipped,
        EmailKind::PaymentFailed,
        EmailKind::OrderCancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::OrderConfirmation => "order_confirmation",
            EmailKind::Shipped => "shipped",
            EmailKind::PaymentFailed => "payment_failed",
            EmailKind::OrderCancelled => "order_cancelled",
        }
    }
}

impl std::fmt::Display for EmailKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// "Send this email about this order." (email queue.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailRequest {
    pub kind: EmailKind,
    pub order_id: OrderId,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("SQS request failed: {0}")]
    Sqs(#[from] aws_sdk_sqs::Error),
    #[error("SQS did not accept {0} of the messages")]
    Partial(usize),
}

/// Sends emails for one order in one `SendMessageBatch` (at most 10). Re-sending is harmless: the
/// email consumer sends each (order, kind) once.
pub async fn request_emails(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    order_id: &OrderId,
    kinds: &[EmailKind],
) -> Result<(), SendError> {
    if kinds.is_empty() {
        return Ok(());
    }
    let mut batch = sqs.send_message_batch().queue_url(queue_url);
    for (i, kind) in kinds.iter().take(10).enumerate() {
        let body = serde_json::to_string(&EmailRequest {
            kind: *kind,
            order_id: order_id.clone(),
        })
        .unwrap_or_default();
        batch = batch.entries(
            SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(body)
                .build()
                .map_err(|e| SendError::Sqs(aws_sdk_sqs::Error::from(e)))?,
        );
    }
    let out = batch.send().await.map_err(aws_sdk_sqs::Error::from)?;
    if !out.failed().is_empty() {
        return Err(SendError::Partial(out.failed().len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_formats_are_pinned() {
        let id = OrderId::parse("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74").unwrap();
        assert_eq!(
            serde_json::to_string(&OrderPaid::new(id.clone())).unwrap(),
            r#"{"type":"order.paid","order_id":"0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74"}"#
        );
        assert_eq!(
            serde_json::to_string(&EmailRequest {
                kind: EmailKind::OrderCancelled,
                order_id: id
            })
            .unwrap(),
            r#"{"kind":"order_cancelled","order_id":"0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74"}"#
        );
        for k in EmailKind::ALL {
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        assert!(
            serde_json::from_str::<OrderPaid>(
                r#"{"type":"order.shipped","order_id":"0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74"}"#
            )
            .is_err()
        );
        assert!(
            serde_json::from_str::<EmailRequest>(
                r#"{"kind":"spam","order_id":"0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74"}"#
            )
            .is_err()
        );
    }
}
