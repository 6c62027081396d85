//! `POST /admin/products` (admin) → 201 the product. Category and brand must exist (checked in the
//! same transaction as the write). Prices are integers in minor units.

use super::product_view::AdminProduct;
use crate::auth::{authenticate, require_admin};
use crate::ids::ProductId;
use crate::store::catalog::{CreateProduct, NewProduct, ProductItem, ProductStatus};
use crate::{ApiError, AppContext, http, validate};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateProductRequest {
    name: String,
    #[serde(default)]
    description: String,
    category: String,
    brand: String,
    price: i64,
    currency: String,
    #[serde(default)]
    status: Option<ProductStatus>,
}

pub async fn handle(ctx: &AppContext, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(ctx, &req).await?;
    require_admin(&principal)?;
    let body: CreateProductRequest = http::parse_json(&req, ctx.config.max_body_bytes)?;
    let new = NewProduct {
        name: validate::product_name(&body.name)?,
        description: validate::description(&body.description)?,
        category: validate::slug(&body.category, "category")?,
        brand: validate::slug(&body.brand, "brand")?,
        price: validate::price(body.price)?,
        currency: validate::currency(&body.currency)?,
        status: body.status.unwrap_or(ProductStatus::Draft),
    };
    let product = ProductItem::new(ProductId::generate(), new, crate::time::now_unix());
    match ctx.store.create_product(&product).await? {
        CreateProduct::Created => {}
        CreateProduct::UnknownCategory => {
            return Err(ApiError::validation(
                "unknown_category",
                "category",
                "no such category",
            ));
        }
        CreateProduct::UnknownBrand => {
            return Err(ApiError::validation(
                "unknown_brand",
                "brand",
                "no such brand",
            ));
        }
        CreateProduct::Exists => {
            return Err(ApiError::internal("generated product id already exists"));
        }
    }
    tracing::info!(product_id = %product.product_id, admin = %principal.user_id, "product created");
    let mut r = http::json_response(
        StatusCode::CREATED,
        &AdminProduct::of(&product, &ctx.config.media_base_url),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("/products/{}", product.product_id)) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}
