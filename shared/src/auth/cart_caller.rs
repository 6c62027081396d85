//! Whose cart a cart route works on: the customer's when the request carries an access token,
//! else the guest cart named by its `X-Cart-Token` header (a token the server issued: 256 random
//! bits, stored only as its SHA-256, living 30 days from the cart's last change).

use crate::auth::{TokenService, authenticate};
use crate::error::ApiError;
use crate::store::Store;
use crate::store::cart::CartOwner;
use crate::store::tokens;
use lambda_http::Request;

/// The header a guest cart's token travels in, both ways.
pub const CART_TOKEN_HEADER: &str = "x-cart-token";

/// The cart a request is about.
#[derive(Debug, Clone)]
pub struct CartCaller {
    pub owner: CartOwner,
    /// A guest's cart token (to send back in the answer's `X-Cart-Token`).
    pub token: Option<String>,
}

impl CartCaller {
    pub fn guest(token: String) -> Self {
        Self {
            owner: CartOwner::Guest {
                token_hash: tokens::hash(&token),
            },
            token: Some(token),
        }
    }

    /// A guest with a freshly issued cart token.
    pub fn new_guest() -> Self {
        Self::guest(tokens::new_secret())
    }
}

/// The request's `X-Cart-Token`: `Ok(None)` if absent, 400 `invalid_cart_token` if it is not
/// shaped like one this API issues.
pub fn cart_token(req: &Request) -> Result<Option<String>, ApiError> {
    let Some(v) = req.headers().get(CART_TOKEN_HEADER) else {
        return Ok(None);
    };
    let t = v.to_str().unwrap_or("").trim();
    if tokens::well_formed(t) {
        Ok(Some(t.to_string()))
    } else {
        Err(ApiError::validation(
            "invalid_cart_token",
            "X-Cart-Token",
            "X-Cart-Token must be a cart token this shop issued",
        ))
    }
}

/// The customer (an `Authorization` header, checked as every authenticated route checks it), else
/// the guest of `X-Cart-Token`, else `None` (a guest with no cart yet). A malformed
/// `X-Cart-Token` is a 400 either way.
pub async fn cart_caller(
    tokens: &TokenService,
    store: &Store,
    req: &Request,
) -> Result<Option<CartCaller>, ApiError> {
    let guest_token = cart_token(req)?;
    if req.headers().contains_key("authorization") {
        let principal = authenticate(tokens, store, req).await?;
        return Ok(Some(CartCaller {
            owner: CartOwner::User(principal.user_id),
            token: None,
        }));
    }
    Ok(guest_token.map(CartCaller::guest))
}
