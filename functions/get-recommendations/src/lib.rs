//! `GET /products/{id}/recommendations` → 200 up to 10 products to show beside an active product,
//! best first, each as a listing card with today's price and availability and `why` it is there
//! (`bought_together` or `category_bestseller`), as the recommendations job last computed them.
//! Products archived since are left out. Public and cacheable; 404 for an unknown or inactive
//! product. An empty list until the job has run.

use ferrocart::ids::ProductId;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::catalog::{ProductItem, ProductStatus, RecommendedBecause};
use ferrocart::views::product_view::{CACHE_CONTROL, ProductSummary};
use ferrocart::{ApiError, http};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use std::collections::HashMap;

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

#[derive(Debug, Serialize)]
struct Recommended {
    #[serde(flatten)]
    product: ProductSummary,
    why: RecommendedBecause,
}

#[derive(Debug, Serialize)]
struct Answer {
    product_id: String,
    items: Vec<Recommended>,
    /// When the job computed the list (absent before its first run for this product).
    #[serde(skip_serializing_if = "Option::is_none")]
    computed_at: Option<String>,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    http::query_params(&req, &[])?;
    let id = http::path_id(&req, "id", ProductId::parse, "product")?;
    let product = ctx
        .store
        .get_active_product(&id)
        .await?
        .ok_or(ApiError::NotFound("product"))?;
    let ids: Vec<ProductId> = product
        .recommended
        .iter()
        .map(|r| r.product_id.clone())
        .collect();
    let mut found: HashMap<ProductId, ProductItem> = if ids.is_empty() {
        HashMap::new()
    } else {
        ctx.store
            .batch_get_products(&ids)
            .await?
            .into_iter()
            .filter(|p| p.status == ProductStatus::Active)
            .map(|p| (p.product_id.clone(), p))
            .collect()
    };
    let items = product
        .recommended
        .iter()
        .filter_map(|r| {
            found.remove(&r.product_id).map(|p| Recommended {
                product: ProductSummary::of(&p, &ctx.media_base_url),
                why: r.why,
            })
        })
        .collect();
    Ok(http::cacheable_json(
        &req,
        &Answer {
            product_id: id.to_string(),
            items,
            computed_at: product.recommended_at.clone(),
        },
        CACHE_CONTROL,
    ))
}
