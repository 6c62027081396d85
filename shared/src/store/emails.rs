//! Customer emails: one record per (order, kind) makes each email go out at most once.
//!
//! A sender first *claims* the record (`sending`, with a lease), sends, then marks it `sent` (or
//! `undeliverable`, or `skipped`). A second message for the same (order, kind) finds the record
//! taken and does nothing. If a sender fails before sending, it releases the claim so SQS's retry
//! can take it; if it dies instead, the lease runs out and a retry takes it then.

use super::{Store, StoreError, condition_held, key_item, n, s};
use crate::ids::{OrderId, UserId};
use crate::keys;
use crate::messages::{AccountEmailKind, EmailKind};
use serde::{Deserialize, Serialize};

/// How long a claim protects a send in progress (longer than the email function's timeout).
pub const CLAIM_LEASE_SECS: u64 = 60;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailRecord {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub order_id: OrderId,
    pub kind: EmailKind,
    /// `sending` (claimed), `sent`, `undeliverable` (refused for good) or `skipped` (no longer
    /// relevant, e.g. a payment-failed email for an order paid meanwhile).
    pub status: String,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub claimed_until: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The provider's message id (SES `MessageId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// An admin's resend (`POST /admin/orders/{id}/emails/{kind}`): its id, from the request's
    /// `Idempotency-Key`. `None` for the order's own email of this kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resend: Option<String>,
    /// A refund email's `charge.refunded` event (its Stripe id); `None` for other kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<String>,
    pub updated_at: String,
}

/// One email about an order: its own of a kind, the refund email of one refund, or an admin's
/// resend of it. Each goes out at most once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEmail {
    pub order: OrderId,
    pub kind: EmailKind,
    pub resend: Option<String>,
    /// The `charge.refunded` event a refund email is about.
    pub refund: Option<String>,
}

/// Whether an order is (still) in a state its email of a kind is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relevance {
    Send,
    /// Not yet (a confirmation for an order not paid yet): a message is retried.
    NotYet(String),
    /// Never (a payment-failed email for an order paid meanwhile): recorded `skipped`.
    Skip(String),
}

/// The one rule for when an order's email of `kind` may go out (the email consumer, and the
/// admin's resend, which refuses what would not be sent).
pub fn relevance(kind: EmailKind, d: &super::details::OrderDetails) -> Relevance {
    let o = &d.order;
    let not_yet = |what: &str| Relevance::NotYet(format!("order {} {what}", o.order_id));
    match kind {
        EmailKind::OrderConfirmation if o.paid_at.is_none() => not_yet("is not paid"),
        EmailKind::Shipped if o.shipped_at.is_none() || d.shipments.is_empty() => {
            not_yet("has not shipped")
        }
        EmailKind::OrderCancelled if o.status != crate::state::OrderStatus::Cancelled => {
            not_yet("is not cancelled")
        }
        EmailKind::Refund if o.amount_refunded.unwrap_or(0) <= 0 => not_yet("has no refund"),
        EmailKind::PaymentFailed if o.status != crate::state::OrderStatus::PendingPayment => {
            Relevance::Skip(format!("order is {} now", o.status))
        }
        // A guest's email is an address nobody proved: it hears only of money that moved. An
        // unpaid guest order that failed or lapsed sends nothing, or anyone could have the shop
        // mail a stranger by checking out under their address and walking away.
        EmailKind::PaymentFailed | EmailKind::OrderCancelled
            if o.is_guest() && o.paid_at.is_none() =>
        {
            Relevance::Skip("an unpaid guest order: no email to an address nobody verified".into())
        }
        _ => Relevance::Send,
    }
}

/// How a claimed email ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailOutcome {
    Sent {
        to: String,
        subject: String,
        message_id: String,
    },
    Undeliverable {
        to: String,
        reason: String,
    },
    Skipped {
        reason: String,
    },
}

/// What an email record is about: an order's email of a kind, or the account email one request
/// asked for.
enum EmailAbout {
    Order(OrderEmail),
    Request(String, AccountEmailKind),
}

impl EmailAbout {
    /// (key, subject attribute, subject, kind)
    fn parts(&self) -> (keys::Key, &'static str, String, &'static str) {
        match self {
            EmailAbout::Order(e) => (
                match (&e.resend, &e.refund) {
                    (Some(r), _) => keys::order_email_resend(&e.order, e.kind.as_str(), r),
                    (None, Some(event)) => keys::order_refund_email(&e.order, event),
                    (None, None) => keys::order_email(&e.order, e.kind.as_str()),
                },
                "order_id",
                e.order.to_string(),
                e.kind.as_str(),
            ),
            EmailAbout::Request(r, k) => (
                keys::account_email(r, k.as_str()),
                "request_id",
                r.clone(),
                k.as_str(),
            ),
        }
    }
}

impl Store {
    /// Claims (order, kind) for sending. `Ok(false)` if it was sent, refused or skipped before, or
    /// another sender holds a live claim.
    pub async fn claim_email(&self, email: &OrderEmail, now: u64) -> Result<bool, StoreError> {
        self.claim(&EmailAbout::Order(email.clone()), now).await
    }

    /// Claims the one email a request asked for (as [`Store::claim_email`] does for an order's).
    pub async fn claim_account_email(
        &self,
        request_id: &str,
        kind: AccountEmailKind,
        now: u64,
    ) -> Result<bool, StoreError> {
        self.claim(&EmailAbout::Request(request_id.to_string(), kind), now)
            .await
    }

    async fn claim(&self, about: &EmailAbout, now: u64) -> Result<bool, StoreError> {
        let (key, subject_attr, subject, kind) = about.parts();
        // What the record says it is about, beside its order and kind.
        let about_attrs: Vec<(&str, String)> = match about {
            EmailAbout::Order(e) => [("resend", &e.resend), ("refund", &e.refund)]
                .into_iter()
                .filter_map(|(attr, v)| v.clone().map(|v| (attr, v)))
                .collect(),
            EmailAbout::Request(..) => Vec::new(),
        };
        let mut update = "SET entity = :entity, #subject = :order, kind = :kind, #st = :sending, \
             claimed_until = :until, updated_at = :at"
            .to_string();
        for (attr, _) in &about_attrs {
            update.push_str(&format!(", {attr} = :{attr}"));
        }
        update.push_str(" ADD attempts :one");
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&key)))
            .update_expression(update)
            .set_expression_attribute_values(Some(
                about_attrs
                    .into_iter()
                    .map(|(attr, v)| (format!(":{attr}"), s(v)))
                    .collect(),
            ))
            .expression_attribute_names("#subject", subject_attr)
            .condition_expression(
                "attribute_not_exists(pk) OR (#st = :sending AND claimed_until <= :now)",
            )
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":entity", s("Email"))
            .expression_attribute_values(":order", s(subject))
            .expression_attribute_values(":kind", s(kind))
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":until", n(now + CLAIM_LEASE_SECS))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":at", s(crate::time::rfc3339(now)))
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e));
        condition_held(result)
    }

    /// Records how a claimed email ended (only while it is still `sending`).
    pub async fn finish_email(
        &self,
        email: &OrderEmail,
        outcome: &EmailOutcome,
        now: u64,
    ) -> Result<(), StoreError> {
        self.finish(&EmailAbout::Order(email.clone()), outcome, now)
            .await
    }

    /// As [`Store::finish_email`], for a request's account email.
    pub async fn finish_account_email(
        &self,
        request_id: &str,
        kind: AccountEmailKind,
        outcome: &EmailOutcome,
        now: u64,
    ) -> Result<(), StoreError> {
        self.finish(
            &EmailAbout::Request(request_id.to_string(), kind),
            outcome,
            now,
        )
        .await
    }

    async fn finish(
        &self,
        about: &EmailAbout,
        outcome: &EmailOutcome,
        now: u64,
    ) -> Result<(), StoreError> {
        let mut u = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&about.parts().0)))
            .condition_expression("#st = :sending")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":at", s(crate::time::rfc3339(now)));
        u = match outcome {
            EmailOutcome::Sent {
                to,
                subject,
                message_id,
            } => u
                .update_expression(
                    "SET #st = :sent, #to = :to, subject = :subject, message_id = :mid, updated_at = :at REMOVE claimed_until",
                )
                .expression_attribute_names("#to", "to")
                .expression_attribute_values(":sent", s("sent"))
                .expression_attribute_values(":to", s(to))
                .expression_attribute_values(":subject", s(subject))
                .expression_attribute_values(":mid", s(message_id)),
            EmailOutcome::Undeliverable { to, reason } => u
                .update_expression(
                    "SET #st = :undeliverable, #to = :to, reason = :why, updated_at = :at REMOVE claimed_until",
                )
                .expression_attribute_names("#to", "to")
                .expression_attribute_values(":undeliverable", s("undeliverable"))
                .expression_attribute_values(":to", s(to))
                .expression_attribute_values(":why", s(reason)),
            EmailOutcome::Skipped { reason } => u
                .update_expression(
                    "SET #st = :skipped, reason = :why, updated_at = :at REMOVE claimed_until",
                )
                .expression_attribute_values(":skipped", s("skipped"))
                .expression_attribute_values(":why", s(reason)),
        };
        u.send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    /// Gives a claim back before its lease ends (the send failed and will be retried).
    pub async fn release_email(&self, email: &OrderEmail) -> Result<(), StoreError> {
        self.release(&EmailAbout::Order(email.clone())).await
    }

    /// As [`Store::release_email`], for a request's account email.
    pub async fn release_account_email(
        &self,
        request_id: &str,
        kind: AccountEmailKind,
    ) -> Result<(), StoreError> {
        self.release(&EmailAbout::Request(request_id.to_string(), kind))
            .await
    }

    async fn release(&self, about: &EmailAbout) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&about.parts().0)))
            .update_expression("SET claimed_until = :zero")
            .condition_expression("#st = :sending")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e));
        condition_held(result).map(|_| ())
    }

    /// Remembers that mail to this user's current address is refused for good, so later emails
    /// are recorded instead of sent. Only if the address is still the one refused.
    pub async fn mark_address_undeliverable(
        &self,
        user: &UserId,
        address: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::user(user))))
            .update_expression("SET undeliverable_email = :e, undeliverable_reason = :r")
            .condition_expression("email = :e")
            .expression_attribute_values(":e", s(address))
            .expression_attribute_values(":r", s(reason))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e));
        condition_held(result).map(|_| ())
    }
}
