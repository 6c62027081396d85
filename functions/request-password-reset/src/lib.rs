//! `POST /auth/password-reset` `{email}` → 202 `{"status": "accepted"}`, the same answer whether
//! or not the address has an account: this function never reads the account. It asks the email
//! function for a reset email (which makes the single-use token and sends it only if the account
//! exists); the newest link voids older ones. Throttled per address (`PASSWORD_RESET_MAX_PER_ACCOUNT`
//! an hour) and per client (`PASSWORD_RESET_MAX_PER_CLIENT` an hour): 429 + Retry-After, again the
//! same for every address.

use ferrocart::messages::{AccountEmailKind, AccountEmailRequest};
use ferrocart::settings::{ConfigError, Secret};
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::{ApiError, http, validate};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub max_body_bytes: usize,
    pub sqs: aws_sdk_sqs::Client,
    pub email_queue_url: String,
    pub per_account: u32,
    pub per_client: u32,
    /// What the API's CloudFront distribution sends as `X-Origin-Verify` (`EDGE_SECRET`).
    pub edge_secret: Secret,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            max_body_bytes: startup.max_body_bytes()?,
            sqs: startup.sqs(),
            email_queue_url: startup.required("EMAIL_QUEUE_URL")?,
            per_account: startup
                .number("PASSWORD_RESET_MAX_PER_ACCOUNT", 5)?
                .clamp(1, 1_000) as u32,
            per_client: startup
                .number("PASSWORD_RESET_MAX_PER_CLIENT", 20)?
                .clamp(1, 100_000) as u32,
            edge_secret: startup.secret("EDGE_SECRET")?,
        })
    }
}

/// The throttles' window.
const WINDOW_SECS: u64 = 3_600;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetRequest {
    email: String,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let body: ResetRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    let email = validate::normalise_email(&body.email)?;
    let now = ferrocart::time::now_unix();
    let ip = http::client_address(&req, &ctx.edge_secret);
    let client = format!("reset-client:{ip}");
    let account = format!("reset:{email}");
    if let Some(retry_after) = ctx
        .store
        .reserve_attempts(
            &[
                (&client, ctx.per_client, WINDOW_SECS),
                (&account, ctx.per_account, WINDOW_SECS),
            ],
            now,
        )
        .await?
    {
        tracing::warn!(retry_after, "password reset throttled");
        return Err(ApiError::TooManyRequests { retry_after });
    }
    let msg = AccountEmailRequest {
        account_email: AccountEmailKind::PasswordReset,
        email,
        request_id: ferrocart::messages::new_request_id(),
    };
    ferrocart::messages::request_account_email(&ctx.sqs, &ctx.email_queue_url, &msg)
        .await
        .map_err(ApiError::unavailable)?;
    tracing::info!(request_id = %msg.request_id, "password reset requested");
    Ok(accepted())
}

#[derive(Serialize)]
struct Accepted {
    status: &'static str,
}

/// The one answer.
pub fn accepted() -> Response<Body> {
    http::json_response(StatusCode::ACCEPTED, &Accepted { status: "accepted" })
}
