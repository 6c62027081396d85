//! `POST /cart/items` `{product_id, quantity}` (customer) → 200 the cart. Adds to the product's
//! line if it has one. Unknown or inactive products are refused; a line holds at most 20 units and
//! a cart at most 25 lines (so checkout fits one transaction), both enforced by the write itself.

use super::cart_view;
use crate::auth::authenticate;
use crate::ids::ProductId;
use crate::store::cart::{AddToCart, MAX_LINES, MAX_QUANTITY};
use crate::store::catalog::ProductStatus;
use crate::{ApiError, AppContext, http};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddRequest {
    product_id: String,
    quantity: i64,
}

pub async fn handle(ctx: &AppContext, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(ctx, &req).await?;
    let body: AddRequest = http::parse_json(&req, ctx.config.max_body_bytes)?;
    let product_id = ProductId::parse(&body.product_id).ok_or_else(|| {
        ApiError::validation(
            "invalid_product_id",
            "product_id",
            "product_id is not a product id",
        )
    })?;
    let quantity = cart_view::quantity(body.quantity)?;
    let product = ctx
        .store
        .get_product(&product_id, false)
        .await?
        .ok_or_else(|| ApiError::validation("unknown_product", "product_id", "no such product"))?;
    if product.status != ProductStatus::Active {
        return Err(ApiError::validation(
            "product_unavailable",
            "product_id",
            "this product is not for sale",
        ));
    }
    let outcome = ctx
        .store
        .add_to_cart(
            &principal.user_id,
            &product_id,
            quantity,
            &product.currency,
            crate::time::now_unix(),
        )
        .await?;
    match outcome {
        AddToCart::Added(cart) => cart_view::respond(ctx, &principal, Some(cart)).await,
        AddToCart::QuantityTooLarge { current } => Err(ApiError::validation(
            "quantity_limit",
            "quantity",
            format!(
                "the cart already holds {current}; at most {MAX_QUANTITY} of a product per order"
            ),
        )),
        AddToCart::CartFull => Err(ApiError::conflict(
            "cart_full",
            format!("a cart holds at most {MAX_LINES} different products"),
        )),
        AddToCart::CurrencyMismatch { cart } => Err(ApiError::conflict(
            "currency_mismatch",
            format!(
                "the cart is in {cart}; this product is priced in {}",
                product.currency
            ),
        )),
    }
}
