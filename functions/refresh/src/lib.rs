//! `POST /auth/refresh` `{refresh_token}` → 200 a new token pair. The presented token is spent;
//! presenting a spent token again revokes the whole session.

use ferrocart::auth::{TokenPair, TokenService, refresh};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::sessions::Rotation;
use ferrocart::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
    pub max_body_bytes: usize,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
            max_body_bytes: startup.max_body_bytes()?,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshRequest {
    refresh_token: String,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let body: RefreshRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    let invalid = || {
        ApiError::unauthorized(
            "invalid_refresh_token",
            "the refresh token is invalid, expired or revoked",
        )
    };
    let session_id = refresh::parse(&body.refresh_token).ok_or_else(invalid)?;
    let old_hash = refresh::hash(&body.refresh_token);
    let next = refresh::generate(&session_id);
    let now = ferrocart::time::now_unix();
    let session = match ctx
        .store
        .rotate_refresh_token(&session_id, &old_hash, &next.hash, now)
        .await?
    {
        Rotation::Rotated(session) => session,
        Rotation::Reused => {
            return Err(ApiError::unauthorized(
                "refresh_token_reused",
                "this refresh token was already used; the session has been revoked",
            ));
        }
        Rotation::Invalid => return Err(invalid()),
    };
    // The role may have changed since login: read it fresh.
    let user = ctx
        .store
        .get_user(&session.user_id)
        .await?
        .ok_or_else(invalid)?;
    let access_token = ctx
        .tokens
        .issue(&user.user_id, &session_id, user.role, now)
        .map_err(ApiError::internal)?;
    Ok(http::json_response(
        StatusCode::OK,
        &TokenPair {
            access_token,
            token_type: "Bearer",
            expires_in: ctx.tokens.access_ttl_secs,
            refresh_token: next.token,
            refresh_expires_in: session.expires_at.saturating_sub(now),
        },
    ))
}
