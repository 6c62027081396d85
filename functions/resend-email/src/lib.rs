//! `POST /admin/orders/{id}/emails/{kind}` (admin, `Idempotency-Key`) → 202 `{order_id, kind,
//! resend_id}`: sends an order's email of `kind` (`order_confirmation`, `shipped`,
//! `payment_failed`, `order_cancelled`, `refund`) again, to the customer's address as it is now
//! (a resent refund email says what was refunded in all).
//!
//! The email consumer sends each (order, kind) once; a resend is its own record,
//! `EMAIL#<kind>#RESEND#<resend id>`, the id derived from the `Idempotency-Key`
//! (`sha256(key)[..32]`), so a retried request sends once and another key sends again. Only what
//! the order is in a state for (the consumer's own rule, `store::emails::relevance`): a shipped
//! email for an order that has not shipped is 409 `email_not_applicable`, and nothing is queued.

use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::ids::OrderId;
use ferrocart::messages::{EmailKind, request_resend};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::emails::{Relevance, relevance};
use ferrocart::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
    pub sqs: aws_sdk_sqs::Client,
    pub email_queue_url: String,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
            sqs: startup.sqs(),
            email_queue_url: startup.required("EMAIL_QUEUE_URL")?,
        })
    }
}

#[derive(Serialize)]
struct Queued {
    order_id: String,
    kind: EmailKind,
    /// This resend's id: its record in `GET /admin/orders/{id}`'s `emails`.
    resend_id: String,
}

fn parse_kind(s: &str) -> Option<EmailKind> {
    EmailKind::ALL.into_iter().find(|k| k.as_str() == s)
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    require_admin(&principal)?;
    let id = http::path_id(&req, "id", OrderId::parse, "order")?;
    let kind = http::path_id(&req, "kind", parse_kind, "email kind")?;
    let key = http::idempotency_key(&req)?;
    let details = ctx
        .store
        .get_order_details(&id)
        .await?
        .ok_or(ApiError::NotFound("order"))?;
    match relevance(kind, &details) {
        Relevance::Send => {}
        Relevance::NotYet(why) | Relevance::Skip(why) => {
            return Err(ApiError::conflict(
                "email_not_applicable",
                format!("the {kind} email does not apply to this order now: {why}"),
            ));
        }
    }
    let resend_id = ferrocart::digest::sha256_hex(key.as_bytes())[..32].to_string();
    request_resend(&ctx.sqs, &ctx.email_queue_url, &id, kind, &resend_id)
        .await
        .map_err(ApiError::unavailable)?;
    tracing::info!(order_id = %id, %kind, admin = %principal.user_id, %resend_id, "email resend queued");
    Ok(http::json_response(
        StatusCode::ACCEPTED,
        &Queued {
            order_id: id.to_string(),
            kind,
            resend_id,
        },
    ))
}
