//! `POST /auth/verify-email` `{token}` → 200 `{"email_verified": true}`. The token (from the
//! verification email) works once, within 48 hours, if it is the newest sent to the account and the
//! account still has the address it was sent to. Any wrong token is the same 422 `invalid_token` (one not shaped
//! like a token, 400).
//! Throttled per client (`VERIFY_EMAIL_MAX_PER_CLIENT` an hour).
//!
//! A verified email brings the account the guest orders placed with it
//! (`Store::attach_guest_orders`): only a verified owner of the address may see them. If that
//! cannot be done now the email is still verified, and the next login does it.

use ferrocart::settings::{ConfigError, Secret};
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::tokens::{self, Redeem, Redeemed, TokenPurpose};
use ferrocart::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub max_body_bytes: usize,
    pub per_client: u32,
    /// What the API's CloudFront distribution sends as `X-Origin-Verify` (`EDGE_SECRET`).
    pub edge_secret: Secret,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            max_body_bytes: startup.max_body_bytes()?,
            per_client: startup
                .number("VERIFY_EMAIL_MAX_PER_CLIENT", 30)?
                .clamp(1, 100_000) as u32,
            edge_secret: startup.secret("EDGE_SECRET")?,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyRequest {
    token: String,
}

#[derive(Serialize)]
struct Verified<'a> {
    email: &'a str,
    email_verified: bool,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let body: VerifyRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    if !tokens::well_formed(&body.token) {
        return Err(ApiError::malformed_token());
    }
    let now = ferrocart::time::now_unix();
    let ip = http::client_address(&req, &ctx.edge_secret);
    let client = format!("verify-client:{ip}");
    if let Some(retry_after) = ctx
        .store
        .reserve_attempts(&[(&client, ctx.per_client, 3_600)], now)
        .await?
    {
        return Err(ApiError::TooManyRequests { retry_after });
    }
    let live = ctx
        .store
        .live_token(&body.token, TokenPurpose::VerifyEmail, now)
        .await?;
    let redeemed = match &live {
        Some(item) => {
            ctx.store
                .redeem_token(item, Redeem::VerifyEmail, now)
                .await?
        }
        None => Redeemed::Invalid,
    };
    match redeemed {
        Redeemed::Done { user_id, email } => {
            tracing::info!(user_id = %user_id, "email verified");
            match ctx.store.attach_guest_orders(&email, &user_id, now).await {
                Ok(0) => {}
                Ok(moved) => tracing::info!(user_id = %user_id, moved, "guest orders attached"),
                Err(e) => {
                    tracing::warn!(user_id = %user_id, error = %e, "guest orders not attached now; the next login does it")
                }
            }
            Ok(http::json_response(
                StatusCode::OK,
                &Verified {
                    email: &email,
                    email_verified: true,
                },
            ))
        }
        Redeemed::Invalid => Err(ApiError::invalid_token()),
    }
}
