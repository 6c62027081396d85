//! Orders and checkout. Placing an order is one transaction: the idempotency record
//! (`attribute_not_exists`), a conditional stock decrement per line (enough stock, still active,
//! still at the price charged), the order and its lines, and the cart emptied (still the version
//! that was priced). Either all of it happens or none of it: no partial reservation, no
//! half-written order.

use super::cart::CartLine;
use super::emails::EmailRecord;
use super::fulfilment::ShipmentItem;
use super::users::build_err;
use super::{Store, StoreError, condition_held, from_transact_error, key_item, n, s};
use crate::ids::{OrderId, ProductId, UserId};
use crate::keys;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

pub const IDEMPOTENCY_TTL_SECS: u64 = 24 * 3600;
/// How long the request that placed an order owns finishing it; a same-key request inside this
/// window is told to retry (409) instead of racing it. Released early if the provider fails.
pub const IDEMPOTENCY_LOCK_SECS: u64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaymentRef {
    pub provider: String,
    pub payment_intent_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub order_id: OrderId,
    pub user_id: UserId,
    /// `pending_payment` → `paid` → `fulfilling` → `shipped`, or `cancelled` / `refunded`.
    pub status: String,
    pub currency: String,
    pub subtotal: i64,
    pub shipping: i64,
    pub total: i64,
    pub line_count: u32,
    pub shipping_address: Address,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_payment_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfilment_enqueued_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_scheduled_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfilling_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<String>,
    pub created_at: String,
    /// Unix seconds after which an unpaid order's reservation is released.
    pub expires_at: u64,
    pub gsi1pk: String,
    pub gsi1sk: String,
}

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
    /// `created`, then what the provider last reported: `succeeded`, `failed`, `refunded`.
    #[serde(default = "created")]
    pub status: String,
    /// The provider's last response/decline code, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_response_code: Option<String>,
    pub created_at: String,
}

fn created() -> String {
    "created".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderLineItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub order_id: OrderId,
    pub product_id: ProductId,
    /// Name and unit price as charged, copied at checkout.
    pub name: String,
    pub unit_price: i64,
    pub quantity: i64,
    pub line_total: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    /// SHA-256 of the request body as parsed (so formatting does not matter, content does).
    pub request_hash: String,
    /// `in_progress` (order placed, answer not yet stored) or `done`.
    pub status: String,
    pub order_id: OrderId,
    /// Unix seconds until which the placing request owns the record (see [`IDEMPOTENCY_LOCK_SECS`]).
    #[serde(default)]
    pub locked_until: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
    pub created_at: String,
    pub ttl: u64,
}

/// One line to buy, priced from the catalog.
#[derive(Debug, Clone)]
pub struct PricedLine {
    pub cart_line: CartLine,
    pub name: String,
    pub unit_price: i64,
}

#[derive(Debug, PartialEq, Eq)]
pub enum PlaceOrder {
    Placed,
    /// Another request with this idempotency key got there first.
    KeyTaken,
    /// These products no longer have enough stock, are off sale, or changed price.
    Unavailable(Vec<ProductId>),
    /// The cart changed between reading and ordering.
    CartChanged,
    /// DynamoDB cancelled for a conflicting concurrent transaction; safe to retry.
    Conflict,
}

impl Store {
    pub async fn get_idempotency(
        &self,
        user: &UserId,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.get(&keys::idempotency(user, key), true).await
    }

    pub async fn get_order(&self, id: &OrderId) -> Result<Option<OrderItem>, StoreError> {
        self.get(&keys::order(id), true).await
    }

    /// The checkout transaction (see the module docs). Actions: 1 + 2 per line + 3 ≤ 54 for the
    /// cart's 25-line cap (DynamoDB allows 100).
    pub async fn place_order(
        &self,
        record: &IdempotencyRecord,
        order: &OrderItem,
        lines: &[PricedLine],
        cart_version: i64,
    ) -> Result<PlaceOrder, StoreError> {
        let mut actions = Vec::with_capacity(4 + 2 * lines.len());
        actions.push(self.tx_put(record, "attribute_not_exists(pk)")?);
        for l in lines {
            let q = l.cart_line.quantity;
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key_item(&keys::product(&l.cart_line.product_id))))
                .update_expression("ADD stock_available :neg")
                .condition_expression(
                    "stock_available >= :q AND #status = :active AND price = :price",
                )
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":neg", n(-q))
                .expression_attribute_values(":q", n(q))
                .expression_attribute_values(":active", s("active"))
                .expression_attribute_values(":price", n(l.unit_price))
                .build()
                .map_err(build_err)?;
            actions.push(TransactWriteItem::builder().update(update).build());
        }
        actions.push(self.tx_put(order, "attribute_not_exists(pk)")?);
        actions.push(self.tx_put(
            &StatusEntry::new(
                &order.order_id,
                crate::time::now_unix() * 1000,
                &order.status,
                &order.created_at,
                "checkout",
            ),
            "attribute_not_exists(pk)",
        )?);
        for l in lines {
            let k = keys::order_line(&order.order_id, &l.cart_line.product_id);
            let line = OrderLineItem {
                pk: k.pk,
                sk: k.sk,
                entity: "OrderLine".into(),
                order_id: order.order_id.clone(),
                product_id: l.cart_line.product_id.clone(),
                name: l.name.clone(),
                unit_price: l.unit_price,
                quantity: l.cart_line.quantity,
                line_total: l.unit_price * l.cart_line.quantity,
            };
            actions.push(self.tx_put(&line, "attribute_not_exists(pk)")?);
        }
        let cart = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::cart(&order.user_id))))
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", n(cart_version))
            .build()
            .map_err(build_err)?;
        actions.push(TransactWriteItem::builder().delete(cart).build());

        let actions_count = actions.len();
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .return_consumed_capacity(aws_sdk_dynamodb::types::ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(from_transact_error);
        let e = match result {
            Ok(out) => {
                let units: f64 = out
                    .consumed_capacity()
                    .iter()
                    .filter_map(|c| c.capacity_units())
                    .sum();
                tracing::info!(
                    actions = actions_count,
                    write_units = units,
                    "checkout transaction committed"
                );
                return Ok(PlaceOrder::Placed);
            }
            Err(e) => e,
        };
        let StoreError::TransactionCanceled { reasons } = &e else {
            return Err(e);
        };
        if reasons.iter().flatten().any(|r| r == "TransactionConflict") {
            return Ok(PlaceOrder::Conflict);
        }
        if e.condition_failed_at(0) {
            return Ok(PlaceOrder::KeyTaken);
        }
        let short: Vec<ProductId> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| e.condition_failed_at(1 + i))
            .map(|(_, l)| l.cart_line.product_id.clone())
            .collect();
        if !short.is_empty() {
            return Ok(PlaceOrder::Unavailable(short));
        }
        if reasons
            .iter()
            .flatten()
            .any(|r| r == "ConditionalCheckFailed")
        {
            return Ok(PlaceOrder::CartChanged);
        }
        Err(e)
    }

    /// The payment with this provider reference, if we created it.
    pub async fn get_payment(
        &self,
        provider: &str,
        reference: &str,
    ) -> Result<Option<PaymentItem>, StoreError> {
        self.get(&keys::payment(provider, reference), false).await
    }

    /// Records the provider's payment on the order, once, and the payment item that finds the order
    /// from the provider's reference. Returns the payment now on the order (ours, or one a
    /// concurrent retry recorded first).
    pub async fn attach_payment(
        &self,
        order: &OrderItem,
        payment: &PaymentRef,
    ) -> Result<PaymentRef, StoreError> {
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
            status: created(),
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
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(payment)")
            .expression_attribute_values(":p", serde_dynamo::to_attribute_value(payment)?)
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e));
        match result {
            Ok(_) => Ok(payment.clone()),
            Err(StoreError::ConditionFailed) => self
                .get_order(order)
                .await?
                .and_then(|o| o.payment)
                .ok_or(StoreError::ConditionFailed),
            Err(e) => Err(e),
        }
    }

    /// Takes the record's lock for a request resuming an unfinished one. `Ok(false)` if another
    /// request holds it or the record is already done.
    pub async fn lock_idempotency(
        &self,
        user: &UserId,
        key: &str,
        now: u64,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::idempotency(user, key))))
            .update_expression("SET locked_until = :until")
            .condition_expression("#st = :in_progress AND (attribute_not_exists(locked_until) OR locked_until <= :now)")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":in_progress", s("in_progress"))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":until", n(now + IDEMPOTENCY_LOCK_SECS))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e));
        condition_held(result)
    }

    /// Releases the lock early (the provider failed), so a prompt retry can resume.
    pub async fn unlock_idempotency(&self, user: &UserId, key: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::idempotency(user, key))))
            .update_expression("SET locked_until = :zero")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":zero", n(0))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    /// Stores the answer of an idempotent request so a retry replays it.
    pub async fn finish_idempotency(
        &self,
        user: &UserId,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::idempotency(user, key))))
            .update_expression("SET #st = :done, response_status = :code, response_body = :body")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(":code", n(status))
            .expression_attribute_values(":body", s(body))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }
}

/// An order and the items of its partition, each list in sort-key order (history oldest first).
#[derive(Debug, Clone)]
pub struct OrderDetails {
    pub order: OrderItem,
    pub lines: Vec<OrderLineItem>,
    pub history: Vec<StatusEntry>,
    pub payment_log: Vec<PaymentLogEntry>,
    pub shipments: Vec<ShipmentItem>,
    pub emails: Vec<EmailRecord>,
}

#[derive(Default)]
struct OrderParts {
    lines: Vec<OrderLineItem>,
    history: Vec<StatusEntry>,
    payment_log: Vec<PaymentLogEntry>,
    shipments: Vec<ShipmentItem>,
    emails: Vec<EmailRecord>,
}

/// An order's status, in the only order it may move: forward. `cancelled` and `refunded` are final.
pub fn status_rank(status: &str) -> u8 {
    match status {
        "pending_payment" => 0,
        "paid" => 1,
        "fulfilling" => 2,
        "shipped" => 3,
        _ => 4, // cancelled, refunded
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusEntry {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub status: String,
    pub at: String,
    /// What moved it (e.g. `checkout`, `stripe:evt_...`).
    pub by: String,
}

impl StatusEntry {
    /// The history entry for `order` reaching `status` at `at_ms` (its sort key) / `at` (RFC 3339).
    pub fn new(order: &OrderId, at_ms: u64, status: &str, at: &str, by: &str) -> Self {
        let k = keys::order_status(order, at_ms, status);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: "OrderStatus".into(),
            status: status.into(),
            at: at.into(),
            by: by.into(),
        }
    }
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

/// A change a webhook event asks of an order.
#[derive(Debug, Clone)]
pub struct OrderTransition {
    /// The payment's new status (and response code), written with the order change.
    pub payment_status: Option<(&'static str, Option<String>)>,
    /// States the order may be in for the change to apply.
    pub from: &'static [&'static str],
    /// The new status, or `None` to only record (e.g. a failed payment attempt).
    pub to: Option<&'static str>,
    /// Extra attributes to set on the order (name, value).
    pub set: Vec<(&'static str, String)>,
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
        let mut sets = vec!["updated_at = :at".to_string()];
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::order(order))))
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":at", s(&log.at));
        if let Some(to) = transition.to {
            sets.push("#st = :to".into());
            update = update.expression_attribute_values(":to", s(to));
        }
        for (i, (name, value)) in transition.set.iter().enumerate() {
            sets.push(format!("{name} = :v{i}"));
            update = update.expression_attribute_values(format!(":v{i}"), s(value));
        }
        let from: Vec<String> = (0..transition.from.len())
            .map(|i| format!(":f{i}"))
            .collect();
        for (i, f) in transition.from.iter().enumerate() {
            update = update.expression_attribute_values(format!(":f{i}"), s(*f));
        }
        let update = update
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression(format!(
                "attribute_exists(pk) AND #st IN ({})",
                from.join(", ")
            ))
            .build()
            .map_err(build_err)?;
        let mut actions = vec![
            self.tx_put(event, "attribute_not_exists(pk)")?,
            TransactWriteItem::builder().update(update).build(),
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
                .expression_attribute_values(":s", s(*status));
            if let Some(c) = code {
                u = u.expression_attribute_values(":c", s(c));
            }
            actions.push(
                TransactWriteItem::builder()
                    .update(u.build().map_err(build_err)?)
                    .build(),
            );
        }
        if let Some(to) = transition.to {
            let by = format!("{}:{}", event.provider, event.event_id);
            let entry = StatusEntry::new(order, now_ms, to, &log.at, &by);
            actions.push(self.tx_put(&entry, "attribute_not_exists(sk)")?);
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await
            .map_err(from_transact_error);
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
            Err(e) if matches!(&e, StoreError::TransactionCanceled { reasons } if reasons.iter().flatten().any(|r| r == "TransactionConflict")) =>
            {
                // A concurrent delivery of the same event is mid-transaction: it will apply it.
                Ok(ApplyEvent::Duplicate)
            }
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
            .client
            .transact_write_items()
            .transact_items(self.tx_put(event, "attribute_not_exists(pk)")?)
            .transact_items(self.tx_put(log, "attribute_not_exists(sk)")?)
            .send()
            .await
            .map_err(from_transact_error);
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

    /// An order with everything in its partition: lines, status history, payment log,
    /// shipments and email records (one strongly consistent Query).
    pub async fn get_order_details(
        &self,
        id: &OrderId,
    ) -> Result<Option<OrderDetails>, StoreError> {
        let items = self
            .query_partition(None, &keys::order(id).pk, None, true)
            .await?;
        let mut order = None;
        let mut d = OrderParts::default();
        for item in items {
            let sk = item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let (kind, _) = sk.split_once('#').unwrap_or((sk.as_str(), ""));
            match kind {
                "ORDER" => order = Some(serde_dynamo::from_item::<_, OrderItem>(item)?),
                "LINE" => d.lines.push(serde_dynamo::from_item(item)?),
                "STATUS" => d.history.push(serde_dynamo::from_item(item)?),
                "PAYLOG" => d.payment_log.push(serde_dynamo::from_item(item)?),
                "SHIPMENT" => d.shipments.push(serde_dynamo::from_item(item)?),
                "EMAIL" => d.emails.push(serde_dynamo::from_item(item)?),
                _ => {}
            }
        }
        Ok(order.map(|order| OrderDetails {
            order,
            lines: d.lines,
            history: d.history,
            payment_log: d.payment_log,
            shipments: d.shipments,
            emails: d.emails,
        }))
    }

    /// A page of a user's orders, newest first (one Query on gsi1). `after` is the `gsi1sk` of
    /// the last order of the previous page (`ORDER#<created>#<order id>`), checked by the caller.
    pub async fn list_user_orders(
        &self,
        user: &UserId,
        limit: usize,
        after: Option<(&str, &OrderId)>,
    ) -> Result<(Vec<OrderItem>, Option<String>), StoreError> {
        let partition = format!("USER#{user}");
        let mut q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::GSI1)
            .scan_index_forward(false)
            .limit((limit + 1) as i32)
            .key_condition_expression("gsi1pk = :p AND begins_with(gsi1sk, :o)")
            .expression_attribute_values(":p", s(&partition))
            .expression_attribute_values(":o", s("ORDER#"));
        if let Some((sk, order)) = after {
            let k = keys::order(order);
            q = q.set_exclusive_start_key(Some(
                [
                    ("pk".to_string(), s(k.pk)),
                    ("sk".to_string(), s(k.sk)),
                    ("gsi1pk".to_string(), s(&partition)),
                    ("gsi1sk".to_string(), s(sk)),
                ]
                .into_iter()
                .collect(),
            ));
        }
        let out = q
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("Query", e))?;
        let mut orders: Vec<OrderItem> = serde_dynamo::from_items(out.items.unwrap_or_default())?;
        let next = if orders.len() > limit {
            orders.truncate(limit);
            orders.last().map(|o| o.gsi1sk.clone())
        } else {
            None
        };
        Ok((orders, next))
    }
}

impl Store {
    /// Claims the right to schedule an order's expiry message (once). `Ok(false)` if claimed.
    pub async fn claim_expiry_schedule(
        &self,
        order: &OrderId,
        at: &str,
    ) -> Result<bool, StoreError> {
        self.claim_once(order, "expiry_scheduled_at", at).await
    }

    /// Gives the expiry claim back (the send failed).
    pub async fn release_expiry_claim(&self, order: &OrderId) -> Result<(), StoreError> {
        self.release_claim(order, "expiry_scheduled_at").await
    }

    async fn claim_once(&self, order: &OrderId, attr: &str, at: &str) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::order(order))))
            .update_expression("SET #a = :at")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(#a)")
            .expression_attribute_names("#a", attr)
            .expression_attribute_values(":at", s(at))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e));
        condition_held(result)
    }

    async fn release_claim(&self, order: &OrderId, attr: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::order(order))))
            .update_expression("REMOVE #a")
            .expression_attribute_names("#a", attr)
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    /// A transaction action giving an order line's reserved units back to `stock_available`.
    pub fn tx_return_stock(&self, line: &OrderLineItem) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::product(&line.product_id))))
            .update_expression("ADD stock_available :q")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":q", n(line.quantity))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Cancels an unpaid order and returns its reserved stock, in one transaction conditioned on
    /// the order still being `pending_payment`, so the stock comes back exactly once.
    /// `Ok(false)` if the order had already moved on (paid, or cancelled before).
    pub async fn cancel_unpaid_order(
        &self,
        order: &OrderItem,
        lines: &[OrderLineItem],
        reason: &str,
        now_ms: u64,
    ) -> Result<bool, StoreError> {
        let at = crate::time::rfc3339(now_ms / 1000);
        let mut actions = Vec::with_capacity(2 + lines.len());
        actions.push(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_item(&keys::order(&order.order_id))))
                        .update_expression(
                            "SET #st = :cancelled, cancelled_at = :at, cancel_reason = :why",
                        )
                        .condition_expression("#st = :pending")
                        .expression_attribute_names("#st", "status")
                        .expression_attribute_values(":cancelled", s("cancelled"))
                        .expression_attribute_values(":pending", s("pending_payment"))
                        .expression_attribute_values(":at", s(&at))
                        .expression_attribute_values(":why", s(reason))
                        .build()
                        .map_err(build_err)?,
                )
                .build(),
        );
        for l in lines {
            actions.push(self.tx_return_stock(l)?);
        }
        let entry = StatusEntry::new(&order.order_id, now_ms, "cancelled", &at, reason);
        actions.push(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(serde_dynamo::to_item(&entry)?))
                        .build()
                        .map_err(build_err)?,
                )
                .build(),
        );
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await
            .map_err(from_transact_error)
        {
            Ok(_) => Ok(true),
            Err(e) if e.condition_failed_at(0) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
