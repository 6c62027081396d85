//! Login sessions and refresh-token rotation.
//!
//! A session item holds the SHA-256 of its one live refresh token. Rotation swaps that hash and
//! records the old one as a spent item, in one transaction conditioned on the old hash still being
//! live; so of two concurrent uses of one token exactly one succeeds. Presenting a spent token
//! revokes the session (the token was stolen or replayed).

use super::users::build_err;
use super::{Store, StoreError, key_item, n, s};
use crate::ids::{SessionId, UserId};
use crate::keys;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

pub const SESSION_ENTITY: &str = "Session";
pub const SPENT_ENTITY: &str = "SpentRefreshToken";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub session_id: SessionId,
    pub user_id: UserId,
    pub refresh_hash: String,
    pub created_at: String,
    /// Unix seconds after which the refresh token is no longer accepted.
    pub expires_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_reason: Option<String>,
    /// DynamoDB TTL: the item is deleted some time after this.
    pub ttl: u64,
    pub gsi1pk: String,
    pub gsi1sk: String,
}

impl SessionItem {
    pub fn new(
        session_id: SessionId,
        user_id: UserId,
        refresh_hash: String,
        now: u64,
        ttl_secs: u64,
    ) -> Self {
        let k = keys::session(&session_id);
        let g = keys::user_sessions_gsi1(&user_id, now, &session_id);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: SESSION_ENTITY.into(),
            session_id,
            user_id,
            refresh_hash,
            created_at: crate::time::rfc3339(now),
            expires_at: now + ttl_secs,
            revoked_at: None,
            revoke_reason: None,
            ttl: now + ttl_secs + 86_400,
            gsi1pk: g.pk,
            gsi1sk: g.sk,
        }
    }

    pub fn is_active(&self, now: u64) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct SpentItem {
    pk: String,
    sk: String,
    entity: String,
    session_id: SessionId,
    spent_at: String,
    ttl: u64,
}

#[derive(Debug)]
pub enum Rotation {
    /// The token was live and is now spent; the session now holds `new_hash`.
    Rotated(Box<SessionItem>),
    /// The token was already spent: the session has been revoked.
    Reused,
    /// Unknown, expired or revoked session, or a token that never belonged to it.
    Invalid,
}

impl Store {
    pub async fn create_session(&self, session: &SessionItem) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(session)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("PutItem", e))?;
        Ok(())
    }

    pub async fn get_session(&self, id: &SessionId) -> Result<Option<SessionItem>, StoreError> {
        self.get(&keys::session(id), true).await
    }

    /// Spends the refresh token with hash `old_hash` and makes `new_hash` the live one.
    pub async fn rotate_refresh_token(
        &self,
        id: &SessionId,
        old_hash: &str,
        new_hash: &str,
        now: u64,
    ) -> Result<Rotation, StoreError> {
        let Some(session) = self.get_session(id).await? else {
            return Ok(Rotation::Invalid);
        };
        if session.refresh_hash != old_hash {
            return self.reuse_or_invalid(id, old_hash, now).await;
        }
        if !session.is_active(now) {
            return Ok(Rotation::Invalid);
        }
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::session(id))))
            .update_expression("SET refresh_hash = :new")
            .condition_expression(
                "refresh_hash = :old AND attribute_not_exists(revoked_at) AND expires_at > :now",
            )
            .expression_attribute_values(":new", s(new_hash))
            .expression_attribute_values(":old", s(old_hash))
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(build_err)?;
        let sk = keys::spent_refresh_token(id, old_hash);
        let spent = SpentItem {
            pk: sk.pk,
            sk: sk.sk,
            entity: SPENT_ENTITY.into(),
            session_id: id.clone(),
            spent_at: crate::time::rfc3339(now),
            ttl: session.ttl,
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(&spent)?))
            .condition_expression("attribute_not_exists(sk)")
            .build()
            .map_err(build_err)?;
        let result = self
            .transact(vec![
                TransactWriteItem::builder().update(update).build(),
                TransactWriteItem::builder().put(put).build(),
            ])
            .await;
        match result {
            Ok(_) => Ok(Rotation::Rotated(Box::new(SessionItem {
                refresh_hash: new_hash.to_string(),
                ..session
            }))),
            // Lost a race with another use of the same token: that is reuse.
            Err(StoreError::TransactionCanceled { .. }) => {
                self.reuse_or_invalid(id, old_hash, now).await
            }
            Err(e) => Err(e),
        }
    }

    async fn reuse_or_invalid(
        &self,
        id: &SessionId,
        presented_hash: &str,
        now: u64,
    ) -> Result<Rotation, StoreError> {
        let spent: Option<SpentItem> = self
            .get(&keys::spent_refresh_token(id, presented_hash), true)
            .await?;
        if spent.is_some() {
            tracing::warn!(session_id = %id, "spent refresh token presented; revoking session");
            self.revoke_session(id, "refresh_token_reuse", now).await?;
            Ok(Rotation::Reused)
        } else {
            Ok(Rotation::Invalid)
        }
    }

    /// Revokes a session (idempotent: the first revocation's time and reason are kept).
    pub async fn revoke_session(
        &self,
        id: &SessionId,
        reason: &str,
        now: u64,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::session(id))))
            .update_expression(
                "SET revoked_at = if_not_exists(revoked_at, :at), revoke_reason = if_not_exists(revoke_reason, :why)",
            )
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":at", s(crate::time::rfc3339(now)))
            .expression_attribute_values(":why", s(reason))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e));
        match result {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Revokes every session of a user (a password set by an operator, a reset): each stays
    /// until its `ttl`, revoked with `reason`. Returns how many were live.
    pub async fn revoke_all_sessions(
        &self,
        user: &crate::ids::UserId,
        reason: &str,
        now: u64,
    ) -> Result<usize, StoreError> {
        let mut start = None;
        let mut revoked = 0;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(keys::GSI1)
                .key_condition_expression("gsi1pk = :u AND begins_with(gsi1sk, :s)")
                .expression_attribute_values(":u", s(format!("USER#{user}")))
                .expression_attribute_values(":s", s("SESSION#"))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| StoreError::from_sdk("Query", e))?;
            let sessions: Vec<SessionItem> = serde_dynamo::from_items(page.items().to_vec())?;
            for session in sessions.iter().filter(|x| x.revoked_at.is_none()) {
                self.revoke_session(&session.session_id, reason, now)
                    .await?;
                revoked += 1;
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(revoked),
            }
        }
    }
}
