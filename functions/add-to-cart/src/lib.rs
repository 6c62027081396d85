//! `POST /cart/items` `{product_id, quantity}` (customer) → 200 the cart. Adds to the product's
//! line if it has one. Unknown or inactive products are refused; a line holds at most 20 units and
//! a cart at most 25 lines (so checkout fits one transaction), both enforced by the write itself.

use ferrocart::auth::{TokenService, authenticate};
use ferrocart::ids::ProductId;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::cart::{AddToCart, MAX_LINES, MAX_QUANTITY};
use ferrocart::store::catalog::ProductStatus;
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
struct AddRequest {
    product_id: String,
    #[serde(deserialize_with = "ferrocart::http::whole")]
    quantity: i64,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    let body: AddRequest = http::parse_json(&req, ctx.max_body_bytes)?;
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
        .ok_or_else(|| {
            ApiError::unprocessable("unknown_product", "product_id", "no such product")
        })?;
    if product.status != ProductStatus::Active {
        return Err(ApiError::unprocessable(
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
            ferrocart::time::now_unix(),
        )
        .await?;
    match outcome {
        AddToCart::Added(cart) => cart_view::respond(&ctx.store, &principal, Some(cart)).await,
        AddToCart::QuantityTooLarge { current } => Err(ApiError::conflict(
            "quantity_limit",
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
