//! What every cart endpoint answers: the caller's lines with current prices from the table,
//! line totals, the subtotal, and which lines are short of stock or no longer for sale.

use super::product_view::availability;
use crate::auth::{CART_TOKEN_HEADER, CartCaller};
use crate::selling::SellingConfig;
use crate::selling::discount::{DiscountLine, Refusal, Saving};
use crate::selling::quote::{Quote, QuoteLine, quote};
use crate::store::Store;
use crate::store::cart::{Cart, MAX_LINES, MAX_QUANTITY};
use crate::store::catalog::{ProductItem, ProductStatus};
use crate::store::discounts::DiscountItem;
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
    /// What the applied discount code takes off (0 without one, or while it does not apply).
    pub discount_total: i64,
    /// `subtotal − discount_total`: the goods before shipping (and, when prices exclude it, tax).
    pub total_before_shipping: i64,
    pub currency: Option<String>,
    pub max_lines: usize,
    pub max_quantity_per_line: i64,
    /// The discount code applied (`POST /cart/discount`), and whether it applies now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<CartDiscountView>,
    /// With `?country=` (`GET /cart`): what each shipping option to there would cost, with the
    /// tax and the order's total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_estimate: Option<ShippingEstimate>,
}

#[derive(Debug, Serialize)]
pub struct CartDiscountView {
    pub code: String,
    /// What it takes off (`null` for a code that no longer exists).
    pub saving: Option<Saving>,
    /// It applies to the cart now; checkout refuses the cart while it does not.
    pub applies: bool,
    pub amount: i64,
    /// Why it does not apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<DiscountProblem>,
}

#[derive(Debug, Serialize)]
pub struct DiscountProblem {
    pub code: &'static str,
    pub message: String,
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

/// What the goods cost after the discount (what a free-shipping threshold is measured against)
/// and what they weigh.
fn goods(lines: &[PricedLine]) -> (i64, u64) {
    let paid = lines.iter().map(PricedLine::amount).sum();
    let weight = lines
        .iter()
        .map(|l| u64::from(l.weight_grams) * l.cart_line.quantity.max(0) as u64)
        .sum();
    (paid, weight)
}

/// The lines (with their discount shares) and `shipping` added up for `country`.
fn quote_lines(
    config: &SellingConfig,
    lines: &[PricedLine],
    country: &str,
    shipping: i64,
) -> Option<Quote> {
    let lines: Vec<QuoteLine> = lines
        .iter()
        .map(|l| QuoteLine {
            amount: l.line_total(),
            discount: l.discount,
            class: l.tax_class,
        })
        .collect();
    quote(&lines, shipping, country, config.tax.prices_include_tax)
}

/// Prices `lines` (their discount shares applied, [`apply_discount`]) for delivery to `country`
/// by `option` (or, when `None`, the cheapest option offered, the first of equals): the lines get
/// their tax, the answer is the quote and the option chosen. Server-side only: nothing of it
/// comes from the client but the option's id.
pub fn quote_order(
    config: &SellingConfig,
    lines: &mut [PricedLine],
    currency: &str,
    country: &str,
    option: Option<&str>,
) -> Result<(Quote, ShippingChoice), ShippingRefusal> {
    let (paid, weight) = goods(lines);
    let offers = config.shipping.offers(country, currency, paid, weight);
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
    let q = quote_lines(config, lines, country, offer.amount).ok_or(ShippingRefusal::NoShipping)?;
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

/// The estimate for `country` of a cart whose purchasable lines are `lines` (discount applied).
pub fn estimate(
    config: &SellingConfig,
    lines: &[PricedLine],
    currency: &str,
    country: &str,
) -> ShippingEstimate {
    let (paid, weight) = goods(lines);
    let options = config
        .shipping
        .offers(country, currency, paid, weight)
        .iter()
        .filter_map(|o| {
            let q = quote_lines(config, lines, country, o.amount)?;
            Some(EstimatedOption {
                option_id: o.option.option_id.clone(),
                name: o.option.name.clone(),
                delivery_days: o.option.delivery_days,
                amount: o.amount,
                free: o.amount == 0 && o.rate.free_from().is_some_and(|f| paid >= f),
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

/// Applies `discount` (as read) to `lines`, a cart in `currency`, at `now`: each line gets its
/// share, the answer is what it takes off in all. The code's count of uses so far refuses one
/// used up; the per-customer limit is checked by whoever knows the customer.
pub fn apply_discount(
    discount: &DiscountItem,
    lines: &mut [PricedLine],
    currency: &str,
    now: u64,
) -> Result<i64, Refusal> {
    let seen: Vec<DiscountLine<'_>> = lines
        .iter()
        .map(|l| DiscountLine {
            amount: l.line_total(),
            product_id: l.cart_line.product_id.as_str(),
            category: &l.category,
        })
        .collect();
    let applied = discount.rules.apply(now, currency, discount.uses, &seen)?;
    for (l, share) in lines.iter_mut().zip(applied.shares) {
        l.discount = share;
    }
    Ok(applied.amount)
}

/// A refused code as an answer: 422 where the shopper names it (`POST /cart/discount`), 409 at
/// checkout (the cart's code no longer applies: remove it or change the cart).
pub fn discount_refused(r: Refusal, at_checkout: bool) -> ApiError {
    if at_checkout {
        ApiError::conflict(
            r.code(),
            format!(
                "{} (DELETE /cart/discount to check out without it)",
                r.message()
            ),
        )
    } else {
        ApiError::unprocessable(r.code(), "code", r.message())
    }
}

/// 422/409 `unknown_discount`.
pub fn unknown_discount(at_checkout: bool) -> ApiError {
    let message = "no such discount code";
    if at_checkout {
        ApiError::conflict(
            "unknown_discount",
            format!("{message} (DELETE /cart/discount to check out without it)"),
        )
    } else {
        ApiError::unprocessable("unknown_discount", "code", message)
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
    // The lines that can be bought, priced as checkout would (none if the cart is empty or
    // mixes currencies).
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
    let mut priced = for_checkout(&purchasable, &products, now)
        .ok()
        .filter(|p| !p.lines.is_empty());
    let discount = match &cart.discount_code {
        Some(code) => Some(discount_view(store, code, priced.as_mut(), now).await?),
        None => None,
    };
    let shipping_estimate = match country {
        Some(country) => {
            let (config, _, _) = store.selling_config().await?;
            Some(match &priced {
                Some(p) => estimate(&config, &p.lines, &p.currency, country),
                None => ShippingEstimate {
                    country: country.to_string(),
                    tax_included: config.tax.prices_include_tax,
                    options: Vec::new(),
                },
            })
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
    let discount_total = discount.as_ref().map_or(0, |d| d.amount);
    Ok(CartView {
        line_count: views.len(),
        lines: views,
        subtotal,
        discount_total,
        total_before_shipping: subtotal - discount_total,
        currency: if lines.is_empty() { None } else { currency },
        max_lines: MAX_LINES,
        max_quantity_per_line: MAX_QUANTITY,
        discount,
        shipping_estimate,
    })
}

/// The cart's code as it applies to `priced` now (their lines get their shares).
async fn discount_view(
    store: &Store,
    code: &str,
    priced: Option<&mut PricedCart>,
    now: u64,
) -> Result<CartDiscountView, ApiError> {
    let refused = |r: Refusal| (r.code(), r.message());
    let (saving, outcome) = match store.get_discount(code).await? {
        None => (
            None,
            Err(("unknown_discount", "no such discount code".to_string())),
        ),
        Some(d) => (
            Some(d.rules.saving),
            match priced {
                Some(p) => apply_discount(&d, &mut p.lines, &p.currency, now).map_err(refused),
                None => Err(refused(Refusal::NotApplicable)),
            },
        ),
    };
    Ok(match outcome {
        Ok(amount) => CartDiscountView {
            code: code.to_string(),
            saving,
            applies: true,
            amount,
            problem: None,
        },
        Err((code_of, message)) => CartDiscountView {
            code: code.to_string(),
            saving,
            applies: false,
            amount: 0,
            problem: Some(DiscountProblem {
                code: code_of,
                message,
            }),
        },
    })
}

/// A cart priced to be bought: every line active, in one currency.
#[derive(Debug, Clone)]
pub struct PricedCart {
    pub lines: Vec<PricedLine>,
    pub currency: String,
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
                    category: p.category.clone(),
                    discount: 0,
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
    // Capped prices and quantities cannot overflow; refused rather than wrapped if they did.
    lines
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
