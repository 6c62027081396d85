//! `POST /auth/login` `{email, password}` → 200 token pair.
//!
//! Unknown email and wrong password give the same 401 body and cost the same hash. Each account
//! has a budget of attempts per window (429 with `Retry-After` once spent), reserved before the
//! password is checked.

use ferrocart::auth::{TokenPair, TokenService, password, refresh};
use ferrocart::ids::SessionId;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::sessions::SessionItem;
use ferrocart::{ApiError, http, validate};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
    pub max_body_bytes: usize,
    /// How long a session (its refresh token) lives.
    pub refresh_ttl_secs: u64,
    /// Failed logins allowed per account per window before 429.
    pub login_max_failures: u32,
    pub login_window_secs: u64,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
            max_body_bytes: startup.max_body_bytes()?,
            refresh_ttl_secs: startup.refresh_ttl_secs()?,
            login_max_failures: startup.number("LOGIN_MAX_FAILURES", 5)? as u32,
            login_window_secs: startup.number("LOGIN_WINDOW_SECONDS", 900)?.max(1),
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    email: String,
    password: String,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let body: LoginRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    let email = validate::normalise_email(&body.email)?;
    if body.password.is_empty() || body.password.chars().count() > validate::PASSWORD_MAX_CHARS {
        return Err(invalid_credentials());
    }
    let auth = ctx;
    let now = ferrocart::time::now_unix();
    if let Some(retry_after) = ctx
        .store
        .reserve_login_attempt(&email, auth.login_max_failures, auth.login_window_secs, now)
        .await?
    {
        tracing::warn!("login throttled");
        return Err(ApiError::TooManyRequests { retry_after });
    }

    let user = ctx.store.find_user_by_email(&email).await?;
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    let user = match (password::verify(body.password, stored_hash).await, user) {
        (true, Some(user)) => user,
        _ => {
            tracing::info!("login failed");
            return Err(invalid_credentials());
        }
    };
    ctx.store
        .clear_login_attempts(&email, auth.login_window_secs, now)
        .await?;

    let session_id = SessionId::generate();
    let rt = refresh::generate(&session_id);
    let session = SessionItem::new(
        session_id.clone(),
        user.user_id.clone(),
        rt.hash,
        now,
        auth.refresh_ttl_secs,
    );
    ctx.store.create_session(&session).await?;
    let access_token = ctx
        .tokens
        .issue(&user.user_id, &session_id, user.role, now)
        .map_err(ApiError::internal)?;
    tracing::info!(user_id = %user.user_id, session_id = %session_id, "login succeeded");
    Ok(http::json_response(
        StatusCode::OK,
        &TokenPair {
            access_token,
            token_type: "Bearer",
            expires_in: ctx.tokens.access_ttl_secs,
            refresh_token: rt.token,
            refresh_expires_in: auth.refresh_ttl_secs,
        },
    ))
}

fn invalid_credentials() -> ApiError {
    ApiError::unauthorized("invalid_credentials", "email or password is incorrect")
}
