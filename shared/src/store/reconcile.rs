//! What the reconciler needs: the orders due a look (the sparse `due` index, sharded), moving an
//! order's next look later, taking it off the index, and the late payment of a cancelled order
//! flagged and its refund recorded. Every write is conditioned on the status the reconciler read,
//! so a run racing the order's own progress changes nothing.

use super::{Item, Store, StoreError, key_item, n, s};
use crate::ids::OrderId;
use crate::keys;
use crate::state::OrderStatus;

impl Store {
    /// Up to `limit` orders of one due-index shard whose look was due at or before `now`,
    /// earliest first (following DynamoDB's pages).
    pub async fn due_orders(
        &self,
        shard: u32,
        now: u64,
        limit: usize,
    ) -> Result<Vec<OrderId>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(keys::DUE)
                .key_condition_expression("#p = :p AND #d <= :now")
                .expression_attribute_names("#p", keys::DUE_PK)
                .expression_attribute_names("#d", keys::DUE_AT)
                .expression_attribute_values(":p", s(keys::due_shard(shard)))
                .expression_attribute_values(":now", n(now))
                .limit((limit - out.len()) as i32)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| StoreError::from_sdk("Query", e))?;
            out.extend(page.items().iter().filter_map(|item| {
                item.get(keys::PK)?
                    .as_s()
                    .ok()?
                    .strip_prefix("ORDER#")
                    .and_then(OrderId::parse)
            }));
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() && out.len() < limit => start = Some(k),
                _ => return Ok(out),
            }
        }
    }

    /// The order's next look at `at` (unix seconds), if it is still in `status`.
    pub async fn postpone_due(
        &self,
        order: &OrderId,
        status: OrderStatus,
        at: u64,
    ) -> Result<bool, StoreError> {
        self.due_write(
            order,
            "SET #d = :at",
            "#st = :st AND attribute_exists(#p)",
            vec![(":st", s(status.as_str())), (":at", n(at))],
        )
        .await
    }

    /// Takes the order off the due index, if it is still in `status` (nothing more is due).
    pub async fn clear_due(
        &self,
        order: &OrderId,
        status: OrderStatus,
    ) -> Result<bool, StoreError> {
        self.due_write(
            order,
            "REMOVE #p, #d",
            "#st = :st AND attribute_exists(#p)",
            vec![(":st", s(status.as_str()))],
        )
        .await
    }

    /// Records that a payment (`reference`) succeeded for a cancelled order and puts the order
    /// on the due index now, for the reconciler to refund it. Once: `Ok(false)` if it was
    /// flagged before, or the order is not cancelled.
    pub async fn flag_late_payment(
        &self,
        order: &OrderId,
        reference: &str,
        now: u64,
    ) -> Result<bool, StoreError> {
        self.due_write(
            order,
            "SET late_payment = :r, #p = :p, #d = :now",
            "#st = :cancelled AND attribute_not_exists(late_payment)",
            vec![
                (":r", s(reference)),
                (":p", s(keys::due_partition(order))),
                (":now", n(now)),
                (":cancelled", s(OrderStatus::Cancelled.as_str())),
            ],
        )
        .await
    }

    /// Records the refund of a cancelled order's late payment and takes it off the due index.
    pub async fn record_late_refund(
        &self,
        order: &OrderId,
        refund: &str,
    ) -> Result<bool, StoreError> {
        self.due_write(
            order,
            "SET late_payment_refund = :r REMOVE #p, #d",
            "#st = :cancelled AND attribute_exists(late_payment) AND attribute_not_exists(late_payment_refund)",
            vec![
                (":r", s(refund)),
                (":cancelled", s(OrderStatus::Cancelled.as_str())),
            ],
        )
        .await
    }

    /// One conditional update of the order's due-index attributes (`#p`, `#d`) and status
    /// (`#st`), which every expression here names. `Ok(false)` if the condition failed.
    async fn due_write(
        &self,
        order: &OrderId,
        update: &str,
        condition: &str,
        values: Vec<(&str, aws_sdk_dynamodb::types::AttributeValue)>,
    ) -> Result<bool, StoreError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::order(order))))
            .update_expression(update)
            .condition_expression(condition)
            .expression_attribute_names("#st", "status")
            .expression_attribute_names("#p", keys::DUE_PK)
            .expression_attribute_names("#d", keys::DUE_AT);
        for (name, value) in values {
            request = request.expression_attribute_values(name, value);
        }
        super::condition_held(
            request
                .send()
                .await
                .map_err(|e| StoreError::from_sdk("UpdateItem", e)),
        )
    }
}
