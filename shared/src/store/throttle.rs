//! Login throttling: a counter per account per fixed window. An attempt is reserved *before* the
//! password is checked, by one conditional increment, so even concurrent guesses cannot exceed the
//! budget. A successful login clears the counter.

use super::{Store, StoreError, key_item, n};
use crate::keys;

/// Start of the fixed window containing `now`.
pub fn window_start(now: u64, window_secs: u64) -> u64 {
    now - now % window_secs.max(1)
}

impl Store {
    /// Reserves one login attempt for `email`. `Ok(None)` if allowed; `Ok(Some(secs))` if the
    /// account has used its budget for this window, with the seconds until the next window.
    pub async fn reserve_login_attempt(
        &self,
        email: &str,
        max_attempts: u32,
        window_secs: u64,
        now: u64,
    ) -> Result<Option<u64>, StoreError> {
        let start = window_start(now, window_secs);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::login_failures(email, start))))
            .update_expression("ADD attempts :one SET entity = :entity, #ttl = :ttl")
            .condition_expression("attribute_not_exists(attempts) OR attempts < :max")
            .expression_attribute_names("#ttl", keys::TTL)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(max_attempts))
            .expression_attribute_values(":entity", super::s("LoginThrottle"))
            .expression_attribute_values(":ttl", n(start + window_secs + 3600))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e));
        match result {
            Ok(_) => Ok(None),
            Err(StoreError::ConditionFailed) => Ok(Some((start + window_secs - now).max(1))),
            Err(e) => Err(e),
        }
    }

    /// Forgets the attempts of the current window (after a successful login).
    pub async fn clear_login_attempts(
        &self,
        email: &str,
        window_secs: u64,
        now: u64,
    ) -> Result<(), StoreError> {
        let start = window_start(now, window_secs);
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::login_failures(email, start))))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("DeleteItem", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn windows_are_fixed() {
        assert_eq!(super::window_start(1_000, 900), 900);
        assert_eq!(super::window_start(1_799, 900), 900);
        assert_eq!(super::window_start(1_800, 900), 1_800);
    }
}
