//! What a customer holds unpaid: a count of unpaid orders and the units reserved per product
//! across them, in one item per customer (`HOLDS#<user id>` / `HOLDS`). Checkout's transaction takes
//! its order's share, conditioned on the limits ([`HoldLimits`]), so no script can empty a flash
//! sale without paying; the status change that ends the order's wait for payment (paid,
//! cancelled) gives it back in its own transaction, once.

use super::orders::OrderItem;
use super::users::build_err;
use super::{Store, StoreError, key_item, n};
use crate::ids::{ProductId, UserId};
use crate::keys;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

/// How much one customer may hold unpaid at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldLimits {
    /// Unpaid orders.
    pub unpaid_orders: u32,
    /// Units of one product over all of them.
    pub units_per_product: u32,
}

impl Default for HoldLimits {
    fn default() -> Self {
        Self {
            unpaid_orders: 3,
            units_per_product: 20,
        }
    }
}

/// The attribute holding a customer's reserved units of one product.
fn units_attr(product: &ProductId) -> String {
    format!("units_{product}")
}

impl Store {
    /// The checkout transaction's action taking `lines` (product, quantity) for one more unpaid
    /// order of `user`, conditioned on `limits`. `None` if a line alone exceeds them.
    pub fn tx_take_holds(
        &self,
        user: &UserId,
        lines: &[(ProductId, i64)],
        limits: HoldLimits,
    ) -> Result<Option<TransactWriteItem>, StoreError> {
        let max_units = i64::from(limits.units_per_product);
        if lines.iter().any(|(_, q)| *q > max_units) {
            return Ok(None);
        }
        let mut sets = vec!["unpaid = if_not_exists(unpaid, :zero) + :one".to_string()];
        let mut conditions =
            vec!["(attribute_not_exists(unpaid) OR unpaid < :max_orders)".to_string()];
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::user_holds(user))))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max_orders", n(limits.unpaid_orders));
        for (i, (product, q)) in lines.iter().enumerate() {
            sets.push(format!("#u{i} = if_not_exists(#u{i}, :zero) + :q{i}"));
            conditions.push(format!("(attribute_not_exists(#u{i}) OR #u{i} <= :l{i})"));
            update = update
                .expression_attribute_names(format!("#u{i}"), units_attr(product))
                .expression_attribute_values(format!(":q{i}"), n(*q))
                .expression_attribute_values(format!(":l{i}"), n(max_units - q));
        }
        let update = update
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression(conditions.join(" AND "))
            .build()
            .map_err(build_err)?;
        Ok(Some(TransactWriteItem::builder().update(update).build()))
    }

    /// The action giving back what an unpaid order held, for the transaction that moves it out
    /// of `pending_payment` (conditioned on its status, so once). `None` for an order placed
    /// before holds were counted.
    pub fn tx_release_holds(
        &self,
        order: &OrderItem,
    ) -> Result<Option<TransactWriteItem>, StoreError> {
        match &order.held {
            Some(held) => self.tx_release(order.holder(), held).map(Some),
            None => Ok(None),
        }
    }

    /// As [`Store::tx_release_holds`], from the order's customer and what it held.
    pub fn tx_release(
        &self,
        user: &UserId,
        held: &[(ProductId, i64)],
    ) -> Result<TransactWriteItem, StoreError> {
        let mut sets = vec!["unpaid = unpaid - :one".to_string()];
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::user_holds(user))))
            .expression_attribute_values(":one", n(1));
        for (i, (product, q)) in held.iter().enumerate() {
            sets.push(format!("#u{i} = #u{i} - :q{i}"));
            update = update
                .expression_attribute_names(format!("#u{i}"), units_attr(product))
                .expression_attribute_values(format!(":q{i}"), n(*q));
        }
        let update = update
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression("attribute_exists(unpaid)")
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}
