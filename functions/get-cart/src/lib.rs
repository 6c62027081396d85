//! `GET /cart` (customer, or a guest with `X-Cart-Token`) → 200 the caller's cart with current
//! prices, subtotal and stock flags. A guest with no token (or an expired one) has an empty cart.
//! `?country=GB` adds `shipping_estimate`: each shipping option to there, priced for this cart,
//! with the tax and the order's total (what checkout would charge, to the minor unit).

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
    let q = http::query_params(&req, &["country"])?;
    let country = q
        .get("country")
        .map(|c| ferrocart::validate::country_param(c))
        .transpose()?;
    let country = country.as_deref();
    match caller {
        Some(caller) => cart_view::respond_for(&ctx.store, &caller, None, country).await,
        // No cart yet: an empty one (a token is issued with the first line).
        None => Ok(http::json_response(
            StatusCode::OK,
            &cart_view::price_for(&ctx.store, Cart::default(), country).await?,
        )),
    }
}
