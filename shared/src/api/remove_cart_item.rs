//! `DELETE /cart/items/{product_id}` (customer) → 200 the cart; 404 if the product is not in the
//! caller's cart.

use super::cart_view;
use crate::auth::authenticate;
use crate::ids::ProductId;
use crate::{ApiError, AppContext, http};
use lambda_http::{Body, Request, Response};

pub async fn handle(ctx: &AppContext, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(ctx, &req).await?;
    let product_id = http::path_id(&req, "product_id", ProductId::parse, "cart line")?;
    let cart = ctx
        .store
        .remove_from_cart(&principal.user_id, &product_id)
        .await?
        .ok_or(ApiError::NotFound("cart line"))?;
    cart_view::respond(ctx, &principal, Some(cart)).await
}
