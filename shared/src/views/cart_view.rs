//! What every cart endpoint answers: the caller's lines with current prices from the table,
//! line totals, the subtotal, and which lines are short of stock or no longer for sale.

use super::product_view::availability;
use crate::auth::{CART_TOKEN_HEADER, CartCaller};
use crate::selling::SellingConfig;
use crate::selling::quote::{Quote, QuoteLine, quote};
use crate::store::Store;
use crate::store::cart::{Cart, MAX_LINES, MAX_QUANTITY};
use crate::store::catalog::{ProductItem, ProductStatus};
use crate::store::orders::{PricedLine, ShippingChoice};
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
    /// With `?country=` (`GET /cart`): what each shipping option to there would cost, with the
    /// tax and the order's total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_estimate: Option<ShippingEstimate>,
}

#[derive(Debug, Serialize)]
pub struct ShippingEstimate {
    pub country: String,
    /// Prices include tax (then `total` = subtotal + shipping).
    pub tax_included: bool,
    /// Empty when the shop does not ship the cart there (no zone, no rate in the cart's
    /// currency, or heavier than every option's bands).
    pub options: Vec<EstimatedOption>,
}

#[derive(Debug, Serialize)]
pub struct EstimatedOption {
    pub option_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_days: Option<[u8; 2]>,
    pub amount: i64,
    /// `amount` is 0 because the subtotal reached the option's free-shipping threshold.
    pub free: bool,
    pub tax_total: i64,
    pub total: i64,
}

/// Why an order cannot be priced for shipping.
#[derive(Debug, PartialEq, Eq)]
pub enum ShippingRefusal {
    /// No option ships this cart there.
    NoShipping,
    /// The named option does not (not in the address's zone, no rate in the currency, too heavy).
    UnknownOption,
}

impl From<ShippingRefusal> for ApiError {
    fn from(r: ShippingRefusal) -> Self {
        match r {
            ShippingRefusal::NoShipping => ApiError::unprocessable(
                "no_shipping_to_country",
                "shipping_address",
                "the shop does not ship this cart to that country (GET /shipping-options lists where it does)",
            ),
            ShippingRefusal::UnknownOption => ApiError::unprocessable(
                "unknown_shipping_option",
                "shipping_option_id",
                "no such shipping option for this address and cart (GET /cart?country= lists them)",
            ),
        }
    }
}

/// Prices `lines` for delivery to `country` by `option` (or, when `None`, the cheapest option
/// offered, the first of equals): the lines get their tax, the answer is the quote and the
/// option chosen. Server-side only: nothing of it comes from the client but the option's id.
pub fn quote_order(
    config: &SellingConfig,
    lines: &mut [PricedLine],
    currency: &str,
    country: &str,
    option: Option<&str>,
) -> Result<(Quote, ShippingChoice), ShippingRefusal> {
    let subtotal: i64 = lines.iter().map(PricedLine::line_total).sum();
    let weight: u64 = lines
        .iter()
        .map(|l| u64::from(l.weight_grams) * l.cart_line.quantity.max(0) as u64)
        .sum();
    let offers = config.shipping.offers(country, currency, subtotal, weight);
    let offer = match option {
        Some(id) => offers
            .iter()
            .find(|o| o.option.option_id == id)
            .ok_or(ShippingRefusal::UnknownOption)?,
        None => offers
            .iter()
            .min_by_key(|o| o.amount)
            .ok_or(ShippingRefusal::NoShipping)?,
    };
    let q = quote(
        &lines
            .iter()
            .map(|l| QuoteLine {
                amount: l.line_total(),
                class: l.tax_class,
            })
            .collect::<Vec<_>>(),
        offer.amount,
        country,
        config.tax.prices_include_tax,
    )
    .ok_or(ShippingRefusal::NoShipping)?;
    for (l, t) in lines.iter_mut().zip(&q.lines) {
        l.tax = *t;
    }
    let choice = ShippingChoice {
        option_id: offer.option.option_id.clone(),
        name: offer.option.name.clone(),
        delivery_days: offer.option.delivery_days,
    };
    Ok((q, choice))
}

/// The estimate for `country` of a cart whose purchasable lines are `lines`.
pub fn estimate(
    config: &SellingConfig,
    lines: &[PricedLine],
    currency: &str,
    country: &str,
) -> ShippingEstimate {
    let subtotal: i64 = lines.iter().map(PricedLine::line_total).sum();
    let weight: u64 = lines
        .iter()
        .map(|l| u64::from(l.weight_grams) * l.cart_line.quantity.max(0) as u64)
        .sum();
    let options = config
        .shipping
        .offers(country, currency, subtotal, weight)
        .iter()
        .filter_map(|o| {
            let mut lines = lines.to_vec();
            let (q, _) = quote_order(
                config,
                &mut lines,
                currency,
                country,
                Some(&o.option.option_id),
            )
            .ok()?;
            Some(EstimatedOption {
                option_id: o.option.option_id.clone(),
                name: o.option.name.clone(),
                delivery_days: o.option.delivery_days,
                amount: o.amount,
                free: o.amount == 0 && o.rate.free_from().is_some_and(|f| subtotal >= f),
                tax_total: q.tax_total,
                total: q.total,
            })
        })
        .collect();
    ShippingEstimate {
        country: country.to_string(),
        tax_included: config.tax.prices_include_tax,
        options,
    }
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
    price_for(store, cart, None).await
}

/// As [`price`], with the shipping estimate for a country (one more Query, the configuration).
pub async fn price_for(
    store: &Store,
    cart: Cart,
    country: Option<&str>,
) -> Result<CartView, ApiError> {
    let products = products(store, &cart).await?;
    let now = crate::time::now_unix();
    let shipping_estimate = match country {
        Some(country) => {
            let (config, _, _) = store.selling_config().await?;
            let purchasable = Cart {
                lines: cart
                    .lines
                    .iter()
                    .filter(|l| {
                        products
                            .get(l.product_id.as_str())
                            .is_some_and(|p| p.status == ProductStatus::Active)
                    })
                    .cloned()
                    .collect(),
                ..cart.clone()
            };
            let currency = purchasable
                .lines
                .first()
                .and_then(|l| products.get(l.product_id.as_str()))
                .map(|p| p.currency.clone());
            Some(
                match (for_checkout(&purchasable, &products, now), currency) {
                    (Ok(priced), Some(currency)) => {
                        estimate(&config, &priced.lines, &currency, country)
                    }
                    // Empty, or mixed currencies: nothing to estimate.
                    _ => ShippingEstimate {
                        country: country.to_string(),
                        tax_included: config.tax.prices_include_tax,
                        options: Vec::new(),
                    },
                },
            )
        }
        None => None,
    };
    let Cart {
        currency, lines, ..
    } = cart;
    let mut subtotal = 0i64;
    let views = lines
        .iter()
        .map(|l| match products.get(l.product_id.as_str()) {
            Some(p) => {
                let purchasable = p.status == ProductStatus::Active;
                let unit_price = p.price_at(now);
                let line_total = unit_price * l.quantity;
                if purchasable {
                    subtotal += line_total;
                }
                CartLineView {
                    product_id: l.product_id.to_string(),
                    name: Some(p.name.clone()),
                    quantity: l.quantity,
                    unit_price: Some(unit_price),
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
        shipping_estimate,
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
    now: u64,
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
                    unit_price: p.price_at(now),
                    pricing: p.pricing(),
                    tax_class: p.tax_class,
                    weight_grams: p.weight_grams,
                    tax: Default::default(),
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
    respond_for(store, caller, cart, None).await
}

/// As [`respond`], with the shipping estimate for `country`.
pub async fn respond_for(
    store: &Store,
    caller: &CartCaller,
    cart: Option<Cart>,
    country: Option<&str>,
) -> Result<Response<Body>, ApiError> {
    let cart = match cart {
        Some(cart) => cart,
        None => store.cart_of(&caller.owner).await?,
    };
    let mut r = http::json_response(StatusCode::OK, &price_for(store, cart, country).await?);
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
