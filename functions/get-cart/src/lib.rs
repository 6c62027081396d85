//! `GET /cart` (customer, or a guest with `X-Cart-Token`) → 200 the caller's cart with current
//! prices, subtotal and stock flags. A guest with no token (or an expired one) has an empty cart.

use ferrocart::auth::{TokenService, cart_caller};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::cart::Cart;
use ferrocart::views::cart_view;
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
    let caller = cart_caller(&ctx.tokens, &ctx.store, &req).await?;
    http::query_params(&req, &[])?;
    match caller {
        Some(caller) => cart_view::respond(&ctx.store, &caller, None).await,
        // No cart yet: an empty one (a token is issued with the first line).
        None => Ok(http::json_response(
            StatusCode::OK,
            &cart_view::price(&ctx.store, Cart::default()).await?,
        )),
    }
}
