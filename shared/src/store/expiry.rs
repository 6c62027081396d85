//! Expiry: the claim that schedules an order's expiry message once, and cancelling an order still
//! unpaid at its deadline with its reserved stock returned, exactly once.

use super::orders::{OrderItem, OrderLineItem};
use super::{Store, StoreError, s};
use crate::ids::OrderId;
use crate::state::OrderStatus;

impl Store {
    /// Claims the right to schedule an order's expiry message (once). `Ok(false)` if claimed.
    pub async fn claim_expiry_schedule(
        &self,
        order: &OrderId,
        at: &str,
    ) -> Result<bool, StoreError> {
        self.claim_once(order, "expiry_scheduled_at", at).await
    }

    /// Gives the expiry claim back (the send failed).
    pub async fn release_expiry_claim(&self, order: &OrderId) -> Result<(), StoreError> {
        self.release_claim(order, "expiry_scheduled_at").await
    }

    /// Cancels an unpaid order and returns its reserved stock, its holds and its use of a
    /// discount code, in one transaction conditioned on the order still being `pending_payment`,
    /// so each comes back exactly once.
    /// `Ok(false)` if the order had already moved on (paid, or cancelled before).
    pub async fn cancel_unpaid_order(
        &self,
        order: &OrderItem,
        lines: &[OrderLineItem],
        reason: &str,
        now_ms: u64,
    ) -> Result<bool, StoreError> {
        let at = crate::time::rfc3339(now_ms / 1000);
        let [update, entry] = self.tx_status_change(
            &order.order_id,
            OrderStatus::Cancelled,
            (now_ms, &at),
            reason,
            &[("cancelled_at", s(&at)), ("cancel_reason", s(reason))],
        )?;
        let mut actions = Vec::with_capacity(2 + lines.len());
        actions.push(update);
        for l in lines {
            actions.push(self.tx_return_stock(l)?);
        }
        actions.push(entry);
        actions.extend(self.tx_release_holds(order)?);
        actions.extend(self.tx_release_discount(order)?);
        match self.transact(actions).await {
            Ok(_) => Ok(true),
            Err(e) if e.condition_failed_at(0) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
