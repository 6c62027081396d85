//! `GET /cart` (customer) → 200 the caller's cart with current prices, subtotal and stock flags.

use ferrocart::auth::{TokenService, authenticate};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::views::cart_view;
use ferrocart::{ApiError, http};
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
    cart_view::respond(&ctx.store, &principal, None).await
}
