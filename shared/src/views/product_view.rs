//! How products are shown: the public summary (listings), the public detail, and the admin view.
//! Image URLs are the media base URL (the CDN) plus the variant's object key.

use crate::store::catalog::{ProductImage, ProductItem, ProductStatus, TaxClass};
use serde::Serialize;

/// Public listings and caches say how available a product is, not exactly how many are left.
pub const LOW_STOCK_THRESHOLD: i64 = 5;

/// How long the catalog's public answers may be cached (browsers, then the CDN).
pub const CACHE_CONTROL: &str = "public, max-age=60, s-maxage=300, stale-while-revalidate=300";

pub fn availability(stock_available: i64) -> &'static str {
    match stock_available {
        i64::MIN..=0 => "out_of_stock",
        1..=LOW_STOCK_THRESHOLD => "low_stock",
        _ => "in_stock",
    }
}

#[derive(Debug, Serialize)]
pub struct VariantView {
    pub width: u32,
    pub height: u32,
    pub format: String,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct ImageView {
    pub image_id: String,
    pub variants: Vec<VariantView>,
}

pub fn image_view(img: &ProductImage, media_base: &str) -> ImageView {
    ImageView {
        image_id: img.image_id.to_string(),
        variants: img
            .variants
            .iter()
            .map(|v| VariantView {
                width: v.width,
                height: v.height,
                format: v.format.clone(),
                url: format!("{media_base}/{}", v.key),
            })
            .collect(),
    }
}

#[derive(Debug, Serialize)]
pub struct ProductSummary {
    pub product_id: String,
    pub name: String,
    /// What a unit costs now (the sale price while a sale runs).
    pub price: i64,
    /// While a sale runs: the price it replaces, and when it ends (if it does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regular_price: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sale_ends_at: Option<String>,
    pub currency: String,
    pub availability: &'static str,
    pub category: String,
    pub brand: String,
    /// The first image's variants, if the product has an image.
    pub image: Option<ImageView>,
}

impl ProductSummary {
    pub fn of(p: &ProductItem, media_base: &str) -> Self {
        let now = crate::time::now_unix();
        let sale = p.pricing().on_sale_at(now).then_some(());
        Self {
            product_id: p.product_id.to_string(),
            name: p.name.clone(),
            price: p.price_at(now),
            regular_price: sale.map(|_| p.price),
            sale_ends_at: sale.and(p.sale_ends_at).map(crate::time::rfc3339),
            currency: p.currency.clone(),
            availability: availability(p.stock_available),
            category: p.category.clone(),
            brand: p.brand.clone(),
            image: p.images.values().next().map(|i| image_view(i, media_base)),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ProductDetail {
    pub product_id: String,
    pub name: String,
    pub description: String,
    /// What a unit costs now (the sale price while a sale runs).
    pub price: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regular_price: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sale_ends_at: Option<String>,
    pub currency: String,
    pub availability: &'static str,
    pub category: String,
    pub brand: String,
    pub images: Vec<ImageView>,
    pub updated_at: String,
}

impl ProductDetail {
    pub fn of(p: &ProductItem, media_base: &str) -> Self {
        let now = crate::time::now_unix();
        let sale = p.pricing().on_sale_at(now).then_some(());
        Self {
            product_id: p.product_id.to_string(),
            name: p.name.clone(),
            description: p.description.clone(),
            price: p.price_at(now),
            regular_price: sale.map(|_| p.price),
            sale_ends_at: sale.and(p.sale_ends_at).map(crate::time::rfc3339),
            currency: p.currency.clone(),
            availability: availability(p.stock_available),
            category: p.category.clone(),
            brand: p.brand.clone(),
            images: p
                .images
                .values()
                .map(|i| image_view(i, media_base))
                .collect(),
            updated_at: p.updated_at.clone(),
        }
    }
}

/// What admin endpoints answer: the detail plus status, exact stock and version.
#[derive(Debug, Serialize)]
pub struct AdminProduct {
    /// Its `price` is the regular price; the sale is in the `sale_*` fields.
    #[serde(flatten)]
    pub detail: ProductDetail,
    pub sale_price: Option<i64>,
    pub sale_starts_at: Option<String>,
    pub sale_ends_at: Option<String>,
    /// The sale applies now.
    pub on_sale: bool,
    pub status: ProductStatus,
    pub stock_available: i64,
    pub weight_grams: u32,
    pub tax_class: TaxClass,
    pub version: u64,
    pub created_at: String,
}

impl AdminProduct {
    pub fn of(p: &ProductItem, media_base: &str) -> Self {
        let mut detail = ProductDetail::of(p, media_base);
        detail.price = p.price;
        detail.regular_price = None;
        detail.sale_ends_at = None;
        Self {
            detail,
            sale_price: p.sale_price,
            sale_starts_at: p.sale_starts_at.map(crate::time::rfc3339),
            sale_ends_at: p.sale_ends_at.map(crate::time::rfc3339),
            on_sale: p.pricing().on_sale_at(crate::time::now_unix()),
            status: p.status,
            stock_available: p.stock_available,
            weight_grams: p.weight_grams,
            tax_class: p.tax_class,
            version: p.version,
            created_at: p.created_at.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn availability_bands() {
        assert_eq!(super::availability(-1), "out_of_stock");
        assert_eq!(super::availability(0), "out_of_stock");
        assert_eq!(super::availability(5), "low_stock");
        assert_eq!(super::availability(6), "in_stock");
    }
}
