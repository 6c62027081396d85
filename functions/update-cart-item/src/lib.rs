//! `PATCH /cart/items/{product_id}` `{quantity}` (customer) → 200 the cart; 404 if the product is
//! not in the caller's cart.

use ferrocart::auth::{TokenService, cart_caller};
use ferrocart::ids::ProductId;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::views::cart_view;
use ferrocart::{ApiError, http};
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
struct UpdateRequest {
    #[serde(deserialize_with = "ferrocart::http::whole")]
    quantity: i64,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let caller = cart_caller(&ctx.tokens, &ctx.store, &req).await?;
    let product_id = http::path_id(&req, "product_id", ProductId::parse, "cart line")?;
    let body: UpdateRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    let quantity = cart_view::quantity(body.quantity)?;
    // A guest with no cart token has no cart, so no line.
    let caller = caller.ok_or(ApiError::NotFound("cart line"))?;
    let cart = ctx
        .store
        .set_cart_quantity(
            &caller.owner,
            &product_id,
            quantity,
            ferrocart::time::now_unix(),
        )
        .await?
        .ok_or(ApiError::NotFound("cart line"))?;
    cart_view::respond(&ctx.store, &caller, Some(cart)).await
}
