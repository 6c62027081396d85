//! order-fulfilment: for each `order.paid` message, the order is allocated to warehouses
//! ([`allocation`]: fewest shipments first, then warehouse priority), its shipments are recorded
//! with tracking references, and it moves `paid` → `fulfilling` → `shipped`
//! ([`ferrocart::store::fulfilment`]: two transactions, each conditioned on the status it leaves).
//! The order-confirmation email is requested when the order is picked up, the shipped email once
//! it has shipped.
//!
//! Safe to run twice or concurrently: a second run finds the order already moved and only requests
//! the emails again (the email consumer sends each once). An order refunded before it shipped is
//! not shipped; its reserved stock is returned. Anything it cannot do (an unknown or unpaid order,
//! not enough stock on hand, a malformed message) fails that message alone, and after 5 receives it
//! is in the dead-letter queue, whose alarm calls a human.

pub mod allocation;

use allocation::{Need, OnHand, Parcel, Warehouse, allocate};
use aws_lambda_events::event::sqs::SqsEvent;
use ferrocart::error::BoxError;
use ferrocart::messages::{EmailKind, OrderPaid, request_emails};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::state::OrderStatus;
use ferrocart::store::Store;
use ferrocart::store::details::OrderDetails;
use ferrocart::store::fulfilment::{
    MAX_TRANSACTION_ACTIONS, ShipmentItem, ShipmentLine, StartFulfilment,
};
use lambda_runtime::LambdaEvent;
use std::time::Duration;

pub use ferrocart::consumer::{BatchResponse, ItemFailure};

/// Transactions lost to concurrent writers (another order taking the same stock) are retried this
/// many times inside one delivery before the message is handed back to SQS.
const ATTEMPTS: u32 = 6;

pub struct FulfilmentContext {
    pub store: Store,
    pub sqs: aws_sdk_sqs::Client,
    pub email_queue_url: String,
    /// Shown on shipments and in the shipped email.
    pub carrier: String,
}

impl FunctionContext for FulfilmentContext {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            sqs: startup.sqs(),
            email_queue_url: startup.required("EMAIL_QUEUE_URL")?,
            carrier: startup
                .settings()
                .get("CARRIER_NAME")
                .unwrap_or_else(|| "Ferrocart Post".into()),
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// This run shipped it.
    Shipped { shipments: usize },
    /// An earlier (or concurrent) run did; the emails were requested again.
    AlreadyShipped,
    /// Cancelled, or refunded before shipping: nothing to ship.
    NotShipped {
        status: OrderStatus,
        stock_released: bool,
    },
}

pub async fn handle(
    ctx: &FulfilmentContext,
    event: LambdaEvent<SqsEvent>,
) -> Result<BatchResponse, lambda_runtime::Error> {
    Ok(ferrocart::consumer::each_message(
        event.payload,
        |body| async move { process(ctx, &body).await },
    )
    .await)
}

use ferrocart::time::now_unix_ms as now_ms;

pub async fn process(ctx: &FulfilmentContext, body: &str) -> Result<Outcome, BoxError> {
    let msg: OrderPaid =
        serde_json::from_str(body).map_err(|e| format!("not an order.paid message: {e}"))?;
    let id = msg.order_id;
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(20 << attempt.min(5))).await;
        }
        let details = ctx
            .store
            .get_order_details(&id)
            .await?
            .ok_or_else(|| format!("order {id} does not exist"))?;
        match details.order.status {
            OrderStatus::PendingPayment => return Err(format!("order {id} is not paid").into()),
            OrderStatus::Cancelled => {
                return Ok(Outcome::NotShipped {
                    status: OrderStatus::Cancelled,
                    stock_released: false,
                });
            }
            OrderStatus::Refunded => {
                let released = ctx
                    .store
                    .release_refunded_reservation(
                        &details.order,
                        &details.lines,
                        ferrocart::time::now_unix(),
                    )
                    .await?;
                return Ok(Outcome::NotShipped {
                    status: OrderStatus::Refunded,
                    stock_released: released,
                });
            }
            OrderStatus::Shipped => {
                emails(
                    ctx,
                    &details,
                    &[EmailKind::OrderConfirmation, EmailKind::Shipped],
                )
                .await?;
                return Ok(Outcome::AlreadyShipped);
            }
            OrderStatus::Fulfilling => {
                // A run recorded the shipments and stopped before dispatching them.
                ctx.store.mark_shipped(&id, now_ms()).await?;
                continue;
            }
            OrderStatus::Paid => {}
        }

        if attempt == 0 {
            emails(ctx, &details, &[EmailKind::OrderConfirmation]).await?;
        }
        let shipments = plan(ctx, &details).await?;
        match ctx
            .store
            .start_fulfilment(&details.order, &shipments, now_ms())
            .await?
        {
            StartFulfilment::Started => {
                tracing::info!(order_id = %id, shipments = shipments.len(), "order allocated; stock left the warehouses");
                if !ctx.store.mark_shipped(&id, now_ms()).await? {
                    // Refunded (or shipped by a concurrent run) between the two transactions:
                    // the next look at the order says which. A refunded order gets no shipped
                    // email (the email consumer would refuse it until the DLQ).
                    continue;
                }
                tracing::info!(order_id = %id, "order shipped");
                emails(ctx, &details, &[EmailKind::Shipped]).await?;
                return Ok(Outcome::Shipped {
                    shipments: shipments.len(),
                });
            }
            StartFulfilment::NotPaid => continue,
            StartFulfilment::StockChanged | StartFulfilment::Conflict => {
                tracing::info!(order_id = %id, attempt, "stock moved meanwhile; allocating again");
                continue;
            }
        }
    }
    Err(format!("order {id}: gave up after {ATTEMPTS} attempts (contention)").into())
}

async fn emails(
    ctx: &FulfilmentContext,
    details: &OrderDetails,
    kinds: &[EmailKind],
) -> Result<(), BoxError> {
    request_emails(
        &ctx.sqs,
        &ctx.email_queue_url,
        &details.order.order_id,
        kinds,
    )
    .await?;
    Ok(())
}

/// Reads the warehouses and each product's on-hand stock (strongly consistent) and turns the
/// allocation into shipment records.
async fn plan(
    ctx: &FulfilmentContext,
    details: &OrderDetails,
) -> Result<Vec<ShipmentItem>, BoxError> {
    let warehouses: Vec<Warehouse> = ctx
        .store
        .list_warehouses()
        .await?
        .into_iter()
        .map(|w| Warehouse {
            id: w.warehouse_id,
            priority: w.priority,
        })
        .collect();
    let mut on_hand = OnHand::new();
    for line in &details.lines {
        for s in ctx.store.product_stock(&line.product_id).await? {
            on_hand.insert((s.product_id, s.warehouse_id), s.quantity);
        }
    }
    let needs: Vec<Need> = details
        .lines
        .iter()
        .map(|l| Need {
            product: l.product_id.clone(),
            quantity: l.quantity,
        })
        .collect();
    let parcels: Vec<Parcel> = allocate(&needs, &warehouses, &on_hand).ok_or_else(|| {
        format!(
            "order {}: the warehouses do not hold enough stock on hand",
            details.order.order_id
        )
    })?;
    let actions: usize = parcels.iter().map(|p| p.items.len() + 1).sum::<usize>() + 2;
    if actions > MAX_TRANSACTION_ACTIONS {
        return Err(format!(
            "order {}: {actions} actions exceed one transaction",
            details.order.order_id
        )
        .into());
    }
    let created = ferrocart::time::rfc3339(ferrocart::time::now_unix());
    Ok(parcels
        .into_iter()
        .map(|p| {
            let lines = p
                .items
                .into_iter()
                .map(|(product_id, quantity)| ShipmentLine {
                    name: details
                        .lines
                        .iter()
                        .find(|l| l.product_id == product_id)
                        .map(|l| l.name.clone())
                        .unwrap_or_default(),
                    product_id,
                    quantity,
                })
                .collect();
            let tracking = tracking_reference(&details.order.order_id.to_string(), &p.warehouse);
            ShipmentItem::new(
                &details.order.order_id,
                &p.warehouse,
                lines,
                &ctx.carrier,
                tracking,
                created.clone(),
            )
        })
        .collect())
}

/// A tracking reference derived from the order and warehouse, so every run computes the same one:
/// `FC` + 12 upper-case hex digits, grouped in fours (`FC-1A2B-3C4D-5E6F`).
pub fn tracking_reference(order: &str, warehouse: &str) -> String {
    let hex = ferrocart::digest::sha256_hex(format!("{order}#{warehouse}").as_bytes())
        .to_ascii_uppercase();
    format!("FC-{}-{}-{}", &hex[0..4], &hex[4..8], &hex[8..12])
}

#[cfg(test)]
mod tests {
    #[test]
    fn tracking_references_are_stable_and_distinct() {
        let a = super::tracking_reference("o1", "ams-1");
        assert_eq!(a, super::tracking_reference("o1", "ams-1"));
        assert_ne!(a, super::tracking_reference("o1", "lon-1"));
        assert_eq!(a.len(), 17);
        assert!(a.starts_with("FC-"));
    }
}
