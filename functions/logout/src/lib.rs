//! `POST /auth/logout` (authenticated) → 204. The session is revoked: its access tokens stop
//! working at once and its refresh token can no longer be used.

use ferrocart::auth::{TokenService, authenticate};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

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

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    ctx.store
        .revoke_session(&principal.session_id, "logout", ferrocart::time::now_unix())
        .await?;
    tracing::info!(session_id = %principal.session_id, "logged out");
    Ok(http::empty_response(StatusCode::NO_CONTENT))
}
