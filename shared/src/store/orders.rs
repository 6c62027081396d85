//! Orders and checkout. Placing an order is one transaction: the idempotency record
//! (`attribute_not_exists`), a conditional stock decrement per line (enough stock, still active,
//! still at the price charged), the order and its lines, and the cart emptied (each line still as
//! read). Either all of it happens or none of it: no partial reservation, no half-written order.

use super::cart::CartLineItem;
use super::users::build_err;
use super::{Store, StoreError, from_transact_error, key_item, n, s};
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
    pub created_at: String,
    /// Unix seconds after which an unpaid order's reservation is released.
    pub expires_at: u64,
    pub gsi1pk: String,
    pub gsi1sk: String,
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
    pub cart_line: CartLineItem,
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

    /// The checkout transaction (see the module docs). Actions: 1 + 4 per line + 2 ≤ 100 for the
    /// cart's 25-line cap.
    pub async fn place_order(
        &self,
        record: &IdempotencyRecord,
        order: &OrderItem,
        lines: &[PricedLine],
        cart_line_count: i64,
    ) -> Result<PlaceOrder, StoreError> {
        let mut actions = Vec::with_capacity(3 + 3 * lines.len());
        let put = |item| -> Result<TransactWriteItem, StoreError> {
            Ok(TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(item))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .map_err(build_err)?,
                )
                .build())
        };
        actions.push(put(serde_dynamo::to_item(record)?)?);
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
        actions.push(put(serde_dynamo::to_item(order)?)?);
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
            actions.push(put(serde_dynamo::to_item(&line)?)?);
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key_item(&keys::cart_line(
                    &order.user_id,
                    &l.cart_line.product_id,
                ))))
                .condition_expression("quantity = :q")
                .expression_attribute_values(":q", n(l.cart_line.quantity))
                .build()
                .map_err(build_err)?;
            actions.push(TransactWriteItem::builder().delete(delete).build());
        }
        let header = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::cart(&order.user_id))))
            .condition_expression("line_count = :n")
            .expression_attribute_values(":n", n(cart_line_count))
            .build()
            .map_err(build_err)?;
        actions.push(TransactWriteItem::builder().delete(header).build());

        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await
            .map_err(from_transact_error);
        let e = match result {
            Ok(_) => return Ok(PlaceOrder::Placed),
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

    /// Records the provider's payment on the order, once. Returns the payment now on the order
    /// (ours, or one a concurrent retry recorded first).
    pub async fn attach_payment(
        &self,
        order: &OrderId,
        payment: &PaymentRef,
    ) -> Result<PaymentRef, StoreError> {
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
        match result {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
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
