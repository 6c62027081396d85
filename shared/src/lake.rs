//! The data lake: every paid order as one JSON line (NDJSON) in S3, partitioned by the UTC day it
//! was paid, for Athena (the Glue table in `template.yaml`) and for the recommendations job.
//!
//! Objects are `<prefix>dt=YYYY-MM-DD/<first stream sequence number of the batch>.ndjson`
//! ([`object_key`]), one per stream batch and day, written by `order-archiver`. A batch that is
//! delivered again writes the same key with the same lines; a batch retried from another record
//! (a partial failure) can write an order into a second object, so readers count an order once
//! by its `order_id` (Athena: `count(DISTINCT order_id)`). The schema is [`OrderPaid`];
//! `schema` says its version, and readers skip versions they do not know.

use crate::ids::{OrderId, ProductId, UserId};
use crate::store::orders::{OrderItem, OrderLineItem};
use serde::{Deserialize, Serialize};

/// The version of [`OrderPaid`] written now.
pub const SCHEMA_VERSION: u32 = 1;
/// The `type` of every line.
pub const ORDER_PAID: &str = "order.paid";

/// One paid order. Amounts are integers in the currency's minor unit, as on the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPaid {
    pub schema: u32,
    #[serde(rename = "type")]
    pub kind: String,
    pub order_id: OrderId,
    /// RFC 3339 (UTC); its day is the partition.
    pub paid_at: String,
    pub created_at: String,
    /// The account, or a guest's derived id (no email or address is in the lake).
    pub customer: UserId,
    pub guest: bool,
    pub currency: String,
    pub subtotal: i64,
    pub shipping: i64,
    pub tax_total: i64,
    pub tax_included: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_code: Option<String>,
    /// What the discount took off (0 without one).
    pub discount: i64,
    pub total: i64,
    /// ISO 3166-1 alpha-2 of the shipping address.
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_option: Option<String>,
    pub lines: Vec<PaidLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaidLine {
    pub product_id: ProductId,
    pub name: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub line_total: i64,
    /// Its share of the order's discount.
    pub discount: i64,
    pub tax: i64,
}

impl OrderPaid {
    /// The lake's line for a paid order and its lines. `None` if the order has no `paid_at`.
    pub fn of(order: &OrderItem, lines: &[OrderLineItem]) -> Option<Self> {
        Some(Self {
            schema: SCHEMA_VERSION,
            kind: ORDER_PAID.into(),
            order_id: order.order_id.clone(),
            paid_at: order.paid_at.clone()?,
            created_at: order.created_at.clone(),
            customer: order.user_id.clone(),
            guest: order.guest_email.is_some(),
            currency: order.currency.clone(),
            subtotal: order.subtotal,
            shipping: order.shipping,
            tax_total: order.tax_total,
            tax_included: order.tax_included,
            discount_code: order.discount.as_ref().map(|d| d.code.clone()),
            discount: order.discount.as_ref().map_or(0, |d| d.amount),
            total: order.total,
            country: order.shipping_address.country.clone(),
            shipping_option: order.shipping_option.as_ref().map(|s| s.option_id.clone()),
            lines: lines
                .iter()
                .map(|l| PaidLine {
                    product_id: l.product_id.clone(),
                    name: l.name.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    line_total: l.line_total,
                    discount: l.discount,
                    tax: l.tax.tax,
                })
                .collect(),
        })
    }

    /// The partition's day, `YYYY-MM-DD` (UTC).
    pub fn day(&self) -> &str {
        self.paid_at.get(..10).unwrap_or(&self.paid_at)
    }
}

/// `<prefix>dt=<day>/`: one day's objects.
pub fn day_prefix(prefix: &str, day: &str) -> String {
    format!("{prefix}dt={day}/")
}

/// `<prefix>dt=<day>/<first sequence number>.ndjson`.
pub fn object_key(prefix: &str, day: &str, first_sequence_number: &str) -> String {
    format!("{}{first_sequence_number}.ndjson", day_prefix(prefix, day))
}

/// The day of an object key under `prefix` (`None` for a key that is not a day's object).
pub fn day_of_key<'a>(prefix: &str, key: &'a str) -> Option<&'a str> {
    let rest = key.strip_prefix(prefix)?.strip_prefix("dt=")?;
    let (day, file) = rest.split_once('/')?;
    (day.len() == 10 && file.ends_with(".ndjson")).then_some(day)
}

/// The UTC day (`YYYY-MM-DD`) of a Unix time.
pub fn day_of_unix(unix: u64) -> String {
    crate::time::rfc3339(unix)[..10].to_string()
}

/// Whether `s` is a calendar day `YYYY-MM-DD`.
pub fn is_day(s: &str) -> bool {
    s.len() == 10 && crate::time::parse_rfc3339(&format!("{s}T00:00:00Z")).is_some()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_day_partitions() {
        assert_eq!(
            super::object_key("orders/", "2026-12-04", "4900000000000000001"),
            "orders/dt=2026-12-04/4900000000000000001.ndjson"
        );
        assert_eq!(
            super::day_of_key("orders/", "orders/dt=2026-12-04/49.ndjson"),
            Some("2026-12-04")
        );
        assert_eq!(super::day_of_key("orders/", "orders/dt=2026-12-04/"), None);
        assert_eq!(
            super::day_of_key("orders/", "other/dt=2026-12-04/1.ndjson"),
            None
        );
        assert_eq!(super::day_of_unix(1_795_291_080), "2026-11-21");
        assert!(super::is_day("2026-02-28") && !super::is_day("2026-02-30"));
        assert!(!super::is_day("2026-2-3") && !super::is_day("tomorrow"));
    }
}
