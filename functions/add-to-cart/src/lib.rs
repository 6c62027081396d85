//! `POST /cart/items` `{product_id, quantity}` (customer, or a guest) → 200 the cart. A guest
//! without a live cart token gets a new one in the answer's `X-Cart-Token` (the storefront keeps
//! it and sends it with every cart request, and at login, which merges the cart into the account's). Adds to the product's
//! line if it has one. Unknown or inactive products are refused; a line holds at most 20 units and
//! a cart at most 25 lines (so checkout fits one transaction), both enforced by the write itself.

use ferrocart::auth::{CartCaller, TokenService, cart_caller};
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
    let caller = cart_caller(&ctx.tokens, &ctx.store, &req).await?;
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
    // A guest's cart token must name a live cart; otherwise (none sent, expired, merged into an
    // account) a new cart is started under a new token: the server issues every token.
    let mut caller = match caller {
        Some(c) if c.owner.is_guest() && ctx.store.cart_of(&c.owner).await?.lines.is_empty() => {
            CartCaller::new_guest()
        }
        Some(c) => c,
        None => CartCaller::new_guest(),
    };
    let mut outcome = AddToCart::Closed;
    for _ in 0..2 {
        outcome = ctx
            .store
            .add_to_cart(
                &caller.owner,
                &product_id,
                quantity,
                &product.currency,
                ferrocart::time::now_unix(),
            )
            .await?;
        if outcome != AddToCart::Closed {
            break;
        }
        // The guest cart expired or was merged this very moment: a new one.
        caller = CartCaller::new_guest();
    }
    match outcome {
        AddToCart::Added(cart) => cart_view::respond(&ctx.store, &caller, Some(cart)).await,
        AddToCart::Closed => Err(ApiError::conflict(
            "cart_changed",
            "the cart closed while this was added; add it again",
        )),
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
