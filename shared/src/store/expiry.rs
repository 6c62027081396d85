//! Expiry: the claim that schedules an order's expiry message once, and cancelling an order still
//! unpaid at its deadline with its reserved stock returned, exactly once.

use super::orders::{OrderItem, OrderLineItem};
use super::{Store, StoreError, n, s};
use crate::ids::OrderId;
use crate::keys;
use crate::state::OrderStatus;
use aws_sdk_dynamodb::types::AttributeValue;

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
    /// so each comes back exactly once. `reason` is recorded on the order, `by` in its history
    /// (`system:order-expiry`, `admin:<user id>`).
    /// `Ok(false)` if the order had already moved on (paid, or cancelled before).
    pub async fn cancel_unpaid_order(
        &self,
        order: &OrderItem,
        lines: &[OrderLineItem],
        (reason, by): (&str, &str),
        now_ms: u64,
    ) -> Result<bool, StoreError> {
        self.cancel_order(
            order,
            lines,
            OrderStatus::PendingPayment,
            (reason, by),
            &[],
            now_ms,
        )
        .await
    }

    /// Cancels a paid order that fulfilment has not taken yet (an admin's cancel): returns its
    /// reserved stock and its use of a discount code, and records its payment `payment_intent`
    /// as one to refund (`late_payment`, on the due index now, so the reconciler refunds it if
    /// the caller does not get to), in one transaction conditioned on the order still being
    /// `paid`. Its holds went back when it was paid. `Ok(false)` if it was not `paid`.
    pub async fn cancel_paid_order(
        &self,
        order: &OrderItem,
        lines: &[OrderLineItem],
        (reason, by): (&str, &str),
        payment_intent: &str,
        now_ms: u64,
    ) -> Result<bool, StoreError> {
        let refund = [
            ("late_payment", s(payment_intent)),
            (keys::DUE_PK, s(keys::due_partition(&order.order_id))),
            (keys::DUE_AT, n(now_ms / 1000)),
        ];
        self.cancel_order(
            order,
            lines,
            OrderStatus::Paid,
            (reason, by),
            &refund,
            now_ms,
        )
        .await
    }

    /// One transaction: the order `from` → `cancelled` (conditioned on `from`) with `extra`
    /// set on it, every line's stock returned, the history entry, the holds (only an unpaid
    /// order still has them) and the discount use given back.
    async fn cancel_order(
        &self,
        order: &OrderItem,
        lines: &[OrderLineItem],
        from: OrderStatus,
        (reason, by): (&str, &str),
        extra: &[(&str, AttributeValue)],
        now_ms: u64,
    ) -> Result<bool, StoreError> {
        let at = crate::time::rfc3339(now_ms / 1000);
        let mut set = vec![("cancelled_at", s(&at)), ("cancel_reason", s(reason))];
        set.extend(extra.iter().cloned());
        let [update, entry] = self.tx_status_move(
            &order.order_id,
            &[from],
            OrderStatus::Cancelled,
            (now_ms, &at),
            by,
            &set,
        )?;
        let mut actions = Vec::with_capacity(4 + lines.len());
        actions.push(update);
        for l in lines {
            actions.push(self.tx_return_stock(l)?);
        }
        actions.push(entry);
        if from == OrderStatus::PendingPayment {
            actions.extend(self.tx_release_holds(order)?);
        }
        actions.extend(self.tx_release_discount(order)?);
        match self.transact(actions).await {
            Ok(_) => Ok(true),
            Err(e) if e.condition_failed_at(0) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
