//! Selling: what an order costs beyond its items' prices. Shipping zones and options
//! ([`shipping`]), tax classes, rates and the inclusive/exclusive setting ([`tax`]), and the
//! quote that adds it all up exactly ([`quote`]). Pure: the store keeps the configuration
//! (`store::selling`), checkout and the cart use it. Rules and rounding: docs/selling.md.

pub mod discount;
pub mod quote;
pub mod shipping;
pub mod tax;

use serde::{Deserialize, Serialize};

/// The shop's selling configuration as stored (one Query reads both items).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellingConfig {
    pub shipping: shipping::ShippingConfig,
    pub tax: tax::TaxSettings,
}
