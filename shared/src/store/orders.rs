//! Orders: the order item, its lines and status history, placing one (checkout's transaction),
//! reading and listing them, and the one way an order's status changes ([`Store::tx_status_change`]).
//!
//! Placing an order is one transaction: the idempotency record (`attribute_not_exists`), a
//! conditional stock decrement per line (enough stock, still active, still at the price charged),
//! the order and its lines, and the cart emptied (still the version that was priced). Either all
//! of it happens or none of it: no partial reservation, no half-written order.

use super::cart::CartLine;
use super::idempotency::IdempotencyRecord;
use super::users::build_err;
use super::{Store, StoreError, condition_held, from_transact_error, key_item, n, s};
use crate::ids::{OrderId, ProductId, UserId};
use crate::keys;
use crate::selling::quote::{LineTax, Quote};
use crate::selling::tax::TaxClass;
use crate::state::{ORDER_TRANSITIONS, OrderStatus};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    /// State, province or territory (an ISO 3166-2 code where the country needs one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Absent only for a country without postal codes. Orders placed before regions existed
    /// always have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
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

/// The `cancel_reason` of an order an admin cancelled (`POST /admin/orders/{id}/cancel`).
pub const CANCELLED_BY_ADMIN: &str = "cancelled_by_admin";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub order_id: OrderId,
    /// The customer's account; for a guest order, the guest's derived id ([`UserId::guest`]),
    /// until the email is verified by an account and the order is moved to it ([`Store::attach_guest_orders`]).
    pub user_id: UserId,
    /// A guest order: the email the guest gave (normalised), where its emails go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_email: Option<String>,
    /// When a guest order was moved to the account that verified its email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attached_at: Option<String>,
    /// Whose hold limits the unpaid order counts against (`store::holds`): the buyer at checkout,
    /// kept when a guest order moves to an account. Absent on orders placed before it existed
    /// (then `user_id`, which never changed for them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_by: Option<UserId>,
    /// Moves only as [`crate::state::ORDER_TRANSITIONS`] allows ([`Store::tx_status_change`]).
    pub status: OrderStatus,
    pub currency: String,
    /// Σ line totals, as priced (with tax when `tax_included`).
    pub subtotal: i64,
    pub shipping: i64,
    /// The tax in the order (lines and shipping), included in the prices or added to them.
    #[serde(default)]
    pub tax_total: i64,
    #[serde(default)]
    pub shipping_tax: LineTax,
    /// The shop's prices included tax when the order was placed (then `total` = subtotal +
    /// shipping; else subtotal + shipping + tax_total).
    #[serde(default)]
    pub tax_included: bool,
    /// The discount code it was placed with and what it took off (the lines' shares are on
    /// them); `total` is after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<super::discounts::OrderDiscount>,
    /// What the PaymentIntent charges: `crate::selling::quote` computed it.
    pub total: i64,
    /// The shipping option chosen (absent on orders placed before shipping options existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_option: Option<ShippingChoice>,
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
    /// Refunded in full (the order is `refunded`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<String>,
    /// Last refunded in part (the order stays paid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partially_refunded_at: Option<String>,
    /// What the provider has refunded so far, in minor units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_refunded: Option<i64>,
    pub created_at: String,
    /// Unix seconds after which an unpaid order's reservation is released.
    pub expires_at: u64,
    pub gsi1pk: String,
    pub gsi1sk: String,
    /// The admin's listing of every order, by day (the `orders` index, `keys::orders_by_day`).
    /// Absent on orders placed before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orderspk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordersat: Option<String>,
    /// The due index (`keys::DUE`): when the reconciler should look at the order if nothing
    /// has moved it on by then. Set while the order awaits something, removed when it is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duepk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dueat: Option<u64>,
    /// A payment that succeeded after the order was cancelled (its PaymentIntent): refunded by
    /// the reconciler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_payment: Option<String>,
    /// The refund of that payment, once made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_payment_refund: Option<String>,
    /// What the order holds while unpaid (product, units): counted against the customer's
    /// limits (`store::holds`) and given back when it is paid or cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<Vec<(ProductId, i64)>>,
}

/// The shipping option an order ships by, as it was when chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingChoice {
    pub option_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_days: Option<[u8; 2]>,
}

/// Who buys: a signed-in customer, or a guest by the email it gave (normalised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Buyer {
    Customer(UserId),
    Guest { email: String },
}

impl Buyer {
    /// The id the order, and its holds, go by.
    pub fn user_id(&self) -> UserId {
        match self {
            Buyer::Customer(u) => u.clone(),
            Buyer::Guest { email } => UserId::guest(email),
        }
    }
}

/// What a new order is made of; [`OrderItem::new`] adds its keys, entity and first status.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub order_id: OrderId,
    pub buyer: Buyer,
    pub currency: String,
    /// Lines, shipping and tax, added up (`crate::selling::quote::quote`).
    pub quote: Quote,
    pub shipping_option: ShippingChoice,
    /// The code applied (its amount is `quote.discount`).
    pub discount: Option<super::discounts::OrderDiscount>,
    pub line_count: u32,
    pub shipping_address: Address,
    /// Unix seconds now, and after how long an unpaid order's reservation is released.
    pub now: u64,
    pub reservation_ttl_secs: u64,
    /// Units per product it reserves (counted against the customer's hold limits).
    pub held: Vec<(ProductId, i64)>,
}

impl OrderItem {
    /// A placed order waiting for its payment (`pending_payment`).
    pub fn new(o: NewOrder) -> Self {
        let k = keys::order(&o.order_id);
        let user_id = o.buyer.user_id();
        let (g, guest_email) = match o.buyer {
            Buyer::Customer(u) => (keys::user_orders_gsi1(&u, o.now, &o.order_id), None),
            Buyer::Guest { email } => (
                keys::guest_orders_gsi1(
                    &crate::digest::sha256_hex(email.as_bytes()),
                    o.now,
                    &o.order_id,
                ),
                Some(email),
            ),
        };
        let due = keys::due_partition(&o.order_id);
        let by_day = keys::orders_by_day(o.now, &o.order_id);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: "Order".into(),
            order_id: o.order_id,
            held_by: Some(user_id.clone()),
            user_id,
            guest_email,
            attached_at: None,
            status: OrderStatus::PendingPayment,
            currency: o.currency,
            subtotal: o.quote.subtotal,
            shipping: o.quote.shipping,
            tax_total: o.quote.tax_total,
            shipping_tax: o.quote.shipping_tax,
            tax_included: o.quote.tax_included,
            total: o.quote.total,
            discount: o.discount,
            shipping_option: Some(o.shipping_option),
            line_count: o.line_count,
            shipping_address: o.shipping_address,
            payment: None,
            paid_at: None,
            last_payment_error: None,
            fulfilment_enqueued_at: None,
            expiry_scheduled_at: None,
            fulfilling_at: None,
            shipped_at: None,
            cancelled_at: None,
            cancel_reason: None,
            refunded_at: None,
            partially_refunded_at: None,
            amount_refunded: None,
            created_at: crate::time::rfc3339(o.now),
            expires_at: o.now + o.reservation_ttl_secs,
            gsi1pk: g.pk,
            gsi1sk: g.sk,
            orderspk: Some(by_day.pk),
            ordersat: Some(by_day.sk),
            duepk: Some(due),
            dueat: Some(o.now + o.reservation_ttl_secs + crate::state::EXPIRY_GRACE_SECS),
            late_payment: None,
            late_payment_refund: None,
            held: Some(o.held),
        }
    }
}

impl OrderItem {
    /// Whose hold limits this order counts against.
    pub fn holder(&self) -> &UserId {
        self.held_by.as_ref().unwrap_or(&self.user_id)
    }

    /// A guest order not (yet) moved to an account.
    pub fn is_guest(&self) -> bool {
        self.guest_email.is_some() && self.attached_at.is_none()
    }
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
    /// Its share of the order's discount (taken off `line_total`).
    #[serde(default)]
    pub discount: i64,
    /// The line's tax, on `line_total − discount` (in it or added to it, as the order's
    /// `tax_included` says).
    #[serde(default)]
    pub tax: LineTax,
    #[serde(default)]
    pub tax_class: TaxClass,
}

/// One line to buy, priced from the catalog.
impl OrderLineItem {
    /// The order's line for `line`: name and unit price as charged.
    pub fn new(order: &OrderId, line: &PricedLine) -> Self {
        let k = keys::order_line(order, &line.cart_line.product_id);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: "OrderLine".into(),
            order_id: order.clone(),
            product_id: line.cart_line.product_id.clone(),
            name: line.name.clone(),
            unit_price: line.unit_price,
            quantity: line.cart_line.quantity,
            line_total: line.line_total(),
            discount: line.discount,
            tax: line.tax,
            tax_class: line.tax_class,
        }
    }
}

/// One line to buy, priced from the catalog.
#[derive(Debug, Clone)]
pub struct PricedLine {
    pub cart_line: CartLine,
    pub name: String,
    pub unit_price: i64,
    /// The product's price and sale as read: `unit_price` is their price at the request's time,
    /// and the checkout transaction requires all of it unchanged.
    pub pricing: crate::store::catalog::Pricing,
    pub tax_class: TaxClass,
    pub weight_grams: u32,
    /// The product's category (what a discount code may cover).
    pub category: String,
    /// Its share of the discount, once one is applied.
    pub discount: i64,
    /// Its tax once the order is quoted.
    pub tax: LineTax,
}

impl PricedLine {
    /// Unit price × quantity.
    pub fn line_total(&self) -> i64 {
        self.unit_price * self.cart_line.quantity
    }

    /// What is paid for the line: its total less its share of the discount.
    pub fn amount(&self) -> i64 {
        self.line_total() - self.discount
    }
}

/// Guest orders [`Store::attach_guest_orders`] moves in one call (the next call moves the rest).
pub const MAX_ATTACHED: usize = 200;

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
    /// The customer already holds as many unpaid orders, or units of a product, as allowed.
    HoldLimit,
    /// The discount code's rules changed, or its last use was taken, since it was read.
    DiscountTaken,
    /// The buyer has used the discount code as often as one customer may.
    DiscountCustomerLimit,
}

impl Store {
    pub async fn get_order(&self, id: &OrderId) -> Result<Option<OrderItem>, StoreError> {
        self.get(&keys::order(id), true).await
    }

    /// An order's lines in product-id order (strongly consistent: an order read without its
    /// lines has none).
    pub async fn order_lines(&self, id: &OrderId) -> Result<Vec<OrderLineItem>, StoreError> {
        self.query_partition(
            None,
            &keys::order(id).pk,
            Some(keys::ORDER_LINE_PREFIX),
            true,
        )
        .await?
        .into_iter()
        .map(|item| Ok(serde_dynamo::from_item(item)?))
        .collect()
    }

    /// The checkout transaction (see the module docs): the cart as priced (owner, version), the
    /// buyer's hold limits, the discount code as read. Actions: 1 + 2 per line + 4 (+ 2 with a
    /// code) ≤ 56 for the cart's 25-line cap (DynamoDB allows 100).
    pub async fn place_order(
        &self,
        record: &IdempotencyRecord,
        order: &OrderItem,
        lines: &[PricedLine],
        (cart, cart_version): (&super::cart::CartOwner, i64),
        limits: super::holds::HoldLimits,
        discount: Option<&super::discounts::DiscountItem>,
    ) -> Result<PlaceOrder, StoreError> {
        let mut actions = Vec::with_capacity(5 + 2 * lines.len());
        actions.push(self.tx_put(record, "attribute_not_exists(pk)")?);
        for l in lines {
            let q = l.cart_line.quantity;
            // The price charged is the pricing read, at the request's time: all of it must be
            // as read (an admin's change of price or sale in between refuses the line).
            let p = &l.pricing;
            let mut condition =
                "stock_available >= :q AND #status = :active AND price = :price".to_string();
            let mut update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key_item(&keys::product(&l.cart_line.product_id))))
                .update_expression("ADD stock_available :neg")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":neg", n(-q))
                .expression_attribute_values(":q", n(q))
                .expression_attribute_values(":active", s("active"))
                .expression_attribute_values(":price", n(p.price));
            for (attr, value) in [
                ("sale_price", p.sale_price.map(|v| v as u64)),
                ("sale_starts_at", p.sale_starts_at),
                ("sale_ends_at", p.sale_ends_at),
            ] {
                match value {
                    Some(v) => {
                        condition.push_str(&format!(" AND {attr} = :{attr}"));
                        update = update.expression_attribute_values(format!(":{attr}"), n(v));
                    }
                    None => condition.push_str(&format!(" AND attribute_not_exists({attr})")),
                }
            }
            let update = update
                .condition_expression(condition)
                .build()
                .map_err(build_err)?;
            actions.push(TransactWriteItem::builder().update(update).build());
        }
        actions.push(self.tx_put(order, "attribute_not_exists(pk)")?);
        actions.push(self.tx_put(
            &StatusEntry::new(
                &order.order_id,
                crate::time::now_unix() * 1000,
                order.status,
                &order.created_at,
                "checkout",
            ),
            "attribute_not_exists(pk)",
        )?);
        for l in lines {
            actions.push(self.tx_put(
                &OrderLineItem::new(&order.order_id, l),
                "attribute_not_exists(pk)",
            )?);
        }
        let cart = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&cart.key())))
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", n(cart_version))
            .build()
            .map_err(build_err)?;
        actions.push(TransactWriteItem::builder().delete(cart).build());
        let held = order.held.clone().unwrap_or_default();
        let Some(holds) = self.tx_take_holds(order.holder(), &held, limits)? else {
            return Ok(PlaceOrder::HoldLimit);
        };
        let holds_index = actions.len();
        actions.push(holds);
        let discount_index = actions.len();
        if let Some(d) = discount {
            actions.extend(self.tx_use_discount(d, order.holder())?);
        }

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
        if e.is_conflict() {
            return Ok(PlaceOrder::Conflict);
        }
        if e.condition_failed_at(0) {
            return Ok(PlaceOrder::KeyTaken);
        }
        if e.condition_failed_at(holds_index)
            && !reasons.iter().take(holds_index).any(Option::is_some)
        {
            return Ok(PlaceOrder::HoldLimit);
        }
        let only_at = |i: usize| {
            e.condition_failed_at(i)
                && reasons
                    .iter()
                    .enumerate()
                    .all(|(j, r)| j == i || r.is_none())
        };
        if discount.is_some() && only_at(discount_index) {
            return Ok(PlaceOrder::DiscountTaken);
        }
        if discount.is_some() && only_at(discount_index + 1) {
            return Ok(PlaceOrder::DiscountCustomerLimit);
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

    /// A page of a user's orders, newest first (one Query on gsi1). `after` is the `gsi1sk` of
    /// the last order of the previous page (`ORDER#<created>#<order id>`), checked by the caller.
    pub async fn list_user_orders(
        &self,
        user: &UserId,
        limit: usize,
        after: Option<(&str, &OrderId)>,
    ) -> Result<(Vec<OrderItem>, Option<String>), StoreError> {
        let partition = keys::user_orders_partition(user);
        let start = after.map(|(sk, order)| {
            let k = keys::order(order);
            [
                ("pk".to_string(), s(k.pk)),
                ("sk".to_string(), s(k.sk)),
                ("gsi1pk".to_string(), s(&partition)),
                ("gsi1sk".to_string(), s(sk)),
            ]
            .into_iter()
            .collect()
        });
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::GSI1)
            .scan_index_forward(false)
            .key_condition_expression("gsi1pk = :p AND begins_with(gsi1sk, :o)")
            .expression_attribute_values(":p", s(&partition))
            .expression_attribute_values(":o", s("ORDER#"));
        let mut orders: Vec<OrderItem> = super::query_page(q, start, limit).await?;
        let next = if orders.len() > limit {
            orders.truncate(limit);
            orders.last().map(|o| o.gsi1sk.clone())
        } else {
            None
        };
        Ok((orders, next))
    }

    /// Moves every guest order placed with `email` to `user`, whose account has verified that
    /// email: each order by its own UpdateItem (its owner, its place in the customer's order list)
    /// conditioned on still being a guest order of that email, so a retry, or two requests at
    /// once, move it once. What it holds unpaid stays counted against the guest (`held_by`).
    /// Answers how many it moved.
    pub async fn attach_guest_orders(
        &self,
        email: &str,
        user: &UserId,
        now: u64,
    ) -> Result<usize, StoreError> {
        let partition = keys::guest_orders_partition(&crate::digest::sha256_hex(email.as_bytes()));
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::GSI1)
            .key_condition_expression("gsi1pk = :p")
            .expression_attribute_values(":p", s(&partition))
            .projection_expression("pk, sk");
        let found: Vec<keys::Key> = super::query_page(q, None, MAX_ATTACHED).await?;
        let mut moved = 0;
        for k in found.iter().take(MAX_ATTACHED) {
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key_item(k)))
                .update_expression("SET user_id = :u, gsi1pk = :upk, attached_at = :at")
                .condition_expression("gsi1pk = :gpk AND guest_email = :e")
                .expression_attribute_values(":u", s(user.as_str()))
                .expression_attribute_values(":upk", s(keys::user_orders_partition(user)))
                .expression_attribute_values(":at", s(crate::time::rfc3339(now)))
                .expression_attribute_values(":gpk", s(&partition))
                .expression_attribute_values(":e", s(email))
                .send()
                .await
                .map_err(|e| StoreError::from_sdk("UpdateItem", e));
            if condition_held(result)? {
                moved += 1;
            }
        }
        if found.len() > MAX_ATTACHED {
            tracing::warn!(
                moved,
                "more guest orders for one email than one call moves; the next call moves more"
            );
        }
        Ok(moved)
    }

    pub(super) async fn claim_once(
        &self,
        order: &OrderId,
        attr: &str,
        at: &str,
    ) -> Result<bool, StoreError> {
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

    pub(super) async fn release_claim(
        &self,
        order: &OrderId,
        attr: &str,
    ) -> Result<(), StoreError> {
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
}

impl Store {
    /// The one way an order's status changes: the order's update (`status`, `updated_at` and
    /// `set`) conditioned on the order being in a status that [`crate::state::ORDER_TRANSITIONS`]
    /// lets it leave for `to`, and its history entry. Both go into the caller's transaction, the
    /// update first: its failed condition (`condition_failed_at` of its index) means the order
    /// was not in such a status.
    pub fn tx_status_change(
        &self,
        order: &OrderId,
        to: OrderStatus,
        when: (u64, &str),
        by: &str,
        set: &[(&str, AttributeValue)],
    ) -> Result<[TransactWriteItem; 2], StoreError> {
        self.tx_status_move(order, &OrderStatus::predecessors(to), to, when, by, set)
    }

    /// As [`Store::tx_status_change`], from only the statuses in `from` (each of which the
    /// table must let move to `to`): a cancel of an unpaid order must not also cancel a paid
    /// one. The due index follows the new status unless `set` names its attributes itself (a
    /// cancelled order with a payment to refund stays due).
    pub fn tx_status_move(
        &self,
        order: &OrderId,
        from: &[OrderStatus],
        to: OrderStatus,
        (now_ms, at): (u64, &str),
        by: &str,
        set: &[(&str, AttributeValue)],
    ) -> Result<[TransactWriteItem; 2], StoreError> {
        if from.is_empty() || from.iter().any(|f| !ORDER_TRANSITIONS.contains(&(*f, to))) {
            return Err(StoreError::Dynamo {
                operation: "status change",
                source: format!("no move from {from:?} to {to} in the transition table").into(),
            });
        }
        // The due index follows the status: a look later if the new status expects more,
        // none if it is done.
        let mut set = set.to_vec();
        let sets_due = set.iter().any(|(name, _)| *name == keys::DUE_PK);
        let remove: &[&str] = match to.follow_up_secs() {
            _ if sets_due => &[],
            Some(secs) => {
                set.push((keys::DUE_PK, s(keys::due_partition(order))));
                set.push((
                    keys::DUE_AT,
                    AttributeValue::N((now_ms / 1000 + secs).to_string()),
                ));
                &[]
            }
            None => &[keys::DUE_PK, keys::DUE_AT],
        };
        let update = self.order_update(order, from, Some(to), at, &set, remove)?;
        let entry = StatusEntry::new(order, now_ms, to, at, by);
        Ok([
            TransactWriteItem::builder().update(update).build(),
            self.tx_put(&entry, "attribute_not_exists(sk)")?,
        ])
    }

    /// An update of the order that holds only while its status is one of `from`: sets
    /// `updated_at = at`, the status when `to` is given (callers use [`Store::tx_status_change`]
    /// for that), and each of `set`.
    pub(super) fn order_update(
        &self,
        order: &OrderId,
        from: &[OrderStatus],
        to: Option<OrderStatus>,
        at: &str,
        set: &[(&str, AttributeValue)],
        remove: &[&str],
    ) -> Result<Update, StoreError> {
        let mut sets = vec!["updated_at = :at".to_string()];
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::order(order))))
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":at", s(at));
        if let Some(to) = to {
            sets.push("#st = :to".into());
            update = update.expression_attribute_values(":to", s(to.as_str()));
        }
        for (i, (name, value)) in set.iter().enumerate() {
            sets.push(format!("{name} = :v{i}"));
            update = update.expression_attribute_values(format!(":v{i}"), value.clone());
        }
        let mut allowed = Vec::with_capacity(from.len());
        for (i, f) in from.iter().enumerate() {
            allowed.push(format!(":f{i}"));
            update = update.expression_attribute_values(format!(":f{i}"), s(f.as_str()));
        }
        let removes = if remove.is_empty() {
            String::new()
        } else {
            format!(" REMOVE {}", remove.join(", "))
        };
        update
            .update_expression(format!("SET {}{removes}", sets.join(", ")))
            .condition_expression(format!(
                "attribute_exists(pk) AND #st IN ({})",
                allowed.join(", ")
            ))
            .build()
            .map_err(build_err)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusEntry {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub status: OrderStatus,
    pub at: String,
    /// What moved it (e.g. `checkout`, `stripe:evt_...`).
    pub by: String,
}

impl StatusEntry {
    /// The history entry for `order` reaching `status` at `at_ms` (its sort key) / `at` (RFC 3339).
    pub fn new(order: &OrderId, at_ms: u64, status: OrderStatus, at: &str, by: &str) -> Self {
        let k = keys::order_status(order, at_ms, status.as_str());
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: "OrderStatus".into(),
            status,
            at: at.into(),
            by: by.into(),
        }
    }
}
