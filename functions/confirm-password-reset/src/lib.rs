//! `POST /auth/password-reset/confirm` `{token, password}` → 204. The token (from the reset email)
//! works once, for 30 minutes, and only if it is the account's newest: one transaction spends it
//! and sets the new password. Then every session of the account is revoked and its login
//! throttle cleared (the account's own guard, and this client's on the account). Any wrong token
//! (unknown, used, superseded, expired) is the same 422 `invalid_token`; one not shaped like a
//! token at all is a 400. Throttled per client
//! (`PASSWORD_RESET_CONFIRM_MAX_PER_CLIENT` an hour) and per account (`PASSWORD_RESET_MAX_PER_ACCOUNT`
//! redemptions an hour): 429 + Retry-After.

use ferrocart::auth::password;
use ferrocart::settings::{ConfigError, Secret};
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::tokens::{self, Redeem, Redeemed, TokenPurpose};
use ferrocart::{ApiError, http, validate};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub max_body_bytes: usize,
    pub per_client: u32,
    pub per_account: u32,
    /// What the API's CloudFront distribution sends as `X-Origin-Verify` (`EDGE_SECRET`).
    pub edge_secret: Secret,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            max_body_bytes: startup.max_body_bytes()?,
            per_client: startup
                .number("PASSWORD_RESET_CONFIRM_MAX_PER_CLIENT", 20)?
                .clamp(1, 100_000) as u32,
            per_account: startup
                .number("PASSWORD_RESET_MAX_PER_ACCOUNT", 5)?
                .clamp(1, 1_000) as u32,
            edge_secret: startup.secret("EDGE_SECRET")?,
        })
    }
}

const WINDOW_SECS: u64 = 3_600;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmRequest {
    token: String,
    password: String,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let body: ConfirmRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    if !tokens::well_formed(&body.token) {
        return Err(ApiError::malformed_token());
    }
    validate::password(&body.password)?;
    let now = ferrocart::time::now_unix();
    let ip = http::client_address(&req, &ctx.edge_secret);
    let client = format!("reset-confirm-client:{ip}");
    if let Some(retry_after) = ctx
        .store
        .reserve_attempts(&[(&client, ctx.per_client, WINDOW_SECS)], now)
        .await?
    {
        return Err(ApiError::TooManyRequests { retry_after });
    }
    let Some(live) = ctx
        .store
        .live_token(&body.token, TokenPurpose::PasswordReset, now)
        .await?
    else {
        tracing::info!("password reset refused: invalid token");
        return Err(ApiError::invalid_token());
    };
    let account = format!("reset-confirm:{}", live.user_id);
    if let Some(retry_after) = ctx
        .store
        .reserve_attempts(&[(&account, ctx.per_account, WINDOW_SECS)], now)
        .await?
    {
        return Err(ApiError::TooManyRequests { retry_after });
    }
    // Hashing costs ~50 ms: done before the token is spent, so a slow hash never leaves a
    // spent token and the old password.
    let hash = password::hash(body.password)
        .await
        .map_err(ApiError::internal)?;
    let (user_id, email) = match ctx
        .store
        .redeem_token(&live, Redeem::SetPassword(&hash), now)
        .await?
    {
        Redeemed::Done { user_id, email } => (user_id, email),
        Redeemed::Invalid => {
            tracing::info!("password reset refused: invalid token");
            return Err(ApiError::invalid_token());
        }
    };
    let revoked = ctx
        .store
        .revoke_all_sessions(&user_id, "password_reset", now)
        .await?;
    ctx.store.clear_guard(&email).await?;
    ctx.store.clear_guard(&format!("{email}|{ip}")).await?;
    tracing::info!(user_id = %user_id, revoked, "password reset");
    Ok(http::empty_response(StatusCode::NO_CONTENT))
}
