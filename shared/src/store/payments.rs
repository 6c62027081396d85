//! Payments and webhook events: the payment we asked the provider for (the link from its
//! reference to the order), each event recorded once, and the order change it asks for applied in
//! the same transaction ([`Store::apply_payment_event`]); the claim that sends a paid order to
//! fulfilment once.

use super::orders::{OrderItem, PaymentRef};
use super::users::build_err;
use super::{Store, StoreError, key_item, s};
use crate::ids::OrderId;
use crate::keys;
use crate::state::{OrderStatus, PaymentStatus};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

/// A payment we asked the provider for: the link from its reference to the order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaymentItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub provider: String,
    pub reference: String,
    pub order_id: OrderId,
    pub amount: i64,
    pub currency: String,
    /// `created`, then what the provider last reported.
    #[serde(default)]
    pub status: PaymentStatus,
    /// The provider's last response/decline code, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_response_code: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaymentLogEntry {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub provider: String,
    pub reference: String,
    pub kind: String,
    pub amount: i64,
    pub currency: String,
    /// What happened with it: `applied`, `ignored: ...`, `amount_mismatch`, ...
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookEventItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub provider: String,
    pub event_id: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    pub outcome: String,
    pub received_at: String,
    pub ttl: u64,
}

impl WebhookEventItem {
    /// A provider's event as received, kept for `ttl_secs` (redeliveries within it are
    /// duplicates). Until the handler says otherwise it concerns no order and changed nothing.
    pub fn received(provider: &str, event_id: &str, kind: &str, now: u64, ttl_secs: u64) -> Self {
        let k = keys::webhook_event(provider, event_id);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: "WebhookEvent".into(),
            provider: provider.into(),
            event_id: event_id.into(),
            kind: kind.into(),
            order_id: None,
            outcome: "ignored: event type not handled".into(),
            received_at: crate::time::rfc3339(now),
            ttl: now + ttl_secs,
        }
    }
}

/// What a payment event says about the money, as the provider reported it.
#[derive(Debug, Clone, Default)]
pub struct PaymentFacts {
    /// The provider's payment reference (a PaymentIntent id).
    pub reference: String,
    pub amount: i64,
    pub currency: String,
    pub error_code: Option<String>,
}

impl PaymentLogEntry {
    /// The order's payment-log entry for `event` (sorted by `now_ms`), with what it did.
    pub fn new(
        order: &OrderId,
        event: &WebhookEventItem,
        now_ms: u64,
        facts: PaymentFacts,
        outcome: String,
    ) -> Self {
        let k = keys::order_payment_log(order, now_ms, &event.event_id);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: "PaymentLog".into(),
            provider: event.provider.clone(),
            reference: facts.reference,
            kind: event.kind.clone(),
            amount: facts.amount,
            currency: facts.currency,
            outcome,
            error_code: facts.error_code,
            at: event.received_at.clone(),
        }
    }
}

/// A change a webhook event asks of an order: a status change (allowed from the statuses
/// [`crate::state::ORDER_TRANSITIONS`] gives), or only attributes recorded while the order is in
/// one of `from` (a failed attempt, a partial refund).
#[derive(Debug, Clone)]
pub struct OrderTransition {
    /// The payment's new status (and response code), written with the order change.
    pub payment_status: Option<(PaymentStatus, Option<String>)>,
    /// Statuses the order may be in for the change to apply.
    pub from: Vec<OrderStatus>,
    /// The new status, or `None` to only record.
    pub to: Option<OrderStatus>,
    /// Extra attributes to set on the order (name, value).
    pub set: Vec<(&'static str, AttributeValue)>,
    /// What the order held unpaid, given back with the change (it leaves `pending_payment`).
    pub release: Option<(crate::ids::UserId, Vec<(crate::ids::ProductId, i64)>)>,
}

impl OrderTransition {
    /// The order moves to `to`, from whichever status the transition table allows.
    pub fn to(to: OrderStatus) -> Self {
        Self {
            payment_status: None,
            from: OrderStatus::predecessors(to),
            to: Some(to),
            set: Vec::new(),
            release: None,
        }
    }

    /// Nothing moves; `set` is recorded while the order is in one of `from`.
    pub fn record_while(from: Vec<OrderStatus>) -> Self {
        Self {
            payment_status: None,
            from,
            to: None,
            set: Vec::new(),
            release: None,
        }
    }

    /// An event that asks nothing of any order.
    pub fn none() -> Self {
        Self::record_while(Vec::new())
    }

    pub fn payment(mut self, status: PaymentStatus, code: Option<String>) -> Self {
        self.payment_status = Some((status, code));
        self
    }

    pub fn set(mut self, name: &'static str, value: String) -> Self {
        self.set.push((name, s(&value)));
        self
    }

    /// Gives back what `order` held unpaid, in the same transaction (for a change out of
    /// `pending_payment`).
    pub fn releasing(mut self, order: &OrderItem) -> Self {
        self.release = order.held.clone().map(|h| (order.holder().clone(), h));
        self
    }

    pub fn set_number(mut self, name: &'static str, value: i64) -> Self {
        self.set.push((name, AttributeValue::N(value.to_string())));
        self
    }
}

/// What [`Store::attach_payment`] found.
#[derive(Debug)]
pub enum Attached {
    /// The payment on the order now (ours, or a concurrent retry's).
    Recorded(PaymentRef),
    /// The order left `pending_payment` (in this status) before any payment was recorded.
    OrderClosed(OrderStatus),
}

#[derive(Debug, PartialEq, Eq)]
pub enum ApplyEvent {
    Applied,
    /// Seen before (possibly concurrently): nothing changed.
    Duplicate,
    /// Recorded, but the order's state did not allow the change (it only moves forward).
    Ignored,
}

impl Store {
    /// The payment with this provider reference, if we created it.
    pub async fn get_payment(
        &self,
        provider: &str,
        reference: &str,
    ) -> Result<Option<PaymentItem>, StoreError> {
        self.get(&keys::payment(provider, reference), false).await
    }

    /// Records the provider's payment on the order, once, while the order awaits it, and the
    /// payment item that finds the order from the provider's reference. Returns the payment now
    /// on the order (ours, or one a concurrent retry recorded first), or the status of an order
    /// that closed (cancelled) before its payment was recorded.
    pub async fn attach_payment(
        &self,
        order: &OrderItem,
        payment: &PaymentRef,
    ) -> Result<Attached, StoreError> {
        let k = keys::payment(&payment.provider, &payment.payment_intent_id);
        self.put_new(&PaymentItem {
            pk: k.pk,
            sk: k.sk,
            entity: "Payment".into(),
            provider: payment.provider.clone(),
            reference: payment.payment_intent_id.clone(),
            order_id: order.order_id.clone(),
            amount: order.total,
            currency: order.currency.clone(),
            status: PaymentStatus::Created,
            last_response_code: None,
            created_at: crate::time::rfc3339(crate::time::now_unix()),
        })
        .await?;
        let order = &order.order_id;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::order(order))))
            .update_expression("SET payment = :p")
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(payment) AND #st = :pending",
            )
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":p", serde_dynamo::to_attribute_value(payment)?)
            .expression_attribute_values(":pending", s(OrderStatus::PendingPayment.as_str()))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e));
        match result {
            Ok(_) => Ok(Attached::Recorded(payment.clone())),
            Err(StoreError::ConditionFailed) => match self.get_order(order).await? {
                Some(OrderItem {
                    payment: Some(p), ..
                }) => Ok(Attached::Recorded(p)),
                Some(o) => Ok(Attached::OrderClosed(o.status)),
                None => Err(StoreError::ConditionFailed),
            },
            Err(e) => Err(e),
        }
    }

    /// Records a webhook event and applies its change to the order in one transaction, so any
    /// number of (concurrent) deliveries change the order once. If the order's state does not allow
    /// the change, the event and a log entry are still recorded (`Ignored`).
    pub async fn apply_payment_event(
        &self,
        event: &WebhookEventItem,
        order: &OrderId,
        transition: &OrderTransition,
        log: &PaymentLogEntry,
        now_ms: u64,
    ) -> Result<ApplyEvent, StoreError> {
        let by = format!("{}:{}", event.provider, event.event_id);
        let (update, entry) = match transition.to {
            Some(to) => {
                let [update, entry] =
                    self.tx_status_change(order, to, (now_ms, &log.at), &by, &transition.set)?;
                (update, Some(entry))
            }
            None => {
                let update = self.order_update(
                    order,
                    &transition.from,
                    None,
                    &log.at,
                    &transition.set,
                    &[],
                )?;
                (TransactWriteItem::builder().update(update).build(), None)
            }
        };
        let mut actions = vec![
            self.tx_put(event, "attribute_not_exists(pk)")?,
            update,
            self.tx_put(log, "attribute_not_exists(sk)")?,
        ];
        if let Some((status, code)) = &transition.payment_status {
            let mut u = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key_item(&keys::payment(
                    &event.provider,
                    &log.reference,
                ))))
                .update_expression(if code.is_some() {
                    "SET #st = :s, last_response_code = :c"
                } else {
                    "SET #st = :s"
                })
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":s", s(status.as_str()));
            if let Some(c) = code {
                u = u.expression_attribute_values(":c", s(c));
            }
            actions.push(
                TransactWriteItem::builder()
                    .update(u.build().map_err(build_err)?)
                    .build(),
            );
        }
        actions.extend(entry);
        if let Some((user, held)) = &transition.release {
            actions.push(self.tx_release(user, held)?);
        }
        let result = self.transact_retrying_conflicts(actions).await;
        match result {
            Ok(_) => Ok(ApplyEvent::Applied),
            Err(e) if e.condition_failed_at(0) => Ok(ApplyEvent::Duplicate),
            Err(e) if e.condition_failed_at(1) => {
                let outcome = "ignored: order state does not allow it";
                self.record_payment_event(
                    &WebhookEventItem {
                        outcome: outcome.into(),
                        ..event.clone()
                    },
                    &PaymentLogEntry {
                        outcome: outcome.into(),
                        ..log.clone()
                    },
                )
                .await
            }
            // Still conflicting after the retries (another event for this order, or this one
            // delivered twice, mid-transaction): not a duplicate, which would drop it. The error
            // is transient (503), so the provider delivers the event again.
            Err(e) => Err(e),
        }
    }

    /// Records an event about an order, and its payment-log entry, without changing the order
    /// (once: `Duplicate` if the event was recorded before).
    pub async fn record_payment_event(
        &self,
        event: &WebhookEventItem,
        log: &PaymentLogEntry,
    ) -> Result<ApplyEvent, StoreError> {
        let tx = self
            .transact(vec![
                self.tx_put(event, "attribute_not_exists(pk)")?,
                self.tx_put(log, "attribute_not_exists(sk)")?,
            ])
            .await;
        match tx {
            Ok(_) => Ok(ApplyEvent::Ignored),
            Err(e) if e.condition_failed_at(0) => Ok(ApplyEvent::Duplicate),
            Err(e) => Err(e),
        }
    }

    /// Records an event that concerns no order (unknown type, or no order reference), once.
    pub async fn record_webhook_event(&self, event: &WebhookEventItem) -> Result<bool, StoreError> {
        self.put_new(event).await
    }

    /// Claims the right to enqueue an order's fulfilment (once per order). `Ok(false)` if claimed.
    pub async fn claim_fulfilment_enqueue(
        &self,
        order: &OrderId,
        at: &str,
    ) -> Result<bool, StoreError> {
        self.claim_once(order, "fulfilment_enqueued_at", at).await
    }

    /// Gives a claim back (the send failed), so a redelivery can enqueue.
    pub async fn release_fulfilment_claim(&self, order: &OrderId) -> Result<(), StoreError> {
        self.release_claim(order, "fulfilment_enqueued_at").await
    }
}
