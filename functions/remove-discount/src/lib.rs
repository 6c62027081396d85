//! `DELETE /cart/discount` (customer or guest cart) → 200 the cart without its discount code
//! (also when it had none, or there is no cart yet: the answer is the same either way).

use ferrocart::auth::{TokenService, cart_caller};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
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
    let Some(caller) = cart_caller(&ctx.tokens, &ctx.store, &req).await? else {
        // A guest with no cart token: an empty cart, with no code.
        let empty = cart_view::price(&ctx.store, Default::default()).await?;
        return Ok(http::json_response(StatusCode::OK, &empty));
    };
    let cart = ctx.store.set_cart_discount(&caller.owner, None).await?;
    cart_view::respond(&ctx.store, &caller, cart).await
}
