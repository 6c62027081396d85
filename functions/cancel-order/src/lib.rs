//! `POST /admin/orders/{id}/cancel` (admin) → 200 `{order_id, status, cancelled_at,
//! cancel_reason, refund}`: cancels an order that has not started shipping, returns its stock and
//! refunds it if it was paid.
//!
//! - `pending_payment`: its PaymentIntent is cancelled at Stripe first, so it cannot be paid
//!   afterwards (as order-expiry does); then the order is cancelled with its reserved stock, its
//!   holds and its use of a discount code given back, in one transaction conditioned on the
//!   status. A payment that has already gone through (or is processing) is 409
//!   `payment_in_progress`: the webhook is about to mark it paid, and a cancel then refunds it.
//! - `paid` (fulfilment has not taken the units): one transaction conditioned on `paid` moves it
//!   to `cancelled`, returns its stock and its discount use, and records the payment as one to
//!   refund, with the order on the reconciler's due index now. Then the payment is refunded in
//!   full at Stripe with the reconciler's own idempotency key, and recorded: if this function
//!   dies or Stripe fails after the transaction, the reconciler's next run refunds it (once,
//!   the same key), and the answer says `refund.status: "pending"`.
//! - `fulfilling` or `shipped`: 409 `order_shipping` (refund it instead); `refunded`: 409.
//! - `cancelled` already: answered as it stands (a retry; a refund still pending is asked again).
//!
//! The customer gets the cancellation email, which says whether money comes back; it is
//! requested on every call that finds the order cancelled, and sent once.

use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::ids::OrderId;
use ferrocart::messages::{EmailKind, request_emails};
use ferrocart::payments::keys;
use ferrocart::payments::stripe::StripeClient;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::state::OrderStatus;
use ferrocart::store::Store;
use ferrocart::store::orders::{CANCELLED_BY_ADMIN, OrderItem};
use ferrocart::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
    pub stripe: StripeClient,
    pub sqs: aws_sdk_sqs::Client,
    pub email_queue_url: String,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
            stripe: startup.stripe()?,
            sqs: startup.sqs(),
            email_queue_url: startup.required("EMAIL_QUEUE_URL")?,
        })
    }
}

#[derive(Debug, Serialize)]
pub struct RefundState {
    pub payment_intent: String,
    /// `succeeded`: Stripe accepted the refund (its webhook records it); `pending`: not asked
    /// yet (Stripe failed): the reconciler asks within a minute or two.
    pub status: &'static str,
    pub refund_id: Option<String>,
}

#[derive(Debug, Serialize)]
struct Cancelled {
    order_id: String,
    status: OrderStatus,
    cancelled_at: Option<String>,
    cancel_reason: Option<String>,
    /// The refund of a paid order's payment; `null` for an order never paid.
    refund: Option<RefundState>,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    require_admin(&principal)?;
    let id = http::path_id(&req, "id", OrderId::parse, "order")?;
    let details = ctx
        .store
        .get_order_details(&id)
        .await?
        .ok_or(ApiError::NotFound("order"))?;
    let (order, lines) = (details.order, details.lines);
    let by = format!("admin:{}", principal.user_id);
    let now_ms = ferrocart::time::now_unix_ms();
    let changed = || {
        ApiError::conflict(
            "order_changed",
            "the order changed while it was being cancelled; look at it again",
        )
    };
    match order.status {
        OrderStatus::PendingPayment => {
            stop_payment(ctx, &order).await?;
            if !ctx
                .store
                .cancel_unpaid_order(&order, &lines, (CANCELLED_BY_ADMIN, &by), now_ms)
                .await?
            {
                return Err(changed());
            }
            tracing::info!(order_id = %id, admin = %principal.user_id, "unpaid order cancelled; stock returned");
        }
        OrderStatus::Paid => {
            let pi = payment_intent(&order)?;
            if !ctx
                .store
                .cancel_paid_order(&order, &lines, (CANCELLED_BY_ADMIN, &by), &pi, now_ms)
                .await?
            {
                return Err(changed());
            }
            tracing::info!(order_id = %id, admin = %principal.user_id, "paid order cancelled; stock returned, refund due");
        }
        OrderStatus::Cancelled => {}
        OrderStatus::Fulfilling | OrderStatus::Shipped => {
            return Err(ApiError::conflict(
                "order_shipping",
                format!(
                    "order {id} is {}: its units have left stock, so it can no longer be cancelled; refund it instead",
                    order.status
                ),
            ));
        }
        OrderStatus::Refunded => {
            return Err(ApiError::conflict(
                "already_refunded",
                "the order is refunded in full",
            ));
        }
    }
    // Read again: what the transaction wrote (or, for a retry, what an earlier call did).
    let order = ctx
        .store
        .get_order(&id)
        .await?
        .ok_or(ApiError::NotFound("order"))?;
    if order.status != OrderStatus::Cancelled {
        return Err(changed());
    }
    let refund = match (&order.late_payment, &order.late_payment_refund) {
        (Some(pi), Some(done)) => Some(RefundState {
            payment_intent: pi.clone(),
            status: "succeeded",
            refund_id: Some(done.clone()),
        }),
        (Some(pi), None) => Some(refund(ctx, &order.order_id, pi).await?),
        (None, _) => None,
    };
    request_emails(
        &ctx.sqs,
        &ctx.email_queue_url,
        &id,
        &[EmailKind::OrderCancelled],
    )
    .await
    .map_err(ApiError::unavailable)?;
    Ok(http::json_response(
        StatusCode::OK,
        &Cancelled {
            order_id: id.to_string(),
            status: order.status,
            cancelled_at: order.cancelled_at,
            cancel_reason: order.cancel_reason,
            refund,
        },
    ))
}

fn payment_intent(order: &OrderItem) -> Result<String, ApiError> {
    order
        .payment
        .as_ref()
        .map(|p| p.payment_intent_id.clone())
        .ok_or_else(|| ApiError::internal("a paid order without a payment"))
}

fn provider_unavailable(e: ferrocart::payments::stripe::PaymentError) -> ApiError {
    tracing::warn!(error = %e, "payment provider call failed");
    ApiError::Unavailable {
        code: "payment_provider_unavailable",
        message: "the payment provider could not be reached; retry the cancel".into(),
    }
}

/// An unpaid order's PaymentIntent cancelled at the provider, so nobody can pay it after the
/// order is cancelled; 409 if it has been paid (or is being) meanwhile.
async fn stop_payment(ctx: &Context, order: &OrderItem) -> Result<(), ApiError> {
    let Some(payment) = &order.payment else {
        return Ok(());
    };
    let pi = &payment.payment_intent_id;
    let paying = || {
        ApiError::conflict(
            "payment_in_progress",
            "the customer's payment has gone through or is being processed; once the order shows paid, cancel it again to refund it",
        )
    };
    let intent = ctx
        .stripe
        .retrieve_payment_intent(pi)
        .await
        .map_err(provider_unavailable)?;
    match intent.status.as_str() {
        "succeeded" | "processing" => return Err(paying()),
        "canceled" => return Ok(()),
        _ => {}
    }
    let key = keys::admin_cancel(&order.order_id);
    if let Err(e) = ctx.stripe.cancel_payment_intent(pi, &key).await {
        if e.is_transient() {
            return Err(provider_unavailable(e));
        }
        // Refused: it may have gone through meanwhile.
        let again = ctx
            .stripe
            .retrieve_payment_intent(pi)
            .await
            .map_err(provider_unavailable)?;
        match again.status.as_str() {
            "canceled" => {}
            "succeeded" | "processing" => return Err(paying()),
            _ => return Err(provider_unavailable(e)),
        }
    }
    Ok(())
}

/// The cancelled order's payment refunded in full and recorded; `pending` if Stripe cannot be
/// asked now (the order stays on the due index: the reconciler asks).
async fn refund(ctx: &Context, order: &OrderId, pi: &str) -> Result<RefundState, ApiError> {
    let refund_id = match ctx
        .stripe
        .refund_payment_intent(pi, &keys::cancelled_payment_refund(pi))
        .await
    {
        Ok(r) => r.id,
        Err(e) if e.already_refunded() => "already_refunded".into(),
        Err(e) => {
            tracing::warn!(order_id = %order, error = %e, "refund of a cancelled order failed; the reconciler retries it");
            return Ok(RefundState {
                payment_intent: pi.into(),
                status: "pending",
                refund_id: None,
            });
        }
    };
    ctx.store.record_late_refund(order, &refund_id).await?;
    tracing::info!(order_id = %order, refund = %refund_id, "cancelled order refunded");
    Ok(RefundState {
        payment_intent: pi.into(),
        status: "succeeded",
        refund_id: Some(refund_id),
    })
}
