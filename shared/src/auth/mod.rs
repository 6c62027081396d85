//! Identity: password hashing, access tokens, refresh tokens, and the authenticated caller.

pub mod cart_caller;
pub mod order_link;
pub mod password;
pub mod principal;
pub mod refresh;
pub mod token;

pub use cart_caller::{CART_TOKEN_HEADER, CartCaller, cart_caller};
pub use order_link::{ORDER_TOKEN_HEADER, OrderLinks};
pub use principal::{Principal, authenticate, require_admin};
pub use token::{Role, TokenService};

/// The token pair answered by login and refresh.
#[derive(Debug, serde::Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub refresh_token: String,
    pub refresh_expires_in: u64,
}
