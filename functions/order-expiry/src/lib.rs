//! order-expiry: for each delayed `OrderExpiry` message, an order still `pending_payment` after its
//! `expires_at` is cancelled and its reserved stock returned, exactly once (one transaction
//! conditioned on the status). Before that, its PaymentIntent is checked and cancelled at the
//! provider, so it cannot be paid afterwards; if it had already succeeded, the payment webhook owns
//! the order and nothing is cancelled. A cancelled order gets a cancellation email (requested again
//! on every redelivery; the email consumer sends it once). A message that arrives early (reservations longer than SQS's
//! 15-minute maximum delay) is sent again for the remaining time. Safe to run twice; failures are
//! reported per message and end in the DLQ after 5 receives.

use aws_lambda_events::event::sqs::SqsEvent;
use ferrocart::error::BoxError;
use ferrocart::ids::OrderId;
use ferrocart::messages::{EmailKind, OrderExpiry, request_emails, schedule_expiry};
use ferrocart::payments::stripe::StripeClient;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::state::OrderStatus;
use ferrocart::store::Store;
use lambda_runtime::LambdaEvent;

pub struct ExpiryContext {
    pub store: Store,
    pub sqs: aws_sdk_sqs::Client,
    pub stripe: StripeClient,
    pub queue_url: String,
    pub email_queue_url: String,
}

impl FunctionContext for ExpiryContext {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            sqs: startup.sqs(),
            stripe: startup.stripe()?,
            queue_url: startup.required("ORDER_EXPIRY_QUEUE_URL")?,
            email_queue_url: startup.required("EMAIL_QUEUE_URL")?,
        })
    }
}

pub use ferrocart::consumer::{BatchResponse, ItemFailure};

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Cancelled {
        lines: usize,
    },
    NotDueYet {
        rescheduled_in: u64,
    },
    /// Not (or no longer) unpaid: in this status now.
    AlreadySettled(OrderStatus),
    /// Its status changed between the read and the cancelling transaction.
    ChangedConcurrently,
    PaidMeanwhile,
    UnknownOrder,
}

pub async fn handle(
    ctx: &ExpiryContext,
    event: LambdaEvent<SqsEvent>,
) -> Result<BatchResponse, lambda_runtime::Error> {
    // Each message may wait on Stripe (up to three calls of 10 s): they run side by side, and
    // any still waiting near the invocation's deadline fail alone instead of timing out the batch.
    let deadline = event.context.deadline();
    Ok(
        ferrocart::consumer::each_message_by(event.payload, deadline, |body| async move {
            process(ctx, &body).await
        })
        .await,
    )
}

const EXPIRED: &str = "reservation_expired";

/// Asks the email consumer for the cancellation email (sent once per order however often asked).
async fn request_cancelled_email(ctx: &ExpiryContext, order: &OrderId) -> Result<(), BoxError> {
    request_emails(
        &ctx.sqs,
        &ctx.email_queue_url,
        order,
        &[EmailKind::OrderCancelled],
    )
    .await?;
    Ok(())
}

pub async fn process(ctx: &ExpiryContext, body: &str) -> Result<Outcome, BoxError> {
    let msg: OrderExpiry =
        serde_json::from_str(body).map_err(|e| format!("not an order-expiry message: {e}"))?;
    let Some(details) = ctx.store.get_order_details(&msg.order_id).await? else {
        return Ok(Outcome::UnknownOrder);
    };
    let (order, lines) = (details.order, details.lines);
    if order.status == OrderStatus::Cancelled && order.cancel_reason.as_deref() == Some(EXPIRED) {
        // Cancelled by an earlier delivery, which may have failed to request the email.
        request_cancelled_email(ctx, &order.order_id).await?;
        return Ok(Outcome::AlreadySettled(order.status));
    }
    if order.status != OrderStatus::PendingPayment {
        return Ok(Outcome::AlreadySettled(order.status));
    }
    let now = ferrocart::time::now_unix();
    if now < order.expires_at {
        let again = OrderExpiry {
            order_id: order.order_id.clone(),
            expires_at: order.expires_at,
        };
        schedule_expiry(&ctx.sqs, &ctx.queue_url, &again, now).await?;
        return Ok(Outcome::NotDueYet {
            rescheduled_in: order.expires_at - now,
        });
    }
    if let Some(payment) = &order.payment {
        let intent = ctx
            .stripe
            .retrieve_payment_intent(&payment.payment_intent_id)
            .await?;
        if intent.status == "succeeded" || intent.status == "processing" {
            // The customer paid just in time: the webhook moves the order, not us.
            return Ok(Outcome::PaidMeanwhile);
        }
        if intent.status != "canceled" {
            let key = ferrocart::payments::keys::expiry_cancel(&order.order_id);
            if let Err(e) = ctx
                .stripe
                .cancel_payment_intent(&payment.payment_intent_id, &key)
                .await
            {
                if e.is_transient() {
                    return Err(e.into());
                }
                // Refused: look again; if it went through meanwhile, leave the order to the webhook.
                let again = ctx
                    .stripe
                    .retrieve_payment_intent(&payment.payment_intent_id)
                    .await?;
                if again.status == "succeeded" || again.status == "processing" {
                    return Ok(Outcome::PaidMeanwhile);
                }
            }
        }
    }
    let now_ms = ferrocart::time::now_unix_ms().max(now * 1000);
    if ctx
        .store
        .cancel_unpaid_order(&order, &lines, (EXPIRED, "order-expiry"), now_ms)
        .await?
    {
        tracing::info!(order_id = %order.order_id, "unpaid order cancelled; stock returned");
        request_cancelled_email(ctx, &order.order_id).await?;
        Ok(Outcome::Cancelled { lines: lines.len() })
    } else {
        Ok(Outcome::ChangedConcurrently)
    }
}
