//! `PATCH /cart/items/{product_id}` `{quantity}` (customer) → 200 the cart; 404 if the product is
//! not in the caller's cart.

use super::cart_view;
use crate::auth::authenticate;
use crate::ids::ProductId;
use crate::{ApiError, AppContext, http};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateRequest {
    quantity: i64,
}

pub async fn handle(ctx: &AppContext, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(ctx, &req).await?;
    let product_id = http::path_id(&req, "product_id", ProductId::parse, "cart line")?;
    let body: UpdateRequest = http::parse_json(&req, ctx.config.max_body_bytes)?;
    let quantity = cart_view::quantity(body.quantity)?;
    let cart = ctx
        .store
        .set_cart_quantity(
            &principal.user_id,
            &product_id,
            quantity,
            crate::time::now_unix(),
        )
        .await?
        .ok_or(ApiError::NotFound("cart line"))?;
    cart_view::respond(ctx, &principal, Some(cart)).await
}
