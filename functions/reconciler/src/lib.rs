//! reconciler (every minute, an EventBridge schedule): finishes what a fault left undone. Each
//! order that still awaits something carries a time in the sparse `due` index (set by the status
//! change that made it wait, removed by the one that ends the wait; `keys::DUE`, sharded). A run
//! reads the orders whose time has passed and, by the order's status now:
//!
//! - `pending_payment` past its deadline: its expiry message was lost (a function died between
//!   claiming it and sending it, or the client gave up after a 503): a new one is sent now, and
//!   order-expiry cancels it and returns its stock, once;
//! - `paid` or `fulfilling` and not shipped after [`FULFILMENT_GRACE_SECS`]: sent to fulfilment
//!   again (the webhook's send was lost, or a run stopped between its transactions);
//! - `cancelled` with a payment to give back (one that succeeded after the order was cancelled,
//!   or the payment of a paid order an admin cancelled, whose own refund call failed): refunded
//!   in full at the provider, with an idempotency key derived from the payment, then recorded;
//! - anything else: taken off the index.
//!
//! Every follow-up it sends is one its consumer already handles idempotently, and every write is
//! conditioned on the status it read, so a run racing the order's own progress, or two runs at
//! once, change nothing twice. The run stops before its deadline; what it did not reach is due
//! at the next.

use ferrocart::error::BoxError;
use ferrocart::ids::OrderId;
use ferrocart::messages::{OrderExpiry, OrderPaid, schedule_expiry};
use ferrocart::payments::stripe::StripeClient;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::state::{EXPIRY_GRACE_SECS, FULFILMENT_GRACE_SECS, OrderStatus};
use ferrocart::store::Store;
use lambda_runtime::LambdaEvent;
use serde::Serialize;
use std::time::{Duration, SystemTime};

pub struct ReconcilerContext {
    pub store: Store,
    pub sqs: aws_sdk_sqs::Client,
    pub stripe: StripeClient,
    pub order_expiry_queue_url: String,
    pub fulfilment_queue_url: String,
    /// Orders looked at per due-index shard and run.
    pub per_shard: usize,
}

impl FunctionContext for ReconcilerContext {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            sqs: startup.sqs(),
            stripe: startup.stripe()?,
            order_expiry_queue_url: startup.required("ORDER_EXPIRY_QUEUE_URL")?,
            fulfilment_queue_url: startup.required("FULFILMENT_QUEUE_URL")?,
            per_shard: startup.number("RECONCILE_PER_SHARD", 100)?.clamp(1, 1_000) as usize,
        })
    }
}

/// What one run did, by kind (the invocation's result, and logged).
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    pub due: usize,
    pub expiry_requested: usize,
    pub fulfilment_requested: usize,
    pub late_payments_refunded: usize,
    pub cleared: usize,
    /// Changed by something else between our read and our write: nothing to do.
    pub moved_on: usize,
    pub failed: usize,
    /// Orders left for the next run (the deadline came first).
    pub left: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    ExpiryRequested,
    FulfilmentRequested,
    LatePaymentRefunded,
    Cleared,
    MovedOn,
}

/// Time kept back from the invocation's deadline.
const MARGIN: Duration = Duration::from_secs(3);

pub async fn handle(
    ctx: &ReconcilerContext,
    event: LambdaEvent<serde_json::Value>,
) -> Result<Report, lambda_runtime::Error> {
    let report = run(ctx, event.context.deadline(), ferrocart::time::now_unix()).await?;
    tracing::info!(?report, "reconciler run");
    Ok(report)
}

/// One run over every shard of the due index, as of `now`, stopping before `deadline`.
pub async fn run(
    ctx: &ReconcilerContext,
    deadline: SystemTime,
    now: u64,
) -> Result<Report, BoxError> {
    let mut report = Report::default();
    for shard in 0..ferrocart::keys::DUE_SHARDS {
        let due = ctx.store.due_orders(shard, now, ctx.per_shard).await?;
        report.due += due.len();
        for (i, id) in due.iter().enumerate() {
            if SystemTime::now() + MARGIN >= deadline {
                report.left += due.len() - i;
                break;
            }
            match reconcile(ctx, id, now).await {
                Ok(action) => {
                    tracing::info!(order_id = %id, ?action, "reconciled");
                    match action {
                        Action::ExpiryRequested => report.expiry_requested += 1,
                        Action::FulfilmentRequested => report.fulfilment_requested += 1,
                        Action::LatePaymentRefunded => report.late_payments_refunded += 1,
                        Action::Cleared => report.cleared += 1,
                        Action::MovedOn => report.moved_on += 1,
                    }
                }
                Err(e) => {
                    tracing::error!(order_id = %id, error = %ferrocart::chain::error_chain(e.as_ref()), "could not reconcile; due again at the next run");
                    report.failed += 1;
                }
            }
        }
    }
    Ok(report)
}

fn held(changed: bool, action: Action) -> Action {
    if changed { action } else { Action::MovedOn }
}

/// What one due order needs, done.
pub async fn reconcile(
    ctx: &ReconcilerContext,
    id: &OrderId,
    now: u64,
) -> Result<Action, BoxError> {
    let Some(order) = ctx.store.get_order(id).await? else {
        return Ok(Action::MovedOn);
    };
    let store = &ctx.store;
    match order.status {
        OrderStatus::PendingPayment if now < order.expires_at => {
            let at = order.expires_at + EXPIRY_GRACE_SECS;
            Ok(held(
                store.postpone_due(id, order.status, at).await?,
                Action::Cleared,
            ))
        }
        OrderStatus::PendingPayment => {
            let msg = OrderExpiry {
                order_id: id.clone(),
                expires_at: order.expires_at,
            };
            schedule_expiry(&ctx.sqs, &ctx.order_expiry_queue_url, &msg, now).await?;
            let at = now + EXPIRY_GRACE_SECS;
            Ok(held(
                store.postpone_due(id, order.status, at).await?,
                Action::ExpiryRequested,
            ))
        }
        OrderStatus::Paid | OrderStatus::Fulfilling => {
            let body = serde_json::to_string(&OrderPaid::new(id.clone()))?;
            ctx.sqs
                .send_message()
                .queue_url(&ctx.fulfilment_queue_url)
                .message_body(body)
                .send()
                .await?;
            let at = now + FULFILMENT_GRACE_SECS;
            Ok(held(
                store.postpone_due(id, order.status, at).await?,
                Action::FulfilmentRequested,
            ))
        }
        OrderStatus::Cancelled
            if order.late_payment.is_some() && order.late_payment_refund.is_none() =>
        {
            let pi = order.late_payment.as_deref().unwrap_or_default();
            // The provider says whether money was taken (the event that flagged it may be stale).
            let intent = ctx.stripe.retrieve_payment_intent(pi).await?;
            let refund = if intent.status != "succeeded" {
                format!("not_charged: {}", intent.status)
            } else {
                let key = ferrocart::payments::keys::cancelled_payment_refund(pi);
                match ctx.stripe.refund_payment_intent(pi, &key).await {
                    Ok(r) => r.id,
                    Err(e) if e.already_refunded() => "already_refunded".into(),
                    Err(e) => return Err(e.into()),
                }
            };
            tracing::warn!(order_id = %id, payment_intent = pi, refund = %refund, "late payment for a cancelled order refunded");
            Ok(held(
                store.record_late_refund(id, &refund).await?,
                Action::LatePaymentRefunded,
            ))
        }
        status => Ok(held(store.clear_due(id, status).await?, Action::Cleared)),
    }
}
