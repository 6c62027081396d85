//! Domain states as types. An order's statuses and every move between them are in one table,
//! [`ORDER_TRANSITIONS`]: each conditional write that changes an order's status is conditioned on
//! the order being in a state the table lets it leave for the new one
//! ([`OrderStatus::predecessors`]), so the table is the only place the forward-only rule lives.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed, stock reserved, waiting for the payment (or for expiry).
    PendingPayment,
    Paid,
    /// Units taken from warehouses, shipments recorded.
    Fulfilling,
    Shipped,
    /// Unpaid at its deadline, or cancelled by the shop before it shipped: the reservation was
    /// returned (and a payment refunded). Final.
    Cancelled,
    /// Refunded in full at the provider. Final.
    Refunded,
}

use OrderStatus::*;

/// A paid order not shipped within this long is sent to fulfilment again by the reconciler.
pub const FULFILMENT_GRACE_SECS: u64 = 300;
/// An unpaid order still open this long after its deadline is expired by the reconciler (its own
/// delayed expiry message should have done it).
pub const EXPIRY_GRACE_SECS: u64 = 120;

/// Every status change an order may make, `(from, to)`. Nothing else moves an order.
pub const ORDER_TRANSITIONS: &[(OrderStatus, OrderStatus)] = &[
    (PendingPayment, Paid),
    (PendingPayment, Cancelled),
    (Paid, Fulfilling),
    // Only by an admin (`POST /admin/orders/{id}/cancel`), before fulfilment takes the units.
    (Paid, Cancelled),
    (Fulfilling, Shipped),
    (Paid, Refunded),
    (Fulfilling, Refunded),
    (Shipped, Refunded),
];

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        PendingPayment,
        Paid,
        Fulfilling,
        Shipped,
        Cancelled,
        Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PendingPayment => "pending_payment",
            Paid => "paid",
            Fulfilling => "fulfilling",
            Shipped => "shipped",
            Cancelled => "cancelled",
            Refunded => "refunded",
        }
    }

    /// The statuses an order may be in to move to `to` (what its conditional write requires).
    pub fn predecessors(to: OrderStatus) -> Vec<OrderStatus> {
        ORDER_TRANSITIONS
            .iter()
            .filter(|(_, t)| *t == to)
            .map(|(f, _)| *f)
            .collect()
    }

    /// How long after reaching this status an order is due a look from the reconciler, if
    /// nothing has moved it on by then (a paid order should be shipping within minutes). `None`:
    /// nothing more is expected of it. An unpaid order is due at its reservation's deadline.
    pub fn follow_up_secs(self) -> Option<u64> {
        match self {
            Paid | Fulfilling => Some(FULFILMENT_GRACE_SECS),
            PendingPayment | Shipped | Cancelled | Refunded => None,
        }
    }

    /// An order that has been paid and not cancelled: what a refund may apply to.
    pub fn is_paid(self) -> bool {
        matches!(self, Paid | Fulfilling | Shipped | Refunded)
    }
}

/// Compares with the stored name (`status == "paid"`), as tests and logs read it.
impl PartialEq<&str> for OrderStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an account may do: shop, or also manage the catalog, stock and orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Admin => "admin",
        }
    }
}

/// A payment we asked the provider for: `created`, then what the provider last reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    #[default]
    Created,
    Succeeded,
    Failed,
    PartiallyRefunded,
    Refunded,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Created => "created",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
        }
    }
}

/// An idempotency record: the order is placed but its answer not yet stored (`in_progress`), or
/// the answer is stored and every retry replays it (`done`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdempotencyStatus {
    InProgress,
    Done,
}

impl IdempotencyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IdempotencyStatus::InProgress => "in_progress",
            IdempotencyStatus::Done => "done",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_stored_strings() {
        for s in OrderStatus::ALL {
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::Value::String(s.as_str().into()))
            );
        }
        assert_eq!(
            serde_json::to_value(IdempotencyStatus::InProgress).ok(),
            Some(serde_json::json!("in_progress"))
        );
        assert_eq!(
            serde_json::to_value(PaymentStatus::Created).ok(),
            Some(serde_json::json!("created"))
        );
    }

    #[test]
    fn an_order_only_moves_forward() {
        assert_eq!(OrderStatus::predecessors(Paid), vec![PendingPayment]);
        assert_eq!(
            OrderStatus::predecessors(Refunded),
            vec![Paid, Fulfilling, Shipped]
        );
        assert_eq!(
            OrderStatus::predecessors(Cancelled),
            vec![PendingPayment, Paid]
        );
        assert!(OrderStatus::predecessors(PendingPayment).is_empty());
        let is_final = |s: OrderStatus| !ORDER_TRANSITIONS.iter().any(|(f, _)| *f == s);
        assert!(is_final(Cancelled) && is_final(Refunded) && !is_final(Shipped));
        // No way back: the transitions never return to an earlier status.
        let rank = |s: OrderStatus| OrderStatus::ALL.iter().position(|x| *x == s);
        for (from, to) in ORDER_TRANSITIONS {
            assert!(rank(*from) < rank(*to), "{from} -> {to}");
        }
        assert!(
            !ORDER_TRANSITIONS.contains(&(Shipped, Paid))
                && !ORDER_TRANSITIONS.contains(&(Cancelled, Paid))
        );
    }
}
