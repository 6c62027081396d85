//! How products are shown: the public summary (listings), the public detail, and the admin view.
//! Image URLs are the media base URL (the CDN) plus the variant's object key.

use crate::store::catalog::{ProductImage, ProductItem, ProductStatus};
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
    pub price: i64,
    pub currency: String,
    pub availability: &'static str,
    pub category: String,
    pub brand: String,
    /// The first image's variants, if the product has an image.
    pub image: Option<ImageView>,
}

impl ProductSummary {
    pub fn of(p: &ProductItem, media_base: &str) -> Self {
        Self {
            product_id: p.product_id.to_string(),
            name: p.name.clone(),
            price: p.price,
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
    pub price: i64,
    pub currency: String,
    pub availability: &'static str,
    pub category: String,
    pub brand: String,
    pub images: Vec<ImageView>,
    pub updated_at: String,
}

impl ProductDetail {
    pub fn of(p: &ProductItem, media_base: &str) -> Self {
        Self {
            product_id: p.product_id.to_string(),
            name: p.name.clone(),
            description: p.description.clone(),
            price: p.price,
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
    #[serde(flatten)]
    pub detail: ProductDetail,
    pub status: ProductStatus,
    pub stock_available: i64,
    pub version: u64,
    pub created_at: String,
}

impl AdminProduct {
    pub fn of(p: &ProductItem, media_base: &str) -> Self {
        Self {
            detail: ProductDetail::of(p, media_base),
            status: p.status,
            stock_available: p.stock_available,
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
