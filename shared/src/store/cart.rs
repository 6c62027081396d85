//! Carts: one item per customer (`CART#<user>`/`CART`) holding every line in a map keyed by
//! product id, the cart's currency and a version bumped by every change. Every cart change is one
//! conditional UpdateItem on that item (`size(#l) < MAX_LINES` for a new line, the line's
//! quantity for an existing one), so the limits hold however many requests race, with no
//! transaction; checkout deletes the item only if it is still the version it priced. Carts do not
//! expire.

use super::catalog::ProductItem;
use super::users::build_err;
use super::{Item, Store, StoreError, key_item, n, s};
use crate::ids::{ProductId, UserId};
use crate::keys;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, ReturnValue, ReturnValuesOnConditionCheckFailure,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Lines per cart. Checkout writes 2 items per line plus a few more, within DynamoDB's
/// 100-action transaction limit.
pub const MAX_LINES: usize = 25;
/// Units of one product per line.
pub const MAX_QUANTITY: i64 = 20;

/// One line, as stored in the cart's `lines` map (no price: lines are priced from the product on
/// every read and at checkout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLine {
    pub quantity: i64,
    pub added_at: String,
    pub updated_at: String,
}

/// The cart item.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CartItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    version: i64,
    /// Product id → line (ordered, so lines come out in product-id order).
    #[serde(default)]
    lines: BTreeMap<String, StoredLine>,
}

/// A cart line with its product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    pub product_id: ProductId,
    pub quantity: i64,
    pub added_at: String,
    pub updated_at: String,
}

/// A customer's cart as read (an absent cart is an empty one, version 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cart {
    /// Currency of the products in it; meaningful only while it has lines.
    pub currency: Option<String>,
    /// Changes with every write: checkout empties the cart only if it is still this version.
    pub version: i64,
    /// In product-id order.
    pub lines: Vec<CartLine>,
}

impl From<CartItem> for Cart {
    fn from(item: CartItem) -> Self {
        Cart {
            currency: item.currency,
            version: item.version,
            lines: item
                .lines
                .into_iter()
                // A key that is not a product id cannot have been written by us; skip it.
                .filter_map(|(id, l)| {
                    Some(CartLine {
                        product_id: ProductId::parse(&id)?,
                        quantity: l.quantity,
                        added_at: l.added_at,
                        updated_at: l.updated_at,
                    })
                })
                .collect(),
        }
    }
}

fn cart_from(item: Option<Item>) -> Result<Option<Cart>, StoreError> {
    item.map(|i| Ok(serde_dynamo::from_item::<_, CartItem>(i)?.into()))
        .transpose()
}

#[derive(Debug, PartialEq, Eq)]
pub enum AddToCart {
    /// Added; the cart as it is now.
    Added(Cart),
    /// The line would exceed [`MAX_QUANTITY`].
    QuantityTooLarge { current: i64 },
    /// A new line would exceed [`MAX_LINES`].
    CartFull,
    /// The cart holds products priced in another currency.
    CurrencyMismatch { cart: String },
}

/// What a conditional cart update found: the cart as written, or as it was when its condition
/// failed (`None`: no cart item).
enum Updated {
    Written(Cart),
    Refused(Option<Cart>),
}

impl Updated {
    fn written(self) -> Option<Cart> {
        match self {
            Updated::Written(cart) => Some(cart),
            Updated::Refused(_) => None,
        }
    }
}

impl Store {
    /// The cart (strongly consistent); empty if the customer has none.
    pub async fn get_cart(&self, user: &UserId) -> Result<Cart, StoreError> {
        Ok(self
            .get::<CartItem>(&keys::cart(user), true)
            .await?
            .map(Cart::from)
            .unwrap_or_default())
    }

    /// One conditional UpdateItem on the cart item that also bumps its version, returning the
    /// cart as written, or as it stood when the condition failed.
    async fn update_cart(
        &self,
        user: &UserId,
        product: &ProductId,
        update: &str,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<Updated, StoreError> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::cart(user))))
            .update_expression(format!("{update} ADD #v :one"))
            .condition_expression(condition)
            // `lines` is a reserved word, `version` may become one.
            .expression_attribute_names("#l", "lines")
            .expression_attribute_names("#v", "version")
            .expression_attribute_names("#p", product.as_str())
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (name, value) in values {
            req = req.expression_attribute_values(name, value);
        }
        match req.send().await {
            Ok(out) => Ok(Updated::Written(
                cart_from(out.attributes)?.unwrap_or_default(),
            )),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(c)) => {
                    Ok(Updated::Refused(cart_from(c.item().cloned())?))
                }
                _ => Err(StoreError::from_sdk("UpdateItem", e)),
            },
        }
    }

    /// Adds `quantity` of `product` (priced in `currency`) to the cart: to its line if there is
    /// one, else as a new line within the cart's limits. One write when the line exists, two
    /// otherwise (the first write's refusal says what the cart holds).
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
            // An existing line.
            let seen = match self
                .update_cart(
                    user,
                    product,
                    "SET #l.#p.quantity = #l.#p.quantity + :q, #l.#p.updated_at = :ts",
                    "attribute_exists(#l.#p) AND #l.#p.quantity <= :limit",
                    vec![
                        (":q", n(quantity)),
                        (":limit", n(MAX_QUANTITY - quantity)),
                        (":ts", s(&ts)),
                    ],
                )
                .await?
            {
                Updated::Written(cart) => return Ok(AddToCart::Added(cart)),
                Updated::Refused(seen) => seen,
            };
            let line = StoredLine {
                quantity,
                added_at: ts.clone(),
                updated_at: ts.clone(),
            };
            let Some(cart) = seen else {
                // No cart yet: create it with this line.
                let item = CartItem {
                    pk: keys::cart(user).pk,
                    sk: keys::cart(user).sk,
                    entity: "Cart".into(),
                    currency: Some(currency.into()),
                    version: 1,
                    lines: BTreeMap::from([(product.to_string(), line)]),
                };
                let put = self
                    .client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(serde_dynamo::to_item(&item)?))
                    .condition_expression("attribute_not_exists(pk)")
                    .send()
                    .await
                    .map_err(|e| StoreError::from_sdk("PutItem", e));
                match put {
                    Ok(_) => return Ok(AddToCart::Added(Cart::from(item))),
                    Err(StoreError::ConditionFailed) => continue, // created meanwhile
                    Err(e) => return Err(e),
                }
            };
            if let Some(l) = cart.lines.iter().find(|l| &l.product_id == product) {
                return Ok(AddToCart::QuantityTooLarge {
                    current: l.quantity,
                });
            }
            // A new line, within the cart's limits (checked again by the write itself).
            let outcome = self
                .update_cart(
                    user,
                    product,
                    "SET #l.#p = :line, currency = :c",
                    "attribute_not_exists(#l.#p) AND size(#l) < :max AND \
                     (currency = :c OR size(#l) = :zero)",
                    vec![
                        (":line", AttributeValue::M(serde_dynamo::to_item(&line)?)),
                        (":c", s(currency)),
                        (":max", n(MAX_LINES)),
                        (":zero", n(0)),
                    ],
                )
                .await?;
            match outcome {
                Updated::Written(cart) => return Ok(AddToCart::Added(cart)),
                Updated::Refused(Some(cart)) => {
                    if cart.lines.iter().any(|l| &l.product_id == product) {
                        continue; // added concurrently: go round and add to it
                    }
                    if cart.lines.len() >= MAX_LINES {
                        return Ok(AddToCart::CartFull);
                    }
                    if let Some(c) = cart.currency.filter(|c| c != currency) {
                        return Ok(AddToCart::CurrencyMismatch { cart: c });
                    }
                }
                Updated::Refused(None) => {} // deleted meanwhile (checked out): go round
            }
        }
        Err(StoreError::ConditionFailed)
    }

    /// Sets a line's quantity: the cart as it is now, or `None` if the product is not in it.
    pub async fn set_cart_quantity(
        &self,
        user: &UserId,
        product: &ProductId,
        quantity: i64,
        now: u64,
    ) -> Result<Option<Cart>, StoreError> {
        let updated = self
            .update_cart(
                user,
                product,
                "SET #l.#p.quantity = :q, #l.#p.updated_at = :ts",
                "attribute_exists(#l.#p)",
                vec![(":q", n(quantity)), (":ts", s(crate::time::rfc3339(now)))],
            )
            .await?;
        Ok(updated.written())
    }

    /// Removes a line: the cart as it is now, or `None` if the product was not in it.
    pub async fn remove_from_cart(
        &self,
        user: &UserId,
        product: &ProductId,
    ) -> Result<Option<Cart>, StoreError> {
        let updated = self
            .update_cart(
                user,
                product,
                "REMOVE #l.#p",
                "attribute_exists(#l.#p)",
                vec![],
            )
            .await?;
        Ok(updated.written())
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
