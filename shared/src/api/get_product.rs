//! `GET /products/{id}` → 200 the product's details, image variants and availability (public,
//! cacheable). 404 for an unknown id and for products that are not active.

use super::list_products::CACHE_CONTROL;
use super::product_view::ProductDetail;
use crate::ids::ProductId;
use crate::store::catalog::ProductStatus;
use crate::{ApiError, AppContext, http};
use lambda_http::{Body, Request, Response};

pub async fn handle(ctx: &AppContext, req: Request) -> Result<Response<Body>, ApiError> {
    http::query_params(&req, &[])?;
    let id = http::path_id(&req, "id", ProductId::parse, "product")?;
    let product = ctx
        .store
        .get_product(&id, false)
        .await?
        .filter(|p| p.status == ProductStatus::Active)
        .ok_or(ApiError::NotFound("product"))?;
    Ok(http::cacheable_json(
        &req,
        &ProductDetail::of(&product, &ctx.config.media_base_url),
        CACHE_CONTROL,
    ))
}
