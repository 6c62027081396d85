//! What every cart endpoint answers: the caller's lines with current prices from the table,
//! line totals, the subtotal, and which lines are short of stock or no longer for sale.

use super::product_view::availability;
use crate::auth::{CART_TOKEN_HEADER, CartCaller};
use crate::store::Store;
use crate::store::cart::{Cart, MAX_LINES, MAX_QUANTITY};
use crate::store::catalog::{ProductItem, ProductStatus};
use crate::store::orders::PricedLine;
use crate::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Serialize)]
pub struct CartLineView {
    pub product_id: String,
    pub name: Option<String>,
    pub quantity: i64,
    /// Current unit price in minor units (`null` if the product is gone).
    pub unit_price: Option<i64>,
    pub currency: Option<String>,
    pub line_total: Option<i64>,
    pub availability: &'static str,
    /// False when the product was deleted or is no longer active; such lines cannot be bought.
    pub purchasable: bool,
    /// True when fewer units are available than this line asks for.
    pub short_of_stock: bool,
}

#[derive(Debug, Serialize)]
pub struct CartView {
    pub lines: Vec<CartLineView>,
    pub line_count: usize,
    /// Sum of the purchasable lines, in minor units of `currency`.
    pub subtotal: i64,
    pub currency: Option<String>,
    pub max_lines: usize,
    pub max_quantity_per_line: i64,
}

/// The cart's products as the table has them now, by id (one BatchGetItem): what both the cart
/// view and checkout price from.
pub async fn products(
    store: &Store,
    cart: &Cart,
) -> Result<HashMap<String, ProductItem>, ApiError> {
    let ids: Vec<_> = cart.lines.iter().map(|l| l.product_id.clone()).collect();
    Ok(store
        .batch_get_products(&ids)
        .await?
        .into_iter()
        .map(|p| (p.product_id.to_string(), p))
        .collect())
}

/// Prices a cart from the table (one BatchGetItem).
pub async fn price(store: &Store, cart: Cart) -> Result<CartView, ApiError> {
    let products = products(store, &cart).await?;
    let Cart {
        currency, lines, ..
    } = cart;
    let mut subtotal = 0i64;
    let views = lines
        .iter()
        .map(|l| match products.get(l.product_id.as_str()) {
            Some(p) => {
                let purchasable = p.status == ProductStatus::Active;
                let line_total = p.price * l.quantity;
                if purchasable {
                    subtotal += line_total;
                }
                CartLineView {
                    product_id: l.product_id.to_string(),
                    name: Some(p.name.clone()),
                    quantity: l.quantity,
                    unit_price: Some(p.price),
                    currency: Some(p.currency.clone()),
                    line_total: Some(line_total),
                    availability: if purchasable {
                        availability(p.stock_available)
                    } else {
                        "unavailable"
                    },
                    purchasable,
                    short_of_stock: purchasable && p.stock_available < l.quantity,
                }
            }
            None => CartLineView {
                product_id: l.product_id.to_string(),
                name: None,
                quantity: l.quantity,
                unit_price: None,
                currency: None,
                line_total: None,
                availability: "unavailable",
                purchasable: false,
                short_of_stock: false,
            },
        })
        .collect::<Vec<_>>();
    Ok(CartView {
        line_count: views.len(),
        lines: views,
        subtotal,
        currency: if lines.is_empty() { None } else { currency },
        max_lines: MAX_LINES,
        max_quantity_per_line: MAX_QUANTITY,
    })
}

/// A cart priced to be bought: every line active, one currency, the subtotal in its minor units.
#[derive(Debug, Clone)]
pub struct PricedCart {
    pub lines: Vec<PricedLine>,
    pub currency: String,
    pub subtotal: i64,
}

/// What checkout charges for `cart`: 409 if a line is no longer for sale (naming each) or the
/// lines mix currencies.
pub fn for_checkout(
    cart: &Cart,
    products: &HashMap<String, ProductItem>,
) -> Result<PricedCart, ApiError> {
    let mut lines = Vec::with_capacity(cart.lines.len());
    let mut unavailable = Vec::new();
    let mut currency: Option<String> = None;
    for line in &cart.lines {
        match products.get(line.product_id.as_str()) {
            Some(p) if p.status == ProductStatus::Active => {
                if currency.get_or_insert_with(|| p.currency.clone()) != &p.currency {
                    return Err(ApiError::conflict(
                        "currency_mismatch",
                        "the cart mixes currencies",
                    ));
                }
                lines.push(PricedLine {
                    cart_line: line.clone(),
                    name: p.name.clone(),
                    unit_price: p.price,
                });
            }
            _ => unavailable.push(line.product_id.to_string()),
        }
    }
    if !unavailable.is_empty() {
        return Err(ApiError::conflict(
            "products_unavailable",
            format!(
                "no longer for sale, remove from the cart: {}",
                unavailable.join(", ")
            ),
        ));
    }
    let subtotal = lines
        .iter()
        .try_fold(0i64, |acc, l| {
            l.unit_price
                .checked_mul(l.cart_line.quantity)
                .and_then(|t| acc.checked_add(t))
        })
        .ok_or_else(|| ApiError::internal("order total overflows"))?;
    Ok(PricedCart {
        lines,
        currency: currency.unwrap_or_default(),
        subtotal,
    })
}

/// 200 with the cart priced: the one a write just returned, or (`None`) the caller's as read now.
/// A guest's answer carries its cart token back in `X-Cart-Token`.
pub async fn respond(
    store: &Store,
    caller: &CartCaller,
    cart: Option<Cart>,
) -> Result<Response<Body>, ApiError> {
    let cart = match cart {
        Some(cart) => cart,
        None => store.cart_of(&caller.owner).await?,
    };
    let mut r = http::json_response(StatusCode::OK, &price(store, cart).await?);
    if let Some(token) = &caller.token
        && let Ok(v) = token.parse()
    {
        r.headers_mut().insert(CART_TOKEN_HEADER, v);
    }
    Ok(r)
}

/// 400 unless 1 ≤ quantity ≤ [`MAX_QUANTITY`].
pub fn quantity(q: i64) -> Result<i64, ApiError> {
    if (1..=MAX_QUANTITY).contains(&q) {
        Ok(q)
    } else {
        Err(ApiError::validation(
            "invalid_quantity",
            "quantity",
            format!("quantity must be a whole number from 1 to {MAX_QUANTITY}"),
        ))
    }
}
