//! Carts: one item per customer (`CART#<user>`/`CART`) holding every line in a map keyed by
//! product id, the cart's currency and a version bumped by every change. Every cart change is one
//! conditional UpdateItem on that item (`size(#l) < MAX_LINES` for a new line, the line's
//! quantity for an existing one), so the limits hold however many requests race, with no
//! transaction; checkout deletes the item only if it is still the version it priced. Customers'
//! carts do not expire.
//!
//! A guest's cart is the same item under `GUESTCART#<sha256 of its cart token>` ([`CartOwner`]),
//! with `expires_at` (and DynamoDB's `ttl`) pushed [`GUEST_CART_TTL_SECS`] on by every write, which
//! is conditioned on it being live. At login with its token it is merged into the customer's cart
//! ([`Store::merge_guest_cart`]) in one transaction that also marks it merged, so once.

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
/// A guest cart lives this long after its last change.
pub const GUEST_CART_TTL_SECS: u64 = 30 * 86_400;

/// Whose cart: a customer's, or a guest's (by the SHA-256 of its cart token; the token itself is
/// stored nowhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartOwner {
    User(UserId),
    Guest { token_hash: String },
}

impl CartOwner {
    pub fn key(&self) -> keys::Key {
        match self {
            CartOwner::User(u) => keys::cart(u),
            CartOwner::Guest { token_hash } => keys::guest_cart(token_hash),
        }
    }

    pub fn is_guest(&self) -> bool {
        matches!(self, CartOwner::Guest { .. })
    }
}

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
    /// The discount code applied (normalised), priced with the cart on every read and at
    /// checkout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    discount_code: Option<String>,
    /// Guest carts: when it ends (unix seconds), and DynamoDB's TTL attribute (the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl: Option<u64>,
    /// Guest carts: the account it was merged into, and what the merge did (JSON), so a retried
    /// merge answers the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    merged_into: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    merge_report: Option<String>,
}

impl CartItem {
    /// A guest cart past its expiry or merged into an account: nothing more happens to it.
    fn closed(&self, now: u64) -> bool {
        self.merged_into.is_some() || self.expires_at.is_some_and(|e| e <= now)
    }
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
    /// A guest cart that expired or was merged into an account (it reads as empty).
    pub closed: bool,
    /// The discount code applied (`POST /cart/discount`).
    pub discount_code: Option<String>,
}

impl From<CartItem> for Cart {
    fn from(item: CartItem) -> Self {
        if item.closed(crate::time::now_unix()) {
            return Cart {
                closed: true,
                ..Cart::default()
            };
        }
        Cart {
            closed: false,
            discount_code: item.discount_code,
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
    /// A guest cart that expired or was merged meanwhile: start a new one.
    Closed,
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
    /// The customer's cart (strongly consistent); empty if the customer has none.
    pub async fn get_cart(&self, user: &UserId) -> Result<Cart, StoreError> {
        self.cart_of(&CartOwner::User(user.clone())).await
    }

    /// Anyone's cart (strongly consistent); empty if there is none, and a guest cart that expired
    /// or was merged is empty and `closed`.
    pub async fn cart_of(&self, owner: &CartOwner) -> Result<Cart, StoreError> {
        Ok(self
            .get::<CartItem>(&owner.key(), true)
            .await?
            .map(Cart::from)
            .unwrap_or_default())
    }

    /// One conditional UpdateItem on the cart item that also bumps its version, returning the
    /// cart as written, or as it stood when the condition failed.
    async fn update_cart(
        &self,
        owner: &CartOwner,
        product: Option<&ProductId>,
        update: &str,
        condition: &str,
        mut values: Vec<(&str, AttributeValue)>,
    ) -> Result<Updated, StoreError> {
        let (update, condition) = if owner.is_guest() {
            // A guest cart lives on from every change, and only a live one changes.
            let now = crate::time::now_unix();
            values.push((":now", n(now)));
            values.push((":exp", n(now + GUEST_CART_TTL_SECS)));
            let keep = "expires_at = :exp, #ttl = :exp";
            let update = if update.starts_with("SET ") {
                format!("{update}, {keep}")
            } else {
                format!("{update} SET {keep}")
            };
            (
                update,
                format!(
                    "({condition}) AND expires_at > :now AND attribute_not_exists(merged_into)"
                ),
            )
        } else {
            (update.to_string(), condition.to_string())
        };
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&owner.key())))
            .update_expression(format!("{update} ADD #v :one"))
            .condition_expression(condition)
            // `version` may become a reserved word.
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if owner.is_guest() {
            req = req.expression_attribute_names("#ttl", keys::TTL);
        }
        if let Some(product) = product {
            // `lines` is a reserved word.
            req = req
                .expression_attribute_names("#l", "lines")
                .expression_attribute_names("#p", product.as_str());
        }
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
        owner: &CartOwner,
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
                    owner,
                    Some(product),
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
                let key = owner.key();
                let expires = owner.is_guest().then_some(now + GUEST_CART_TTL_SECS);
                let item = CartItem {
                    pk: key.pk,
                    sk: key.sk,
                    entity: if owner.is_guest() {
                        "GuestCart"
                    } else {
                        "Cart"
                    }
                    .into(),
                    currency: Some(currency.into()),
                    version: 1,
                    lines: BTreeMap::from([(product.to_string(), line)]),
                    discount_code: None,
                    expires_at: expires,
                    ttl: expires,
                    merged_into: None,
                    merge_report: None,
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
            if cart.closed {
                return Ok(AddToCart::Closed);
            }
            if let Some(l) = cart.lines.iter().find(|l| &l.product_id == product) {
                return Ok(AddToCart::QuantityTooLarge {
                    current: l.quantity,
                });
            }
            // A new line, within the cart's limits (checked again by the write itself).
            let outcome = self
                .update_cart(
                    owner,
                    Some(product),
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
                    if cart.closed {
                        return Ok(AddToCart::Closed);
                    }
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
        owner: &CartOwner,
        product: &ProductId,
        quantity: i64,
        now: u64,
    ) -> Result<Option<Cart>, StoreError> {
        let updated = self
            .update_cart(
                owner,
                Some(product),
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
        owner: &CartOwner,
        product: &ProductId,
    ) -> Result<Option<Cart>, StoreError> {
        let updated = self
            .update_cart(
                owner,
                Some(product),
                "REMOVE #l.#p",
                "attribute_exists(#l.#p)",
                vec![],
            )
            .await?;
        Ok(updated.written())
    }

    /// Applies a discount code to the cart (`None` removes it): the cart as it is now, or `None`
    /// if there is no cart (nothing was ever put in it, or a guest's expired or was merged).
    pub async fn set_cart_discount(
        &self,
        owner: &CartOwner,
        code: Option<&str>,
    ) -> Result<Option<Cart>, StoreError> {
        let updated = match code {
            Some(code) => {
                self.update_cart(
                    owner,
                    None,
                    "SET discount_code = :d",
                    "attribute_exists(pk)",
                    vec![(":d", s(code))],
                )
                .await?
            }
            None => {
                self.update_cart(
                    owner,
                    None,
                    "REMOVE discount_code",
                    "attribute_exists(pk)",
                    vec![],
                )
                .await?
            }
        };
        Ok(updated.written())
    }

    /// Products by id in one BatchGetItem per 100 ids (eventually consistent), retrying
    /// unprocessed keys. Missing products are simply absent from the result.
    pub async fn batch_get_products(
        &self,
        ids: &[ProductId],
    ) -> Result<Vec<ProductItem>, StoreError> {
        let keys: Vec<keys::Key> = ids.iter().map(keys::product).collect();
        self.batch_get(&keys).await
    }

    /// Items by key in one BatchGetItem per 100 keys (eventually consistent), retrying
    /// unprocessed keys. Missing items are absent from the result, which is in no set order.
    pub async fn batch_get<T: serde::de::DeserializeOwned>(
        &self,
        keys: &[keys::Key],
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        for chunk in keys.chunks(100) {
            let keys: Vec<Item> = chunk.iter().map(key_item).collect();
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
                    out.extend(serde_dynamo::from_items::<_, T>(items)?);
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

/// A line of a guest cart as a merge treated it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeLine {
    pub product_id: ProductId,
    pub quantity: i64,
    /// For lines (or units) not merged: `quantity_limit` (the line would pass
    /// [`MAX_QUANTITY`]), `cart_full` ([`MAX_LINES`] lines), `currency_mismatch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What merging a guest cart did: units added per product, and units left out with why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeReport {
    pub merged: Vec<MergeLine>,
    pub not_merged: Vec<MergeLine>,
}

/// The customer's lines with the guest's added within the limits, and the report.
fn merged_lines(
    mine: &CartItem,
    guest: &CartItem,
    now: &str,
) -> (BTreeMap<String, StoredLine>, Option<String>, MergeReport) {
    let mut lines = mine.lines.clone();
    let mut report = MergeReport::default();
    let currency = if mine.lines.is_empty() {
        guest.currency.clone()
    } else {
        mine.currency.clone()
    };
    for (id, line) in &guest.lines {
        let Some(product_id) = ProductId::parse(id) else {
            continue;
        };
        let left = |quantity: i64, reason: &str| MergeLine {
            product_id: product_id.clone(),
            quantity,
            reason: Some(reason.into()),
        };
        if !mine.lines.is_empty() && mine.currency != guest.currency {
            report
                .not_merged
                .push(left(line.quantity, "currency_mismatch"));
            continue;
        }
        let count = lines.len();
        let (added, reason) = match lines.get_mut(id) {
            Some(existing) => {
                let room = (MAX_QUANTITY - existing.quantity).max(0);
                let add = line.quantity.min(room);
                if add > 0 {
                    existing.quantity += add;
                    existing.updated_at = now.to_string();
                }
                (add, "quantity_limit")
            }
            None if count < MAX_LINES => {
                let add = line.quantity.min(MAX_QUANTITY);
                lines.insert(
                    id.clone(),
                    StoredLine {
                        quantity: add,
                        added_at: line.added_at.clone(),
                        updated_at: now.to_string(),
                    },
                );
                (add, "quantity_limit")
            }
            None => (0, "cart_full"),
        };
        if added > 0 {
            report.merged.push(MergeLine {
                product_id: product_id.clone(),
                quantity: added,
                reason: None,
            });
        }
        if added < line.quantity {
            report.not_merged.push(left(line.quantity - added, reason));
        }
    }
    (lines, currency, report)
}

impl Store {
    /// Merges the guest cart of `token_hash` into `user`'s cart, once: one transaction writes
    /// the customer's cart (conditioned on the version read) and marks the guest cart merged
    /// with its report (conditioned on its version and on not being merged). A retry, or a
    /// concurrent merge that lost, answers the report of the merge that happened. `None` when
    /// there is nothing to merge (no such cart, expired, empty, or merged into another account).
    pub async fn merge_guest_cart(
        &self,
        token_hash: &str,
        user: &UserId,
        now: u64,
    ) -> Result<Option<MergeReport>, StoreError> {
        let guest_key = keys::guest_cart(token_hash);
        let mine_key = keys::cart(user);
        for attempt in 0..super::CONFLICT_ATTEMPTS {
            let Some(guest) = self.get::<CartItem>(&guest_key, true).await? else {
                return Ok(None);
            };
            if let Some(into) = &guest.merged_into {
                return Ok((into == user)
                    .then(|| {
                        guest
                            .merge_report
                            .as_deref()
                            .and_then(|r| serde_json::from_str(r).ok())
                    })
                    .flatten());
            }
            if guest.closed(now) || guest.lines.is_empty() {
                return Ok(None);
            }
            let existing = self.get::<CartItem>(&mine_key, true).await?;
            let mine = existing.clone().unwrap_or_else(|| CartItem {
                pk: mine_key.pk.clone(),
                sk: mine_key.sk.clone(),
                entity: "Cart".into(),
                currency: None,
                version: 0,
                lines: BTreeMap::new(),
                discount_code: None,
                expires_at: None,
                ttl: None,
                merged_into: None,
                merge_report: None,
            });
            let (lines, currency, report) = merged_lines(&mine, &guest, &crate::time::rfc3339(now));
            let written = CartItem {
                version: mine.version + 1,
                lines,
                currency,
                // The customer's own code stays; else the one the guest applied comes along.
                discount_code: mine.discount_code.clone().or(guest.discount_code.clone()),
                ..mine.clone()
            };
            let put = aws_sdk_dynamodb::types::Put::builder()
                .table_name(&self.table)
                .set_item(Some(serde_dynamo::to_item(&written)?));
            let put = match existing {
                Some(_) => put
                    .condition_expression("#v = :v")
                    .expression_attribute_names("#v", "version")
                    .expression_attribute_values(":v", n(mine.version)),
                None => put.condition_expression("attribute_not_exists(pk)"),
            };
            let report_json = serde_json::to_string(&report).unwrap_or_default();
            let mark = aws_sdk_dynamodb::types::Update::builder()
                .table_name(&self.table)
                .set_key(Some(key_item(&guest_key)))
                .update_expression(
                    "SET merged_into = :u, merge_report = :r, #l = :empty ADD #v :one",
                )
                .condition_expression("#v = :gv AND attribute_not_exists(merged_into)")
                .expression_attribute_names("#l", "lines")
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":u", s(user.as_str()))
                .expression_attribute_values(":r", s(report_json))
                .expression_attribute_values(":empty", AttributeValue::M(Default::default()))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":gv", n(guest.version))
                .build()
                .map_err(build_err)?;
            let actions = vec![
                aws_sdk_dynamodb::types::TransactWriteItem::builder()
                    .put(put.build().map_err(build_err)?)
                    .build(),
                aws_sdk_dynamodb::types::TransactWriteItem::builder()
                    .update(mark)
                    .build(),
            ];
            match self.transact(actions).await {
                Ok(()) => return Ok(Some(report)),
                // Either cart changed since it was read (or a concurrent merge won): read again.
                Err(e)
                    if e.is_conflict() || e.condition_failed_at(0) || e.condition_failed_at(1) =>
                {
                    tokio::time::sleep(super::backoff(attempt)).await;
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Unavailable {
            operation: "merge guest cart",
            source: "the carts kept changing".into(),
        })
    }
}
