//! `POST /cart/discount` `{code}` (customer or guest cart) → 200 the cart priced with the code:
//! its `discount` (`code`, `saving`, `amount`, `applies`) and `discount_total`, the shipping
//! estimates after it. A code is 3-32 of A-Z, a-z, 0-9, `-`, `_` (read in upper case); one that
//! does not exist is 422 `unknown_discount`, one that does not apply to this cart now 422 with
//! why (`discount_inactive`, `discount_not_started`, `discount_expired`,
//! `discount_currency_mismatch`, `discount_not_applicable`, `discount_minimum_not_met`,
//! `discount_used_up`, `discount_limit_reached`), and nothing changes. An empty cart is 409
//! `cart_empty`. A cart has one code: applying another replaces it.
//!
//! The cart keeps the code, not the saving: every read prices it again, and checkout applies it
//! as it then stands, counting the use inside its transaction (`Store::tx_use_discount`).

use ferrocart::auth::{TokenService, cart_caller};
use ferrocart::selling::discount::{Refusal, normalise_code};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::cart::CartOwner;
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
struct ApplyRequest {
    code: String,
}

fn cart_empty() -> ApiError {
    ApiError::conflict(
        "cart_empty",
        "the cart is empty: add what the code is for first",
    )
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let caller = cart_caller(&ctx.tokens, &ctx.store, &req).await?;
    let body: ApplyRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    let code = normalise_code(&body.code).ok_or_else(|| {
        ApiError::validation(
            "invalid_discount_code",
            "code",
            "a discount code is 3-32 characters of A-Z, a-z, 0-9, - and _",
        )
    })?;
    // A guest with no cart token has no cart.
    let caller = caller.ok_or_else(cart_empty)?;
    let cart = ctx.store.cart_of(&caller.owner).await?;
    if cart.lines.is_empty() {
        return Err(cart_empty());
    }
    let discount = ctx
        .store
        .get_discount(&code)
        .await?
        .ok_or_else(|| cart_view::unknown_discount(false))?;
    // It must apply to the cart as it is now (checkout applies it again as it is then).
    let products = cart_view::products(&ctx.store, &cart).await?;
    let now = ferrocart::time::now_unix();
    let mut priced = cart_view::for_checkout(&cart, &products, now)?;
    cart_view::apply_discount(&discount, &mut priced.lines, &priced.currency, now)
        .map_err(|r| cart_view::discount_refused(r, false))?;
    if let (Some(max), CartOwner::User(user)) =
        (discount.rules.max_uses_per_customer, &caller.owner)
        && ctx.store.discount_uses_of(&code, user).await? >= max
    {
        return Err(cart_view::discount_refused(Refusal::CustomerLimit, false));
    }
    let cart = ctx
        .store
        .set_cart_discount(&caller.owner, Some(&code))
        .await?
        .ok_or_else(cart_empty)?;
    tracing::info!(code = %code, "discount code applied to a cart");
    cart_view::respond(&ctx.store, &caller, Some(cart)).await
}
