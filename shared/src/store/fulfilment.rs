//! Fulfilment: a paid order's lines are allocated to warehouses and leave them as shipments.
//!
//! Two transactions move the order, each conditioned on the status it moves from, so running the
//! consumer twice (or concurrently) changes nothing the second time:
//! 1. `paid` → `fulfilling`: every allocated unit leaves its warehouse's on-hand stock
//!    (`quantity >= q`, so a warehouse never goes negative), the shipments are recorded with their
//!    tracking references, and a status entry is written. The product's `stock_available` does not
//!    move: checkout already took those units out of it (the reservation becomes a shipment).
//! 2. `fulfilling` → `shipped`, with its status entry.

use super::orders::{OrderItem, OrderLineItem};
use super::users::build_err;
use super::{Store, StoreError, key_item, n, s};
use crate::ids::{OrderId, ProductId};
use crate::keys;
use crate::state::OrderStatus;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

/// DynamoDB's limit on actions in one transaction.
pub const MAX_TRANSACTION_ACTIONS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentLine {
    pub product_id: ProductId,
    pub name: String,
    pub quantity: i64,
}

/// One parcel: the units of an order that leave one warehouse.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShipmentItem {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    pub order_id: OrderId,
    pub warehouse_id: String,
    pub lines: Vec<ShipmentLine>,
    pub carrier: String,
    pub tracking_reference: String,
    pub created_at: String,
}

impl ShipmentItem {
    pub fn new(
        order: &OrderId,
        warehouse: &str,
        lines: Vec<ShipmentLine>,
        carrier: &str,
        tracking_reference: String,
        created_at: String,
    ) -> Self {
        let k = keys::order_shipment(order, warehouse);
        Self {
            pk: k.pk,
            sk: k.sk,
            entity: "Shipment".into(),
            order_id: order.clone(),
            warehouse_id: warehouse.into(),
            lines,
            carrier: carrier.into(),
            tracking_reference,
            created_at,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum StartFulfilment {
    Started,
    /// The order is no longer `paid` (fulfilled by a concurrent run, refunded, ...): read it again.
    NotPaid,
    /// A warehouse's stock changed since it was read: allocate again.
    StockChanged,
    /// Another transaction was writing the same items; safe to retry.
    Conflict,
}

impl Store {
    /// Transaction 1 (see the module docs). Actions: one per (product, warehouse) allocated, one per
    /// shipment, the order and its status entry; the caller keeps it within
    /// [`MAX_TRANSACTION_ACTIONS`].
    pub async fn start_fulfilment(
        &self,
        order: &OrderItem,
        shipments: &[ShipmentItem],
        now_ms: u64,
    ) -> Result<StartFulfilment, StoreError> {
        let at = crate::time::rfc3339(now_ms / 1000);
        let mut actions = Vec::new();
        for shipment in shipments {
            for line in &shipment.lines {
                let update = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_item(&keys::product_stock(
                        &line.product_id,
                        &shipment.warehouse_id,
                    ))))
                    .update_expression("ADD quantity :neg SET updated_at = :at")
                    .condition_expression("quantity >= :q")
                    .expression_attribute_values(":neg", n(-line.quantity))
                    .expression_attribute_values(":q", n(line.quantity))
                    .expression_attribute_values(":at", s(&at))
                    .build()
                    .map_err(build_err)?;
                actions.push(TransactWriteItem::builder().update(update).build());
            }
        }
        let stock_actions = actions.len();
        for shipment in shipments {
            actions.push(self.tx_put(shipment, "attribute_not_exists(sk)")?);
        }
        let order_index = actions.len();
        actions.extend(self.tx_status_change(
            &order.order_id,
            OrderStatus::Fulfilling,
            (now_ms, &at),
            "order-fulfilment",
            &[
                ("fulfilling_at", s(&at)),
                ("shipment_count", n(shipments.len())),
            ],
        )?);
        let result = self.transact(actions).await;
        match result {
            Ok(_) => Ok(StartFulfilment::Started),
            Err(e) if e.condition_failed_at(order_index) => Ok(StartFulfilment::NotPaid),
            Err(e) if (0..stock_actions).any(|i| e.condition_failed_at(i)) => {
                Ok(StartFulfilment::StockChanged)
            }
            // A shipment already recorded means a concurrent run won; the order says which.
            Err(e) if (stock_actions..order_index).any(|i| e.condition_failed_at(i)) => {
                Ok(StartFulfilment::NotPaid)
            }
            Err(e) if e.is_conflict() => Ok(StartFulfilment::Conflict),
            Err(e) => Err(e),
        }
    }

    /// Transaction 2: `fulfilling` → `shipped`. `Ok(false)` if the order was not `fulfilling`.
    pub async fn mark_shipped(&self, order: &OrderId, now_ms: u64) -> Result<bool, StoreError> {
        let at = crate::time::rfc3339(now_ms / 1000);
        let actions = self.tx_status_change(
            order,
            OrderStatus::Shipped,
            (now_ms, &at),
            "order-fulfilment",
            &[("shipped_at", s(&at))],
        )?;
        let result = self.transact(actions.into()).await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.condition_failed_at(0) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// An order refunded before it was fulfilled still holds its reservation: give the units back
    /// to `stock_available`, once (conditioned on `refunded`, never fulfilled, not yet released).
    pub async fn release_refunded_reservation(
        &self,
        order: &OrderItem,
        lines: &[OrderLineItem],
        now: u64,
    ) -> Result<bool, StoreError> {
        let at = crate::time::rfc3339(now);
        let mut actions = vec![
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_item(&keys::order(&order.order_id))))
                        .update_expression("SET stock_released_at = :at")
                        .condition_expression(
                            "#st = :refunded AND attribute_not_exists(fulfilling_at) AND attribute_not_exists(stock_released_at)",
                        )
                        .expression_attribute_names("#st", "status")
                        .expression_attribute_values(":refunded", s(OrderStatus::Refunded.as_str()))
                        .expression_attribute_values(":at", s(&at))
                        .build()
                        .map_err(build_err)?,
                )
                .build(),
        ];
        for l in lines {
            actions.push(self.tx_return_stock(l)?);
        }
        match self.transact(actions).await {
            Ok(_) => Ok(true),
            Err(e) if e.condition_failed_at(0) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
