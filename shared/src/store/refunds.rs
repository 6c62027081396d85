//! An admin's refund requests: one item per request in the order's partition
//! (`ORDER#<id>` / `REFUND#<sha256 of its Idempotency-Key>`), claimed before Stripe is asked, so
//! a retried request replays its answer instead of refunding again, and what is requested but not
//! yet reported by Stripe's webhook counts against what is left to refund.

use super::{Store, StoreError, condition_held, key_item, s};
use crate::ids::OrderId;
use crate::keys;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub order_id: OrderId,
    pub amount: i64,
    pub reason: String,
    /// The admin who asked.
    pub by: String,
    pub created_at: String,
    /// Stripe's refund, once it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl RefundRequest {
    pub fn new(
        order: &OrderId,
        key_hash: &str,
        amount: i64,
        reason: &str,
        by: &str,
        now: u64,
    ) -> Self {
        let k = keys::order_refund(order, key_hash);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: "RefundRequest".into(),
            order_id: order.clone(),
            amount,
            reason: reason.into(),
            by: by.into(),
            created_at: crate::time::rfc3339(now),
            refund_id: None,
            status: None,
        }
    }

    /// The hash of the key it was asked with (its sort key's).
    pub fn key_hash(&self) -> &str {
        self.sk.strip_prefix("REFUND#").unwrap_or_default()
    }
}

impl Store {
    /// Records a refund request before Stripe is asked; `false` if one with its key exists.
    pub async fn claim_refund(&self, r: &RefundRequest) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(r)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("PutItem", e));
        condition_held(result)
    }

    /// What Stripe answered for the request.
    pub async fn record_refund(
        &self,
        r: &RefundRequest,
        refund_id: &str,
        status: &str,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::order_refund(
                &r.order_id,
                r.key_hash(),
            ))))
            .update_expression("SET refund_id = :id, #st = :st")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":id", s(refund_id))
            .expression_attribute_values(":st", s(status))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }
}
