//! Single-use account tokens: password reset and email verification.
//!
//! A token is 256 random bits (43 characters of base64url). Only its SHA-256 is stored, as the
//! key of a token item (`TOKEN#<hash>` / `TOKEN`: purpose, user, address, expiry, DynamoDB TTL)
//! and on the user's profile as the *latest* token of that purpose (`reset_token_hash`,
//! `verify_token_hash`), so issuing a newer one voids the older. Redeeming is one transaction:
//! the token item is deleted (conditioned on existing and not expired) and the profile changed
//! (conditioned on this being its latest token), so a token works once, and only the newest.

use super::users::build_err;
use super::{Store, StoreError, key_item, n, s};
use crate::ids::UserId;
use crate::keys;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::RngCore;
use serde::{Deserialize, Serialize};

pub const TOKEN_ENTITY: &str = "AccountToken";
const TOKEN_CHARS: usize = 43;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    PasswordReset,
    VerifyEmail,
}

impl TokenPurpose {
    /// The profile attribute naming the latest token of this purpose.
    fn profile_attr(self) -> &'static str {
        match self {
            TokenPurpose::PasswordReset => "reset_token_hash",
            TokenPurpose::VerifyEmail => "verify_token_hash",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub purpose: TokenPurpose,
    pub user_id: UserId,
    /// The address the token was sent to (a verification is for that address only).
    pub email: String,
    pub token_hash: String,
    pub expires_at: u64,
    /// DynamoDB removes the item a day after it expired.
    pub ttl: u64,
    pub created_at: String,
}

/// A new token: what goes in the email, and its stored form.
pub struct NewToken {
    pub token: String,
    pub item: TokenItem,
}

/// SHA-256 (hex) of a presented token.
pub fn hash(token: &str) -> String {
    crate::digest::sha256_hex(token.as_bytes())
}

/// Whether `token` has the shape of one this module issues (43 base64url characters).
pub fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// 256 random bits as 43 characters of base64url: an account token's, or a guest cart's.
pub fn new_secret() -> String {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    B64.encode(secret)
}

/// A fresh token for `user` (at `email`), valid `ttl_secs` from `now`.
pub fn generate(
    purpose: TokenPurpose,
    user: &UserId,
    email: &str,
    now: u64,
    ttl_secs: u64,
) -> NewToken {
    let token = new_secret();
    let token_hash = hash(&token);
    let k = keys::account_token(&token_hash);
    NewToken {
        token,
        item: TokenItem {
            pk: k.pk,
            sk: k.sk,
            entity: TOKEN_ENTITY.into(),
            purpose,
            user_id: user.clone(),
            email: email.to_string(),
            token_hash,
            expires_at: now + ttl_secs,
            ttl: now + ttl_secs + 86_400,
            created_at: crate::time::rfc3339(now),
        },
    }
}

/// What redeeming a token changes on the profile.
pub enum Redeem<'a> {
    /// Sets this password hash (and `password_changed_at`).
    SetPassword(&'a str),
    /// Marks the address the token was sent to verified, if it is still the account's.
    VerifyEmail,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Redeemed {
    /// Done: the account (and its address).
    Done { user_id: UserId, email: String },
    /// Unknown, used, superseded by a newer one, expired, or for another purpose: all the same.
    Invalid,
}

impl Store {
    /// Records a new token and makes it the profile's latest of its purpose (voiding older ones),
    /// in one transaction. `ConditionFailed`-like cancellation if the user no longer exists.
    pub async fn issue_token(&self, item: &TokenItem) -> Result<(), StoreError> {
        let profile = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::user(&item.user_id))))
            .update_expression("SET #latest = :h")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#latest", item.purpose.profile_attr())
            .expression_attribute_values(":h", s(&item.token_hash))
            .build()
            .map_err(build_err)?;
        self.transact_retrying_conflicts(vec![
            self.tx_put(item, "attribute_not_exists(pk)")?,
            TransactWriteItem::builder().update(profile).build(),
        ])
        .await
    }

    /// The token item of `token` if it would redeem now for `purpose` (the caller may throttle
    /// per account on its `user_id` before spending it); `None` for every way a token can be
    /// wrong.
    pub async fn live_token(
        &self,
        token: &str,
        purpose: TokenPurpose,
        now: u64,
    ) -> Result<Option<TokenItem>, StoreError> {
        if !well_formed(token) {
            return Ok(None);
        }
        let presented = hash(token);
        let Some(item) = self
            .get::<TokenItem>(&keys::account_token(&presented), true)
            .await?
        else {
            return Ok(None);
        };
        // The item was found by the hash; the stored hash is compared again in constant time
        // so no timing says how much of it matched.
        let same = subtle::ConstantTimeEq::ct_eq(item.token_hash.as_bytes(), presented.as_bytes());
        if !bool::from(same) || item.purpose != purpose || item.expires_at <= now {
            return Ok(None);
        }
        Ok(Some(item))
    }

    /// Spends a live token (from [`Store::live_token`]) and applies `effect`, once: a token spent,
    /// expired or superseded since it was read answers [`Redeemed::Invalid`].
    pub async fn redeem_token(
        &self,
        item: &TokenItem,
        effect: Redeem<'_>,
        now: u64,
    ) -> Result<Redeemed, StoreError> {
        let presented = &item.token_hash;
        let purpose = item.purpose;
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::account_token(presented))))
            .condition_expression("attribute_exists(pk) AND expires_at > :now")
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(build_err)?;
        let at = crate::time::rfc3339(now);
        let mut profile = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::user(&item.user_id))))
            .expression_attribute_names("#latest", purpose.profile_attr())
            .expression_attribute_values(":h", s(presented))
            .expression_attribute_values(":at", s(&at));
        profile = match effect {
            Redeem::SetPassword(password_hash) => profile
                .update_expression(
                    "SET password_hash = :p, password_changed_at = :at REMOVE #latest",
                )
                .condition_expression("#latest = :h")
                .expression_attribute_values(":p", s(password_hash)),
            Redeem::VerifyEmail => profile
                .update_expression("SET email_verified_at = :at REMOVE #latest")
                .condition_expression("#latest = :h AND email = :email")
                .expression_attribute_values(":email", s(&item.email)),
        };
        let actions = vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder()
                .update(profile.build().map_err(build_err)?)
                .build(),
        ];
        match self.transact_retrying_conflicts(actions).await {
            Ok(()) => Ok(Redeemed::Done {
                user_id: item.user_id.clone(),
                email: item.email.clone(),
            }),
            Err(e) if e.condition_failed_at(0) || e.condition_failed_at(1) => Ok(Redeemed::Invalid),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_well_formed_and_stored_hashed() {
        let u = UserId::generate();
        let a = generate(TokenPurpose::PasswordReset, &u, "a@b.co", 1_000, 1_800);
        let b = generate(TokenPurpose::PasswordReset, &u, "a@b.co", 1_000, 1_800);
        assert_ne!(a.token, b.token);
        assert!(well_formed(&a.token), "{}", a.token);
        assert_eq!(a.item.token_hash, hash(&a.token));
        assert!(
            !a.item.pk.contains(&a.token),
            "the token itself is not stored"
        );
        assert_eq!(a.item.expires_at, 2_800);
        assert!(!well_formed("short"));
        assert!(!well_formed(&format!("{}=", &a.token[..42])));
    }
}
