//! `POST /admin/orders/{id}/refunds` (admin, `Idempotency-Key`) `{amount?, reason}` → 202
//! `{order_id, refund: {refund_id, amount, status}, amount_refunded}`: refunds `amount` (minor
//! units; all that is left when left out) of a paid order's payment through Stripe.
//!
//! The request is recorded in the order's partition under its `Idempotency-Key`
//! (`store::refunds`) before Stripe is asked, and Stripe's idempotency key is derived from both
//! (`ferrocart-order-<id>-refund-<sha256(key)>`): a retried request answers as it did and refunds
//! once (the same key with another body is 422), two keys are two refunds, and what was asked but
//! not yet reported by the webhook counts against what is left. The order's `amount_refunded` and status follow
//! Stripe's `charge.refunded` webhook (partial: the order stays as it is with
//! `amount_refunded`; full: `refunded`), never ahead of it: this answer's `amount_refunded` is
//! what the webhook has recorded so far. An order not paid (or already refunded in full) is 409;
//! more than is left to refund is 422 `refund_exceeds_remaining`.

use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::ids::OrderId;
use ferrocart::payments::stripe::StripeClient;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::state::OrderStatus;
use ferrocart::store::Store;
use ferrocart::store::refunds::RefundRequest;
use ferrocart::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
    pub max_body_bytes: usize,
    pub stripe: StripeClient,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
            max_body_bytes: startup.max_body_bytes()?,
            stripe: startup.stripe()?,
        })
    }
}

/// Stripe's refund reasons.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Reason {
    RequestedByCustomer,
    Duplicate,
    Fraudulent,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::RequestedByCustomer => "requested_by_customer",
            Reason::Duplicate => "duplicate",
            Reason::Fraudulent => "fraudulent",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundBody {
    #[serde(default, deserialize_with = "ferrocart::http::whole_opt")]
    amount: Option<i64>,
    reason: Reason,
}

#[derive(Serialize)]
struct RefundView {
    refund_id: String,
    amount: i64,
    /// Stripe's: `pending` or `succeeded` (or `failed`).
    status: String,
}

#[derive(Serialize)]
struct Accepted {
    order_id: String,
    refund: RefundView,
    /// What Stripe's webhooks have reported refunded so far (this refund once its
    /// `charge.refunded` arrives).
    amount_refunded: i64,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    require_admin(&principal)?;
    let id = http::path_id(&req, "id", OrderId::parse, "order")?;
    let key = http::idempotency_key(&req)?;
    let body: RefundBody = http::parse_json(&req, ctx.max_body_bytes)?;
    if let Some(a) = body.amount
        && !(1..=ferrocart::money::MAX_PRICE_MINOR * 500).contains(&a)
    {
        return Err(ApiError::validation(
            "invalid_value",
            "amount",
            "amount is a positive whole number of minor units",
        ));
    }
    let details = ctx
        .store
        .get_order_details(&id)
        .await?
        .ok_or(ApiError::NotFound("order"))?;
    let key_hash = ferrocart::digest::sha256_hex(key.as_bytes())[..32].to_string();
    // A request seen before: its answer again (or, if Stripe never answered it, ask again with
    // the same Stripe key, which Stripe deduplicates).
    let seen = details
        .refunds
        .iter()
        .find(|r| r.key_hash() == key_hash)
        .cloned();
    if let Some(r) = &seen
        && (body.amount.is_some_and(|a| a != r.amount) || r.reason != body.reason.as_str())
    {
        return Err(ApiError::Unprocessable {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was used with a different request body".into(),
            field: None,
        });
    }
    let order = &details.order;
    let request = match seen {
        Some(r) => r,
        None => {
            let payment_ok = order.payment.is_some()
                && matches!(
                    order.status,
                    OrderStatus::Paid | OrderStatus::Fulfilling | OrderStatus::Shipped
                );
            if order.status == OrderStatus::Refunded {
                return Err(ApiError::conflict(
                    "already_refunded",
                    "the order is refunded in full",
                ));
            }
            if !payment_ok {
                return Err(ApiError::conflict(
                    "order_not_paid",
                    format!(
                        "order {id} is {} and has no payment to refund (an unpaid order is cancelled, not refunded)",
                        order.status
                    ),
                ));
            }
            // What is left: the total less what the webhooks reported or, if more, what was
            // asked of Stripe already.
            let asked: i64 = details.refunds.iter().map(|r| r.amount).sum();
            let refunded = order.amount_refunded.unwrap_or(0).max(asked);
            let remaining = order.total - refunded;
            let amount = body.amount.unwrap_or(remaining);
            if amount > remaining || amount <= 0 {
                return Err(ApiError::unprocessable(
                    "refund_exceeds_remaining",
                    "amount",
                    format!(
                        "{remaining} (minor units) is left to refund of {} paid",
                        order.total
                    ),
                ));
            }
            let r = RefundRequest::new(
                &id,
                &key_hash,
                amount,
                body.reason.as_str(),
                principal.user_id.as_str(),
                ferrocart::time::now_unix(),
            );
            if !ctx.store.claim_refund(&r).await? {
                return Err(ApiError::conflict(
                    "request_in_progress",
                    "a request with this Idempotency-Key is in progress; retry it shortly",
                ));
            }
            r
        }
    };
    let payment = order
        .payment
        .as_ref()
        .ok_or_else(|| ApiError::internal("a refund request for an order without a payment"))?;
    let stripe_key = ferrocart::payments::keys::admin_refund(&id, &key_hash);
    let refund = match (&request.refund_id, &request.status) {
        (Some(rid), Some(st)) => ferrocart::payments::stripe::Refund {
            id: rid.clone(),
            status: st.clone(),
            amount: request.amount,
        },
        _ => {
            let refund = ctx
                .stripe
                .refund(
                    &payment.payment_intent_id,
                    Some(request.amount),
                    Some(&request.reason),
                    &stripe_key,
                )
                .await
                .map_err(|e| {
                    tracing::error!(order_id = %id, error = %e, "refund request failed");
                    match e {
                        ferrocart::payments::stripe::PaymentError::Rejected { status, .. }
                            if status < 500 && status != 429 =>
                        {
                            ApiError::unprocessable(
                                "refund_refused",
                                "amount",
                                "the payment provider refused the refund (more than is left to refund?)",
                            )
                        }
                        _ => ApiError::Unavailable {
                            code: "payment_provider_unavailable",
                            message: "the refund could not be requested; retry with the same Idempotency-Key".into(),
                        },
                    }
                })?;
            ctx.store
                .record_refund(&request, &refund.id, &refund.status)
                .await?;
            tracing::info!(order_id = %id, admin = %principal.user_id, amount = request.amount, refund = %refund.id, "refund requested");
            refund
        }
    };
    Ok(http::json_response(
        StatusCode::ACCEPTED,
        &Accepted {
            order_id: id.to_string(),
            refund: RefundView {
                refund_id: refund.id,
                amount: request.amount,
                status: refund.status,
            },
            amount_refunded: order.amount_refunded.unwrap_or(0),
        },
    ))
}
