//! HTTP handlers, one module per function. Each is `handle(&AppContext, Request)`, callable in-process
//! by tests, and returns `Err` only through [`crate::ApiError`], which the runtime maps to a response.

pub mod add_to_cart;
pub mod cart_view;
pub mod checkout;
pub mod create_image_upload;
pub mod create_product;
pub mod get_cart;
pub mod get_order;
pub mod get_product;
pub mod list_categories;
pub mod list_orders;
pub mod list_products;
pub mod login;
pub mod logout;
pub mod me;
pub mod payment_webhook;
pub mod product_view;
pub mod refresh;
pub mod register;
pub mod remove_cart_item;
pub mod set_stock;
pub mod update_cart_item;
pub mod update_product;

use serde::Serialize;

/// The token pair answered by login and refresh.
#[derive(Debug, Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub refresh_token: String,
    pub refresh_expires_in: u64,
}
