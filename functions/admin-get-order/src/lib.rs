//! `GET /admin/orders/{id}` (admin) → 200 any order as its customer sees it (`GET /orders/{id}`)
//! and what only the shop sees: whose it is, what was refunded, why it was cancelled, every
//! payment event as recorded, every email with its outcome, and the refunds admins asked for.

use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::ids::OrderId;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::views::order_view::OrderView;
use ferrocart::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
        })
    }
}

#[derive(Serialize)]
struct PaymentEvent {
    provider: String,
    reference: String,
    kind: String,
    amount: i64,
    currency: String,
    outcome: String,
    error_code: Option<String>,
    at: String,
}

#[derive(Serialize)]
struct EmailSent {
    kind: String,
    status: String,
    attempts: u32,
    to: Option<String>,
    subject: Option<String>,
    /// An admin's resend (its id); `null` for the order's own email.
    resend: Option<String>,
    /// A refund email's `charge.refunded` event (one email per refund); `null` otherwise.
    refund: Option<String>,
}

#[derive(Serialize)]
struct RefundAsked {
    amount: i64,
    reason: String,
    by: String,
    created_at: String,
    refund_id: Option<String>,
    status: Option<String>,
}

#[derive(Serialize)]
struct CancelledPayment {
    payment_intent: String,
    refund: Option<String>,
}

#[derive(Serialize)]
struct AdminOrder {
    #[serde(flatten)]
    order: OrderView,
    customer_id: String,
    guest_email: Option<String>,
    amount_refunded: i64,
    refunded_at: Option<String>,
    partially_refunded_at: Option<String>,
    cancel_reason: Option<String>,
    /// A cancelled order's payment that must go back (an admin cancelled it paid, or it was
    /// paid after it lapsed): the PaymentIntent, and the refund once Stripe took it (`null`
    /// while the reconciler still has to ask).
    cancelled_payment: Option<CancelledPayment>,
    payment_events: Vec<PaymentEvent>,
    emails: Vec<EmailSent>,
    /// The refunds admins asked Stripe for (`amount_refunded` is what Stripe reported done).
    refund_requests: Vec<RefundAsked>,
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
    let o = &details.order;
    let view = AdminOrder {
        customer_id: o.user_id.to_string(),
        guest_email: o.guest_email.clone(),
        amount_refunded: o.amount_refunded.unwrap_or(0),
        refunded_at: o.refunded_at.clone(),
        partially_refunded_at: o.partially_refunded_at.clone(),
        cancel_reason: o.cancel_reason.clone(),
        cancelled_payment: o.late_payment.clone().map(|pi| CancelledPayment {
            payment_intent: pi,
            refund: o.late_payment_refund.clone(),
        }),
        payment_events: details
            .payment_log
            .iter()
            .map(|p| PaymentEvent {
                provider: p.provider.clone(),
                reference: p.reference.clone(),
                kind: p.kind.clone(),
                amount: p.amount,
                currency: p.currency.clone(),
                outcome: p.outcome.clone(),
                error_code: p.error_code.clone(),
                at: p.at.clone(),
            })
            .collect(),
        emails: details
            .emails
            .iter()
            .map(|e| EmailSent {
                kind: e.kind.as_str().to_string(),
                status: e.status.clone(),
                attempts: e.attempts,
                to: e.to.clone(),
                subject: e.subject.clone(),
                resend: e.resend.clone(),
                refund: e.refund.clone(),
            })
            .collect(),
        refund_requests: details
            .refunds
            .iter()
            .map(|r| RefundAsked {
                amount: r.amount,
                reason: r.reason.clone(),
                by: r.by.clone(),
                created_at: r.created_at.clone(),
                refund_id: r.refund_id.clone(),
                status: r.status.clone(),
            })
            .collect(),
        order: OrderView::from(details),
    };
    Ok(http::json_response(StatusCode::OK, &view))
}
