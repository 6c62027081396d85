//! `POST /admin/products` (admin) → 201 the product (`weight_grams` defaults to 0, `tax_class` to
//! `standard`). A sale: `sale_price` (below `price`) with an optional window `sale_starts_at` /
//! `sale_ends_at` (RFC 3339; the sale applies from the start until before the end). Category and brand must exist (checked in the
//! same transaction as the write). Prices are integers in minor units.

use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::ids::ProductId;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::catalog::{CreateProduct, NewProduct, ProductItem, ProductStatus, TaxClass};
use ferrocart::views::product_view::AdminProduct;
use ferrocart::{ApiError, http, validate};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
    pub max_body_bytes: usize,
    pub media_base_url: String,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
            max_body_bytes: startup.max_body_bytes()?,
            media_base_url: startup.media_base_url(),
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateProductRequest {
    name: String,
    #[serde(default)]
    description: String,
    category: String,
    brand: String,
    #[serde(deserialize_with = "ferrocart::http::whole")]
    price: i64,
    currency: String,
    #[serde(default, deserialize_with = "ferrocart::http::whole_opt")]
    weight_grams: Option<i64>,
    #[serde(default, deserialize_with = "ferrocart::http::whole_opt")]
    sale_price: Option<i64>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    sale_starts_at: Option<String>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    sale_ends_at: Option<String>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    tax_class: Option<TaxClass>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    status: Option<ProductStatus>,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    require_admin(&principal)?;
    let body: CreateProductRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    let new = NewProduct {
        name: validate::product_name(&body.name)?,
        description: validate::description(&body.description)?,
        category: validate::slug(&body.category, "category")?,
        brand: validate::slug(&body.brand, "brand")?,
        price: validate::price(body.price)?,
        currency: validate::currency(&body.currency)?,
        weight_grams: validate::weight_grams(body.weight_grams.unwrap_or(0))?,
        tax_class: body.tax_class.unwrap_or_default(),
        status: body.status.unwrap_or(ProductStatus::Draft),
    };
    let mut product = ProductItem::new(ProductId::generate(), new, ferrocart::time::now_unix());
    product.sale_price = body.sale_price;
    product.sale_starts_at = body
        .sale_starts_at
        .as_deref()
        .map(|s| validate::timestamp(s, "sale_starts_at"))
        .transpose()?;
    product.sale_ends_at = body
        .sale_ends_at
        .as_deref()
        .map(|s| validate::timestamp(s, "sale_ends_at"))
        .transpose()?;
    validate::sale(&product.pricing())?;
    match ctx.store.create_product(&product).await? {
        CreateProduct::Created => {}
        CreateProduct::UnknownCategory => {
            return Err(ApiError::unprocessable(
                "unknown_category",
                "category",
                "no such category",
            ));
        }
        CreateProduct::UnknownBrand => {
            return Err(ApiError::unprocessable(
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
        &AdminProduct::of(&product, &ctx.media_base_url),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("/products/{}", product.product_id)) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}
