//! `GET /products?category=&brand=&limit=&cursor=` → 200 `{items, next_cursor}` (public, cacheable).
//!
//! Only active products. Order: by name (case-folded), ties by id; with `brand` alone, grouped by
//! category first, then by name. One DynamoDB Query per page; `next_cursor` is opaque and is
//! `null` on the last page. Walking every page yields each product exactly once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::catalog::{PageKey, ProductFilter};
use ferrocart::views::product_view::CACHE_CONTROL;
use ferrocart::views::product_view::ProductSummary;
use ferrocart::{ApiError, http, validate};
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub media_base_url: String,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            media_base_url: startup.media_base_url(),
        })
    }
}

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

#[derive(Serialize)]
struct Page {
    items: Vec<ProductSummary>,
    next_cursor: Option<String>,
}

fn encode_cursor(k: &PageKey) -> String {
    B64.encode(serde_json::to_vec(k).unwrap_or_default())
}

fn decode_cursor(s: &str, filter: &ProductFilter) -> Result<PageKey, ApiError> {
    let invalid = || {
        ApiError::unprocessable(
            "invalid_cursor",
            "cursor",
            "cursor is not one this listing returned; start again without it",
        )
    };
    let bytes = B64.decode(s).map_err(|_| invalid())?;
    let key: PageKey = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if !filter.owns(&key) {
        return Err(invalid());
    }
    Ok(key)
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let q = http::query_params(&req, &["category", "brand", "limit", "cursor"])?;
    let limit = http::limit_param(&q, DEFAULT_LIMIT, MAX_LIMIT)?;
    let category = q
        .get("category")
        .map(|c| validate::slug(c, "category"))
        .transpose()?;
    let brand = q
        .get("brand")
        .map(|b| validate::slug(b, "brand"))
        .transpose()?;
    let filter = match (category, brand) {
        (None, None) => ProductFilter::All,
        (Some(c), None) => ProductFilter::Category(c),
        (None, Some(b)) => ProductFilter::Brand(b),
        (Some(category), Some(brand)) => ProductFilter::CategoryAndBrand { category, brand },
    };
    let start = q
        .get("cursor")
        .filter(|c| !c.is_empty()) // an empty cursor is no cursor: the first page
        .map(|c| decode_cursor(c, &filter))
        .transpose()?;
    let page = ctx
        .store
        .list_products(&filter, limit, start.as_ref())
        .await?;
    let body = Page {
        items: page
            .items
            .iter()
            .map(|p| ProductSummary::of(p, &ctx.media_base_url))
            .collect(),
        next_cursor: page.next.as_ref().map(encode_cursor),
    };
    Ok(http::cacheable_json(&req, &body, CACHE_CONTROL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_bound_to_their_listing() {
        let k = PageKey {
            pk: "PRODUCT#x".into(),
            sk: "PRODUCT".into(),
            ipk: "CATEGORY#kitchen".into(),
            isk: "PRODUCT#kettle#x".into(),
        };
        let c = encode_cursor(&k);
        let cat = ProductFilter::Category("kitchen".into());
        assert_eq!(decode_cursor(&c, &cat).unwrap(), k);
        assert!(decode_cursor(&c, &ProductFilter::Category("garden".into())).is_err());
        assert!(decode_cursor(&c, &ProductFilter::All).is_err());
        assert!(decode_cursor("!!!", &cat).is_err());
        assert!(decode_cursor(&B64.encode(b"{}"), &cat).is_err());
        let both = ProductFilter::CategoryAndBrand {
            category: "kitchen".into(),
            brand: "acme".into(),
        };
        let k2 = PageKey {
            ipk: "BRAND#acme".into(),
            isk: "CATEGORY#garden#PRODUCT#hose#x".into(),
            ..k
        };
        assert!(
            decode_cursor(&encode_cursor(&k2), &both).is_err(),
            "other category's key"
        );
    }
}
