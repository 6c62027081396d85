//! Users: a profile item plus an email guard item that makes the email unique.

use super::{Store, StoreError, key_item, s};
use crate::ids::UserId;
use crate::keys;
use crate::state::Role;
use serde::{Deserialize, Serialize};

pub const USER_ENTITY: &str = "User";
pub const EMAIL_ENTITY: &str = "UserEmail";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub user_id: UserId,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub role: Role,
    pub password_hash: String,
    pub created_at: String,
    /// Set when mail to `email` was refused for good (the address it was refused for, and why);
    /// further emails to that address are recorded, not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undeliverable_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undeliverable_reason: Option<String>,
    /// When `email` was verified (a link from it was followed); `None` until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified_at: Option<String>,
    /// When the password was last set by a reset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_changed_at: Option<String>,
    /// SHA-256 of the latest password-reset / verification token (older ones are void).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_token_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_token_hash: Option<String>,
}

impl UserItem {
    pub fn new(
        email: String,
        name: Option<String>,
        phone: Option<String>,
        role: Role,
        password_hash: String,
        now: u64,
    ) -> Self {
        let user_id = UserId::generate();
        let k = keys::user(&user_id);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: USER_ENTITY.into(),
            user_id,
            email,
            name,
            phone,
            role,
            password_hash,
            created_at: crate::time::rfc3339(now),
            undeliverable_email: None,
            undeliverable_reason: None,
            email_verified_at: None,
            password_changed_at: None,
            reset_token_hash: None,
            verify_token_hash: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct EmailItem {
    pk: String,
    sk: String,
    entity: String,
    user_id: UserId,
}

#[derive(Debug, PartialEq, Eq)]
pub enum CreateUser {
    Created,
    EmailTaken,
}

impl Store {
    /// Creates the user and claims its email in one transaction; a taken email changes nothing.
    pub async fn create_user(&self, user: &UserItem) -> Result<CreateUser, StoreError> {
        let ek = keys::user_email(&user.email);
        let guard = EmailItem {
            pk: ek.pk,
            sk: ek.sk,
            entity: EMAIL_ENTITY.into(),
            user_id: user.user_id.clone(),
        };
        let actions = vec![
            self.tx_put(&guard, "attribute_not_exists(pk)")?,
            self.tx_put(user, "attribute_not_exists(pk)")?,
        ];
        match self.transact(actions).await {
            Ok(_) => Ok(CreateUser::Created),
            Err(e) if e.condition_failed_at(0) => Ok(CreateUser::EmailTaken),
            Err(e) => Err(e),
        }
    }

    pub async fn get_user(&self, id: &UserId) -> Result<Option<UserItem>, StoreError> {
        self.get(&keys::user(id), true).await
    }

    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<UserItem>, StoreError> {
        let Some(guard) = self
            .get::<EmailItem>(&keys::user_email(email), true)
            .await?
        else {
            return Ok(None);
        };
        self.get_user(&guard.user_id).await
    }

    /// Replaces a user's password hash (admin tooling, a reset). `ConditionFailed` if the user
    /// does not exist.
    pub async fn set_password_hash(&self, id: &UserId, hash: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::user(id))))
            .update_expression("SET password_hash = :h")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":h", s(hash))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    /// Sets a user's role (admin tooling). `ConditionFailed` if the user does not exist.
    pub async fn set_role(&self, id: &UserId, role: Role) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::user(id))))
            .update_expression("SET #role = :role")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":role", s(role.as_str()))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }
}

pub(crate) fn build_err(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Dynamo {
        operation: "build request",
        source: Box::new(e),
    }
}
