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
    /// Money went back: one per refund Stripe reports (`charge.refunded`, payment-webhook).
    Refund,
}

impl EmailKind {
    pub const ALL: [EmailKind; 5] = [
        EmailKind::OrderConfirmation,
        EmailKind::Shipped,
        EmailKind::PaymentFailed,
        EmailKind::OrderCancelled,
        EmailKind::Refund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::OrderConfirmation => "order_confirmation",
            EmailKind::Shipped => "shipped",
            EmailKind::PaymentFailed => "payment_failed",
            EmailKind::OrderCancelled => "order_cancelled",
            EmailKind::Refund => "refund",
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
    /// An admin's resend of the email (its id): sent once per resend, even though the order's
    /// own email of this kind went out before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resend: Option<String>,
    /// The refund email of one `charge.refunded` event (its Stripe event id): one email per
    /// refund, however often the event is delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<String>,
}

/// The account emails: each carries a single-use link, or tells the owner of an address
/// something was asked in its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountEmailKind {
    /// A password-reset link (`POST /auth/password-reset`), if the address has an account.
    PasswordReset,
    /// An email-verification link (registration, `POST /me/email-verification`).
    VerifyEmail,
    /// Someone registered with an address that already has an account: the owner is told (and
    /// the register answer stays the same, so it reveals nothing).
    AccountExists,
}

impl AccountEmailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountEmailKind::PasswordReset => "password_reset",
            AccountEmailKind::VerifyEmail => "verify_email",
            AccountEmailKind::AccountExists => "account_exists",
        }
    }
}

/// "Send this account email to this address." (email queue.) `request_id` names the HTTP request
/// that asked: at most one email per request, however often the message is delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEmailRequest {
    pub account_email: AccountEmailKind,
    pub email: String,
    pub request_id: String,
}

/// Either message the email queue carries.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum EmailMessage {
    Order(EmailRequest),
    Account(AccountEmailRequest),
}

/// A fresh id for the request that asks for an account email.
pub fn new_request_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Sends one account email request.
pub async fn request_account_email(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    msg: &AccountEmailRequest,
) -> Result<(), aws_sdk_sqs::Error> {
    let body = serde_json::to_string(msg).unwrap_or_default();
    sqs.send_message()
        .queue_url(queue_url)
        .message_body(body)
        .send()
        .await?;
    Ok(())
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
/// Asks the email consumer to send an order's email of `kind` again (an admin's resend, once
/// per `resend` id).
pub async fn request_resend(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    order_id: &OrderId,
    kind: EmailKind,
    resend: &str,
) -> Result<(), SendError> {
    send_one(
        sqs,
        queue_url,
        &EmailRequest {
            kind,
            order_id: order_id.clone(),
            resend: Some(resend.to_string()),
            refund: None,
        },
    )
    .await
}

/// Sends one email request on its own.
async fn send_one(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    req: &EmailRequest,
) -> Result<(), SendError> {
    let body = serde_json::to_string(req).unwrap_or_default();
    sqs.send_message()
        .queue_url(queue_url)
        .message_body(body)
        .send()
        .await
        .map_err(aws_sdk_sqs::Error::from)?;
    Ok(())
}

/// Asks for the refund email of one `charge.refunded` event (`event`: its Stripe id).
pub async fn request_refund_email(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    order_id: &OrderId,
    event: &str,
) -> Result<(), SendError> {
    send_one(
        sqs,
        queue_url,
        &EmailRequest {
            kind: EmailKind::Refund,
            order_id: order_id.clone(),
            resend: None,
            refund: Some(event.to_string()),
        },
    )
    .await
}

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
            resend: None,
            refund: None,
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
                order_id: id.clone(),
                resend: None,
                refund: None,
            })
            .unwrap(),
            r#"{"kind":"order_cancelled","order_id":"0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74"}"#
        );
        assert_eq!(
            serde_json::to_string(&EmailRequest {
                kind: EmailKind::Shipped,
                order_id: id.clone(),
                resend: Some("ab12".into()),
                refund: None,
            })
            .unwrap(),
            r#"{"kind":"shipped","order_id":"0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74","resend":"ab12"}"#
        );
        assert_eq!(
            serde_json::to_string(&EmailRequest {
                kind: EmailKind::Refund,
                order_id: id,
                resend: None,
                refund: Some("evt_1".into()),
            })
            .unwrap(),
            r#"{"kind":"refund","order_id":"0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74","refund":"evt_1"}"#
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
        let account = AccountEmailRequest {
            account_email: AccountEmailKind::PasswordReset,
            email: "a@b.co".into(),
            request_id: "r-1".into(),
        };
        let text = serde_json::to_string(&account).unwrap();
        assert_eq!(
            text,
            r#"{"account_email":"password_reset","email":"a@b.co","request_id":"r-1"}"#
        );
        assert_eq!(
            serde_json::from_str::<EmailMessage>(&text).unwrap(),
            EmailMessage::Account(account)
        );
        assert!(matches!(
            serde_json::from_str::<EmailMessage>(
                r#"{"kind":"shipped","order_id":"0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74"}"#
            ),
            Ok(EmailMessage::Order(_))
        ));
        assert!(serde_json::from_str::<EmailMessage>(r#"{"kind":"shipped"}"#).is_err());
    }
}
