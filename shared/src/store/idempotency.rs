//! Idempotency records: a checkout's key, owned by the request that placed the order while it
//! finishes it, then the stored answer every retry replays.

use super::{Store, StoreError, condition_held, key_item, n, s};
use crate::ids::{OrderId, UserId};
use crate::keys;
use crate::state::IdempotencyStatus;
use serde::{Deserialize, Serialize};

pub const IDEMPOTENCY_TTL_SECS: u64 = 24 * 3600;
/// How long the request that placed an order owns finishing it; a same-key request inside this
/// window is told to retry (409) instead of racing it. Released early if the provider fails.
/// Checkout's 10 s timeout plus a margin: a live request always holds it, and a request killed
/// mid-way (a crash, a timeout) keeps its client waiting no longer than that.
pub const IDEMPOTENCY_LOCK_SECS: u64 = 15;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    /// SHA-256 of the request body as parsed (so formatting does not matter, content does).
    pub request_hash: String,
    pub status: IdempotencyStatus,
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

impl IdempotencyRecord {
    /// The record a checkout creates with its order: owned by that request for
    /// [`IDEMPOTENCY_LOCK_SECS`], kept for [`IDEMPOTENCY_TTL_SECS`].
    pub fn in_progress(
        user: &UserId,
        key: &str,
        request_hash: &str,
        order: &OrderId,
        now: u64,
    ) -> Self {
        let k = keys::idempotency(user, key);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: "IdempotencyRecord".into(),
            request_hash: request_hash.into(),
            status: IdempotencyStatus::InProgress,
            order_id: order.clone(),
            locked_until: now + IDEMPOTENCY_LOCK_SECS,
            response_status: None,
            response_body: None,
            created_at: crate::time::rfc3339(now),
            ttl: now + IDEMPOTENCY_TTL_SECS,
        }
    }
}

impl Store {
    pub async fn get_idempotency(
        &self,
        user: &UserId,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.get(&keys::idempotency(user, key), true).await
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
            .expression_attribute_values(":in_progress", s(IdempotencyStatus::InProgress.as_str()))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":until", n(now + IDEMPOTENCY_LOCK_SECS))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e));
        condition_held(result)
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
            .expression_attribute_values(":done", s(IdempotencyStatus::Done.as_str()))
            .expression_attribute_values(":code", n(status))
            .expression_attribute_values(":body", s(body))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }
}
