//! `DELETE /cart/items/{product_id}` (customer) → 200 the cart; 404 if the product is not in the
//! caller's cart.

use ferrocart::auth::{TokenService, cart_caller};
use ferrocart::ids::ProductId;
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
    let caller = cart_caller(&ctx.tokens, &ctx.store, &req).await?;
    let product_id = http::path_id(&req, "product_id", ProductId::parse, "cart line")?;
    // A guest with no cart token has no cart, so no line.
    let caller = caller.ok_or(ApiError::NotFound("cart line"))?;
    let cart = ctx
        .store
        .remove_from_cart(&caller.owner, &product_id)
        .await?
        .ok_or(ApiError::NotFound("cart line"))?;
    cart_view::respond(&ctx.store, &caller, Some(cart)).await
}
