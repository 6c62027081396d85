//! `GET /products/{id}` → 200 the product's details, image variants and availability (public,
//! cacheable). 404 for an unknown id and for products that are not active.

use ferrocart::ids::ProductId;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::views::product_view::CACHE_CONTROL;
use ferrocart::views::product_view::ProductDetail;
use ferrocart::{ApiError, http};
use lambda_http::{Body, Request, Response};

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

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    http::query_params(&req, &[])?;
    let id = http::path_id(&req, "id", ProductId::parse, "product")?;
    let product = ctx
        .store
        .get_active_product(&id)
        .await?
        .ok_or(ApiError::NotFound("product"))?;
    Ok(http::cacheable_json(
        &req,
        &ProductDetail::of(&product, &ctx.media_base_url),
        CACHE_CONTROL,
    ))
}
