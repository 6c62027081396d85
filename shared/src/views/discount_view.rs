//! A discount code as the admin routes answer it (`PUT /admin/discounts/{code}`,
//! `GET /admin/discounts`).

use crate::selling::discount::Saving;
use crate::store::discounts::DiscountItem;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct AdminDiscount {
    pub code: String,
    pub saving: Saving,
    pub currency: Option<String>,
    pub min_subtotal: Option<i64>,
    /// RFC 3339; the code applies from `starts_at` until before `ends_at`.
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub max_uses: Option<u32>,
    pub max_uses_per_customer: Option<u32>,
    pub product_ids: Vec<String>,
    pub categories: Vec<String>,
    pub active: bool,
    /// Orders placed with it so far (an unpaid order that lapsed gave its use back).
    pub uses: u32,
    /// What the next `PUT` must name to change it.
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<DiscountItem> for AdminDiscount {
    fn from(d: DiscountItem) -> Self {
        let r = d.rules;
        Self {
            code: d.code,
            saving: r.saving,
            currency: r.currency,
            min_subtotal: r.min_subtotal,
            starts_at: r.starts_at.map(crate::time::rfc3339),
            ends_at: r.ends_at.map(crate::time::rfc3339),
            max_uses: r.max_uses,
            max_uses_per_customer: r.max_uses_per_customer,
            product_ids: r.product_ids,
            categories: r.categories,
            active: r.active,
            uses: d.uses,
            version: d.version,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}
