//! Login throttling. Every attempt is reserved *before* the password is checked, by a conditional
//! write, so even concurrent guesses cannot exceed a budget:
//!
//! - a fixed-window counter ([`Store::reserve_login_attempt`]: a client's attempts over all
//!   accounts; a success does not clear it);
//! - a growing delay ([`Store::reserve_guarded_attempt`], [`Backoff`]): some free attempts, then
//!   each further one only after a wait that doubles up to a cap, so nobody is locked out for
//!   good; a success clears it. Kept per account and client (one client's guesses lock only that
//!   client out of the account) and per account (many clients together).

use super::{Store, StoreError, key_item, n};
use crate::keys;

/// Start of the fixed window containing `now`.
pub fn window_start(now: u64, window_secs: u64) -> u64 {
    now - now % window_secs.max(1)
}

/// Free attempts, then waits doubling from `base_secs` up to `cap_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub free: u32,
    pub base_secs: u64,
    pub cap_secs: u64,
}

impl Backoff {
    /// The wait after attempt `n` (1-based) before the next may be made.
    pub fn wait_after(self, n: u32) -> u64 {
        if n < self.free {
            return 0;
        }
        let doublings = (n - self.free).min(20);
        (self.base_secs << doublings).min(self.cap_secs)
    }
}

#[derive(Debug, serde::Deserialize)]
struct GuardState {
    #[serde(default)]
    attempts: u32,
    #[serde(default)]
    locked_until: u64,
}

impl Store {
    /// Reserves one attempt under a growing-delay guard. `Ok(None)` if allowed; `Ok(Some(secs))`
    /// if the subject must wait that long (also when a concurrent attempt took this one).
    pub async fn reserve_guarded_attempt(
        &self,
        subject: &str,
        backoff: Backoff,
        now: u64,
    ) -> Result<Option<u64>, StoreError> {
        // Concurrent attempts race on the count; a loser reads again (a few times) rather than
        // being refused while budget is left.
        for _ in 0..8 {
            if let Some(answer) = self.try_guarded_attempt(subject, backoff, now).await? {
                return Ok(answer);
            }
        }
        Ok(Some(1))
    }

    /// One try: `Some(answer)`, or `None` if a concurrent attempt changed the count first.
    async fn try_guarded_attempt(
        &self,
        subject: &str,
        backoff: Backoff,
        now: u64,
    ) -> Result<Option<Option<u64>>, StoreError> {
        let key = keys::login_guard(subject);
        let state: Option<GuardState> = self.get(&key, true).await?;
        let (attempts, locked_until) = state.map_or((0, 0), |s| (s.attempts, s.locked_until));
        if locked_until > now {
            return Ok(Some(Some(locked_until - now)));
        }
        let next = attempts + 1;
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&key)))
            .update_expression(
                "SET attempts = :next, locked_until = :lock, entity = :entity, #ttl = :ttl",
            )
            .expression_attribute_names("#ttl", keys::TTL)
            .expression_attribute_values(":next", n(next))
            .expression_attribute_values(":lock", n(now + backoff.wait_after(next)))
            .expression_attribute_values(":entity", super::s("LoginGuard"))
            .expression_attribute_values(":ttl", n(now + backoff.cap_secs + 86_400));
        update = if attempts == 0 {
            update
                .condition_expression("attribute_not_exists(attempts) OR attempts = :zero")
                .expression_attribute_values(":zero", n(0))
        } else {
            update
                .condition_expression("attempts = :seen")
                .expression_attribute_values(":seen", n(attempts))
        };
        match super::condition_held(
            update
                .send()
                .await
                .map_err(|e| StoreError::from_sdk("UpdateItem", e)),
        )? {
            true => Ok(Some(None)),
            false => Ok(None),
        }
    }

    /// Gives back an attempt reserved in a fixed window (a success does not count against a
    /// client's budget).
    pub async fn return_login_attempt(
        &self,
        subject: &str,
        window_secs: u64,
        now: u64,
    ) -> Result<(), StoreError> {
        let start = window_start(now, window_secs);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::login_failures(subject, start))))
            .update_expression("ADD attempts :minus")
            .condition_expression("attempts > :zero")
            .expression_attribute_values(":minus", n(-1))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e));
        super::condition_held(result).map(|_| ())
    }

    /// Forgets a guard's failures (after a successful login).
    pub async fn clear_guard(&self, subject: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::login_guard(subject))))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("DeleteItem", e))?;
        Ok(())
    }

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

    /// Reserves one attempt under each fixed-window budget `(subject, max, window secs)`, in order;
    /// `Ok(Some(secs))` for the first one spent (the later ones are not touched).
    pub async fn reserve_attempts(
        &self,
        budgets: &[(&str, u32, u64)],
        now: u64,
    ) -> Result<Option<u64>, StoreError> {
        for (subject, max, window) in budgets {
            if let Some(wait) = self
                .reserve_login_attempt(subject, *max, *window, now)
                .await?
            {
                return Ok(Some(wait));
            }
        }
        Ok(None)
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
    fn waits_grow_to_a_cap_after_the_free_attempts() {
        let b = super::Backoff {
            free: 5,
            base_secs: 30,
            cap_secs: 900,
        };
        let waits: Vec<u64> = (1..=12).map(|n| b.wait_after(n)).collect();
        assert_eq!(waits, [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]);
    }

    #[test]
    fn windows_are_fixed() {
        assert_eq!(super::window_start(1_000, 900), 900);
        assert_eq!(super::window_start(1_799, 900), 900);
        assert_eq!(super::window_start(1_800, 900), 1_800);
    }
}
