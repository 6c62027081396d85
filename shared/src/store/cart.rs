//! Carts: a header item (`CART#<user>`/`CART`: line count and currency) and one item per line
//! (`CART#<user>`/`LINE#<product>`). A new line is added in one transaction with the header's
//! `line_count < MAX_LINES` condition, so a cart can never outgrow what checkout fits into a single
//! DynamoDB transaction, however many requests race. Carts do not expire: a TTL on lines and
//! header separately could leave `line_count` disagreeing with the lines.

use super::catalog::ProductItem;
use super::users::build_err;
use super::{Item, Store, StoreError, condition_held, from_transact_error, key_item, n, s};
use crate::ids::{ProductId, UserId};
use crate::keys;
use aws_sdk_dynamodb::types::{
    Delete, KeysAndAttributes, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};

/// Lines per cart. Checkout writes 2 items per line plus a few more, within DynamoDB's
/// 100-action transaction limit.
pub const MAX_LINES: usize = 25;
/// Units of one product per line.
pub const MAX_QUANTITY: i64 = 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CartLineItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub product_id: ProductId,
    pub quantity: i64,
    pub added_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CartHeader {
    #[serde(default)]
    pub line_count: i64,
    #[serde(default)]
    pub currency: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum AddToCart {
    Added,
    /// The line would exceed [`MAX_QUANTITY`].
    QuantityTooLarge {
        current: i64,
    },
    /// A new line would exceed [`MAX_LINES`].
    CartFull,
    /// The cart holds products priced in another currency.
    CurrencyMismatch {
        cart: String,
    },
}

impl Store {
    /// The cart's header and lines (strongly consistent), lines in product-id order.
    pub async fn get_cart(
        &self,
        user: &UserId,
    ) -> Result<(CartHeader, Vec<CartLineItem>), StoreError> {
        let mut header = CartHeader::default();
        let mut lines = Vec::new();
        for item in self
            .query_partition(None, &keys::cart(user).pk, None, true)
            .await?
        {
            let sk = item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            if sk == "CART" {
                header = serde_dynamo::from_item(item)?;
            } else if sk.starts_with("LINE#") {
                lines.push(serde_dynamo::from_item(item)?);
            }
        }
        Ok((header, lines))
    }

    /// Adds `quantity` of `product` (priced in `currency`) to the cart: to its line if there is
    /// one, else as a new line within the cart's limits.
    pub async fn add_to_cart(
        &self,
        user: &UserId,
        product: &ProductId,
        quantity: i64,
        currency: &str,
        now: u64,
    ) -> Result<AddToCart, StoreError> {
        let ts = crate::time::rfc3339(now);
        for _ in 0..3 {
            // An existing line: one conditional update.
            let existing = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key_item(&keys::cart_line(user, product))))
                .update_expression("SET quantity = quantity + :q, updated_at = :ts")
                .condition_expression("attribute_exists(sk) AND quantity <= :limit")
                .expression_attribute_values(":q", n(quantity))
                .expression_attribute_values(":limit", n(MAX_QUANTITY - quantity))
                .expression_attribute_values(":ts", s(&ts))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            match existing {
                Ok(_) => return Ok(AddToCart::Added),
                Err(e) => {
                    use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
                    let old = match e.as_service_error() {
                        Some(UpdateItemError::ConditionalCheckFailedException(c)) => {
                            c.item().cloned()
                        }
                        _ => return Err(StoreError::from_sdk("UpdateItem", e)),
                    };
                    if let Some(old) = old {
                        let line: CartLineItem = serde_dynamo::from_item(old)?;
                        return Ok(AddToCart::QuantityTooLarge {
                            current: line.quantity,
                        });
                    }
                }
            }
            // A new line, counted against the cart's limits in the same transaction.
            let k = keys::cart_line(user, product);
            let line = CartLineItem {
                pk: k.pk,
                sk: k.sk,
                entity: "CartLine".into(),
                product_id: product.clone(),
                quantity,
                added_at: ts.clone(),
                updated_at: ts.clone(),
            };
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(serde_dynamo::to_item(&line)?))
                .condition_expression("attribute_not_exists(sk)")
                .build()
                .map_err(build_err)?;
            let header = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key_item(&keys::cart(user))))
                .update_expression("ADD line_count :one SET currency = :c, entity = :e")
                .condition_expression(
                    "(attribute_not_exists(line_count) OR line_count < :max) AND \
                     (attribute_not_exists(currency) OR currency = :c OR line_count = :zero)",
                )
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":max", n(MAX_LINES))
                .expression_attribute_values(":c", s(currency))
                .expression_attribute_values(":e", s("Cart"))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .map_err(build_err)?;
            let result = self
                .client
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().put(put).build())
                .transact_items(TransactWriteItem::builder().update(header).build())
                .send()
                .await
                .map_err(from_transact_error);
            match result {
                Ok(_) => return Ok(AddToCart::Added),
                // The line appeared meanwhile (a concurrent add): go round and add to it.
                Err(e) if e.condition_failed_at(0) => continue,
                Err(e) if e.condition_failed_at(1) => {
                    let (h, _) = self.get_cart(user).await?;
                    return Ok(match h.currency {
                        Some(c) if c != currency && h.line_count > 0 => {
                            AddToCart::CurrencyMismatch { cart: c }
                        }
                        _ => AddToCart::CartFull,
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::ConditionFailed)
    }

    /// Sets a line's quantity. `Ok(false)` if the product is not in the cart.
    pub async fn set_cart_quantity(
        &self,
        user: &UserId,
        product: &ProductId,
        quantity: i64,
        now: u64,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::cart_line(user, product))))
            .update_expression("SET quantity = :q, updated_at = :ts")
            .condition_expression("attribute_exists(sk)")
            .expression_attribute_values(":q", n(quantity))
            .expression_attribute_values(":ts", s(crate::time::rfc3339(now)))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e));
        condition_held(result)
    }

    /// Removes a line and uncounts it, together. `Ok(false)` if it was not in the cart.
    pub async fn remove_from_cart(
        &self,
        user: &UserId,
        product: &ProductId,
    ) -> Result<bool, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::cart_line(user, product))))
            .condition_expression("attribute_exists(sk)")
            .build()
            .map_err(build_err)?;
        let header = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::cart(user))))
            .update_expression("ADD line_count :minus")
            .condition_expression("line_count > :zero")
            .expression_attribute_values(":minus", n(-1))
            .expression_attribute_values(":zero", n(0))
            .build()
            .map_err(build_err)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(TransactWriteItem::builder().update(header).build())
            .send()
            .await
            .map_err(from_transact_error);
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.condition_failed_at(0) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Products by id in one BatchGetItem per 100 ids (eventually consistent), retrying
    /// unprocessed keys. Missing products are simply absent from the result.
    pub async fn batch_get_products(
        &self,
        ids: &[ProductId],
    ) -> Result<Vec<ProductItem>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(100) {
            let keys: Vec<Item> = chunk
                .iter()
                .map(|id| key_item(&keys::product(id)))
                .collect();
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .build()
                    .map_err(build_err)?,
            );
            let mut attempt = 0u32;
            while let Some(request) = pending.take() {
                let resp = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| StoreError::from_sdk("BatchGetItem", e))?;
                if let Some(items) = resp
                    .responses
                    .and_then(|mut found| found.remove(&self.table))
                {
                    out.extend(serde_dynamo::from_items::<_, ProductItem>(items)?);
                }
                pending = resp
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|k| !k.keys().is_empty());
                if pending.is_some() {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempt.min(6)))
                        .await;
                }
            }
        }
        Ok(out)
    }
}
