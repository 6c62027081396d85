//! Stripe idempotency keys, built in one place. Two callers that must reach Stripe's one
//! operation (the admin's cancel and the reconciler refunding the same payment) share a key,
//! so whichever asks first, Stripe does it once.

use crate::ids::OrderId;

/// Creating an order's one PaymentIntent (checkout, retried with the same order).
pub fn payment(order: &OrderId) -> String {
    format!("ferrocart-order-{order}-payment")
}

/// Cancelling an order's PaymentIntent because the order lapsed or closed while it was made.
pub fn expiry_cancel(order: &OrderId) -> String {
    format!("ferrocart-order-{order}-expire")
}

/// Cancelling an unpaid order's PaymentIntent on an admin's cancel.
pub fn admin_cancel(order: &OrderId) -> String {
    format!("ferrocart-order-{order}-admin-cancel")
}

/// Refunding, in full, a payment for an order that was cancelled (paid too late, or cancelled
/// by an admin after it was paid): the admin's cancel and the reconciler both use it.
pub fn cancelled_payment_refund(payment_intent: &str) -> String {
    format!("ferrocart-late-payment-{payment_intent}-refund")
}

/// An admin's refund, one per request idempotency key (`key_hash` is that key's hash).
pub fn admin_refund(order: &OrderId, key_hash: &str) -> String {
    format!("ferrocart-order-{order}-refund-{key_hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys Stripe has already seen for live orders: changing one would let a retry
    /// after a deploy charge, cancel or refund a second time.
    #[test]
    fn keys_are_pinned() {
        let o = OrderId::parse("0b6f3c1e-2a4d-4f7e-9c3a-5d2e8f1a7b90").expect("order id");
        assert_eq!(
            payment(&o),
            "ferrocart-order-0b6f3c1e-2a4d-4f7e-9c3a-5d2e8f1a7b90-payment"
        );
        assert_eq!(
            expiry_cancel(&o),
            "ferrocart-order-0b6f3c1e-2a4d-4f7e-9c3a-5d2e8f1a7b90-expire"
        );
        assert_eq!(
            admin_cancel(&o),
            "ferrocart-order-0b6f3c1e-2a4d-4f7e-9c3a-5d2e8f1a7b90-admin-cancel"
        );
        assert_eq!(
            cancelled_payment_refund("pi_1"),
            "ferrocart-late-payment-pi_1-refund"
        );
        assert_eq!(
            admin_refund(&o, "ab12"),
            "ferrocart-order-0b6f3c1e-2a4d-4f7e-9c3a-5d2e8f1a7b90-refund-ab12"
        );
    }
}
