//! `GET /me` (authenticated) → 200 the caller's profile.

use ferrocart::auth::{TokenService, authenticate};
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
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
        })
    }
}

#[derive(Debug, Serialize)]
struct Profile<'a> {
    user_id: &'a str,
    email: &'a str,
    /// Whether a verification link sent to `email` was followed.
    email_verified: bool,
    name: Option<&'a str>,
    phone: Option<&'a str>,
    role: &'a str,
    created_at: &'a str,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    let user = ctx
        .store
        .get_user(&principal.user_id)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    Ok(http::json_response(
        StatusCode::OK,
        &Profile {
            user_id: user.user_id.as_str(),
            email: &user.email,
            email_verified: user.email_verified_at.is_some(),
            name: user.name.as_deref(),
            phone: user.phone.as_deref(),
            role: user.role.as_str(),
            created_at: &user.created_at,
        },
    ))
}
