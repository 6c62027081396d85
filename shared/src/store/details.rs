//! Order details: an order with everything in its partition (lines, status history, payment
//! log, shipments, email records), read in one strongly consistent Query.

use super::emails::EmailRecord;
use super::fulfilment::ShipmentItem;
use super::orders::{OrderItem, OrderLineItem, StatusEntry};
use super::payments::PaymentLogEntry;
use super::{Store, StoreError};
use crate::ids::OrderId;
use crate::keys;

/// An order and the items of its partition, each list in sort-key order (history oldest first).
#[derive(Debug, Clone)]
pub struct OrderDetails {
    pub order: OrderItem,
    pub lines: Vec<OrderLineItem>,
    pub history: Vec<StatusEntry>,
    pub payment_log: Vec<PaymentLogEntry>,
    pub shipments: Vec<ShipmentItem>,
    pub emails: Vec<EmailRecord>,
    /// The admin's refund requests (what Stripe was asked; what it did comes by webhook).
    pub refunds: Vec<super::refunds::RefundRequest>,
}

#[derive(Default)]
struct OrderParts {
    lines: Vec<OrderLineItem>,
    history: Vec<StatusEntry>,
    payment_log: Vec<PaymentLogEntry>,
    shipments: Vec<ShipmentItem>,
    emails: Vec<EmailRecord>,
    refunds: Vec<super::refunds::RefundRequest>,
}

impl Store {
    /// An order with everything in its partition: lines, status history, payment log,
    /// shipments and email records (one strongly consistent Query).
    pub async fn get_order_details(
        &self,
        id: &OrderId,
    ) -> Result<Option<OrderDetails>, StoreError> {
        let items = self
            .query_partition(None, &keys::order(id).pk, None, true)
            .await?;
        let mut order = None;
        let mut d = OrderParts::default();
        for item in items {
            let sk = item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let (kind, _) = sk.split_once('#').unwrap_or((sk.as_str(), ""));
            match kind {
                "ORDER" => order = Some(serde_dynamo::from_item::<_, OrderItem>(item)?),
                "LINE" => d.lines.push(serde_dynamo::from_item(item)?),
                "STATUS" => d.history.push(serde_dynamo::from_item(item)?),
                "PAYLOG" => d.payment_log.push(serde_dynamo::from_item(item)?),
                "SHIPMENT" => d.shipments.push(serde_dynamo::from_item(item)?),
                "EMAIL" => d.emails.push(serde_dynamo::from_item(item)?),
                "REFUND" => d.refunds.push(serde_dynamo::from_item(item)?),
                _ => {}
            }
        }
        Ok(order.map(|order| OrderDetails {
            order,
            lines: d.lines,
            history: d.history,
            payment_log: d.payment_log,
            shipments: d.shipments,
            emails: d.emails,
            refunds: d.refunds,
        }))
    }
}
