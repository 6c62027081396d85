//! `POST /me/email-verification` (authenticated) → 202 `{"status": "accepted"}`: sends a new
//! verification link to the account's address (voiding the older ones); 409 `email_verified` if
//! it is verified already. Throttled per account (`VERIFY_EMAIL_MAX_PER_ACCOUNT` an hour: 429).

use ferrocart::auth::{TokenService, authenticate};
use ferrocart::messages::{AccountEmailKind, AccountEmailRequest};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
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
    pub per_account: u32,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
            sqs: startup.sqs(),
            email_queue_url: startup.required("EMAIL_QUEUE_URL")?,
            per_account: startup
                .number("VERIFY_EMAIL_MAX_PER_ACCOUNT", 5)?
                .clamp(1, 1_000) as u32,
        })
    }
}

#[derive(Serialize)]
struct Accepted {
    status: &'static str,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    let user = ctx
        .store
        .get_user(&principal.user_id)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    if user.email_verified_at.is_some() {
        return Err(ApiError::conflict(
            "email_verified",
            "this account's email address is verified already",
        ));
    }
    let now = ferrocart::time::now_unix();
    let subject = format!("verify:{}", user.user_id);
    if let Some(retry_after) = ctx
        .store
        .reserve_attempts(&[(&subject, ctx.per_account, 3_600)], now)
        .await?
    {
        return Err(ApiError::TooManyRequests { retry_after });
    }
    let msg = AccountEmailRequest {
        account_email: AccountEmailKind::VerifyEmail,
        email: user.email,
        request_id: ferrocart::messages::new_request_id(),
    };
    ferrocart::messages::request_account_email(&ctx.sqs, &ctx.email_queue_url, &msg)
        .await
        .map_err(ApiError::unavailable)?;
    Ok(http::json_response(
        StatusCode::ACCEPTED,
        &Accepted { status: "accepted" },
    ))
}
