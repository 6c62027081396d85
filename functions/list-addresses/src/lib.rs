//! `GET /me/addresses` (authenticated) → 200 `{addresses, default_address_id, limit}`: the
//! caller's saved addresses, the default shipping address first.

use ferrocart::auth::{TokenService, authenticate};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::views::address_view::BookView;
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
    http::query_params(&req, &[])?;
    let book = ctx.store.address_book(&principal.user_id).await?;
    Ok(http::json_response(StatusCode::OK, &BookView::of(&book)))
}
