//! Discount codes (`crate::selling::discount`): one item per code (`DISCOUNT#<CODE>` /
//! `DISCOUNT`) holding its rules, its `version` (bumped by every change of the rules) and `uses`,
//! and beside it one item per customer that used a code limited per customer (`USE#<user>`,
//! `count`). Checkout's transaction takes a use of both, conditioned on the limits and on the
//! rules being the version it priced by ([`Store::tx_use_discount`]), so N checkouts racing for a
//! code limited to K uses make exactly K orders with it; expiry gives an unpaid order's use back
//! in the transaction that cancels it ([`Store::tx_release_discount`]).

use super::orders::OrderItem;
use super::users::build_err;
use super::{Store, StoreError, condition_held, key_item, n, s};
use crate::ids::UserId;
use crate::keys;
use crate::selling::discount::DiscountRules;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

/// `DISCOUNT#<CODE>` / `DISCOUNT`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscountItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub code: String,
    pub rules: DiscountRules,
    /// Orders placed with it (unpaid ones that lapsed give theirs back).
    #[serde(default)]
    pub uses: u32,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
}

impl DiscountItem {
    pub fn new(code: &str, rules: DiscountRules, now: u64) -> Self {
        let k = keys::discount(code);
        let at = crate::time::rfc3339(now);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: "Discount".into(),
            code: code.into(),
            rules,
            uses: 0,
            version: 1,
            created_at: at.clone(),
            updated_at: at,
            gsi1pk: keys::DISCOUNTS_GSI1.into(),
            gsi1sk: code.into(),
        }
    }
}

/// `DISCOUNT#<CODE>` / `USE#<user>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DiscountUse {
    count: u32,
}

/// The discount an order was placed with, as it keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDiscount {
    pub code: String,
    /// What it took off, in minor units of the order's currency.
    pub amount: i64,
    /// Its use was also counted against the buyer (`USE#<user>`), to be given back with it.
    #[serde(default)]
    pub per_customer: bool,
}

/// A code's change as asked.
#[derive(Debug, PartialEq, Eq)]
pub enum DiscountSaved {
    Saved(Box<DiscountItem>),
    /// Creating a code that exists, or changing one from a version that is no longer stored.
    VersionConflict,
    NotFound,
}

impl Store {
    /// The code's item (strongly consistent: checkout conditions on the version it read).
    pub async fn get_discount(&self, code: &str) -> Result<Option<DiscountItem>, StoreError> {
        self.get(&keys::discount(code), true).await
    }

    /// How often `user` used `code`.
    pub async fn discount_uses_of(&self, code: &str, user: &UserId) -> Result<u32, StoreError> {
        Ok(self
            .get::<DiscountUse>(&keys::discount_use(code, user), true)
            .await?
            .map_or(0, |u| u.count))
    }

    /// Creates a code (`VersionConflict` if it exists).
    pub async fn create_discount(&self, item: &DiscountItem) -> Result<DiscountSaved, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(item)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("PutItem", e));
        Ok(if condition_held(result)? {
            DiscountSaved::Saved(Box::new(item.clone()))
        } else {
            DiscountSaved::VersionConflict
        })
    }

    /// Replaces a code's rules if they are still at `expected` (its uses are kept).
    pub async fn update_discount(
        &self,
        code: &str,
        rules: &DiscountRules,
        expected: u64,
        now: u64,
    ) -> Result<DiscountSaved, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::discount(code))))
            .update_expression("SET #r = :r, updated_at = :at ADD version :one")
            .condition_expression("attribute_exists(pk) AND version = :v")
            .expression_attribute_names("#r", "rules")
            .expression_attribute_values(":r", serde_dynamo::to_attribute_value(rules)?)
            .expression_attribute_values(":at", s(crate::time::rfc3339(now)))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":v", n(expected))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => Ok(DiscountSaved::Saved(Box::new(serde_dynamo::from_item(
                out.attributes.unwrap_or_default(),
            )?))),
            Err(e) => match StoreError::from_sdk("UpdateItem", e) {
                StoreError::ConditionFailed => Ok(match self.get_discount(code).await? {
                    Some(_) => DiscountSaved::VersionConflict,
                    None => DiscountSaved::NotFound,
                }),
                e => Err(e),
            },
        }
    }

    /// A page of codes in code order (one Query on gsi1); `after` is the last code of the page
    /// before.
    pub async fn list_discounts(
        &self,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<DiscountItem>, Option<String>), StoreError> {
        let start = after.map(|code| {
            let k = keys::discount(code);
            [
                ("pk".to_string(), s(k.pk)),
                ("sk".to_string(), s(k.sk)),
                (keys::GSI1_PK.to_string(), s(keys::DISCOUNTS_GSI1)),
                (keys::GSI1_SK.to_string(), s(code)),
            ]
            .into_iter()
            .collect()
        });
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::GSI1)
            .key_condition_expression("gsi1pk = :p")
            .expression_attribute_values(":p", s(keys::DISCOUNTS_GSI1));
        let mut found: Vec<DiscountItem> = super::query_page(q, start, limit).await?;
        let next = if found.len() > limit {
            found.truncate(limit);
            found.last().map(|d| d.code.clone())
        } else {
            None
        };
        Ok((found, next))
    }

    /// The checkout transaction's actions taking one use of `discount` (as read) for `holder`:
    /// the code's `uses`, conditioned on its rules still being the version read and on its
    /// total limit; and, for a code limited per customer, the holder's count, conditioned on
    /// that limit. The first action's failure means the code changed or was used up meanwhile,
    /// the second's that the customer reached its limit.
    pub fn tx_use_discount(
        &self,
        discount: &DiscountItem,
        holder: &UserId,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut condition = "version = :v".to_string();
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::discount(&discount.code))))
            .update_expression("ADD uses :one")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":v", n(discount.version));
        if let Some(max) = discount.rules.max_uses {
            condition.push_str(" AND (attribute_not_exists(uses) OR uses < :max)");
            update = update.expression_attribute_values(":max", n(max));
        }
        let mut actions = vec![
            TransactWriteItem::builder()
                .update(
                    update
                        .condition_expression(condition)
                        .build()
                        .map_err(build_err)?,
                )
                .build(),
        ];
        if let Some(max) = discount.rules.max_uses_per_customer {
            let mine = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key_item(&keys::discount_use(&discount.code, holder))))
                .update_expression("SET entity = :e ADD #c :one")
                .condition_expression("attribute_not_exists(#c) OR #c < :max")
                .expression_attribute_names("#c", "count")
                .expression_attribute_values(":e", s("DiscountUse"))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":max", n(max))
                .build()
                .map_err(build_err)?;
            actions.push(TransactWriteItem::builder().update(mine).build());
        }
        Ok(actions)
    }

    /// The actions giving an unpaid order's use of its code back, for the transaction that
    /// cancels it (conditioned on its status, so once). Unconditioned themselves: nothing about
    /// the code may stop an unpaid order's stock coming back.
    pub fn tx_release_discount(
        &self,
        order: &OrderItem,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let Some(d) = &order.discount else {
            return Ok(Vec::new());
        };
        let give_back = |key: keys::Key, attr: &str| {
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key_item(&key)))
                .update_expression("ADD #c :minus")
                .expression_attribute_names("#c", attr)
                .expression_attribute_values(":minus", n(-1))
                .build()
                .map_err(build_err)
                .map(|u| TransactWriteItem::builder().update(u).build())
        };
        let mut actions = vec![give_back(keys::discount(&d.code), "uses")?];
        if d.per_customer {
            actions.push(give_back(
                keys::discount_use(&d.code, order.holder()),
                "count",
            )?);
        }
        Ok(actions)
    }
}
