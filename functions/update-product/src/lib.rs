//! `PATCH /admin/products/{id}` (admin) `{name?, description?, price?, currency?, weight_grams?,
//! tax_class?, sale_price?, sale_starts_at?, sale_ends_at?, status?}`; `sale_price: null` ends a
//! sale. The product as it would be is checked whole (`validate::sale`: a sale price below the
//! price, a window that starts before it ends) before anything is written. → 200.
//! Applied with an optimistic version check (retried a few times on a concurrent change), so two
//! admins never overwrite each other's fields. Stock and images are never touched by this write.

use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::ids::ProductId;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::catalog::{ProductStatus, TaxClass};
use ferrocart::views::product_view::AdminProduct;
use ferrocart::{ApiError, http, validate};
use lambda_http::http::StatusCode;
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
struct UpdateProductRequest {
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    name: Option<String>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    description: Option<String>,
    #[serde(default, deserialize_with = "ferrocart::http::whole_opt")]
    price: Option<i64>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    currency: Option<String>,
    #[serde(default, deserialize_with = "ferrocart::http::whole_opt")]
    weight_grams: Option<i64>,
    /// `null` ends the sale (and clears its window).
    #[serde(default, deserialize_with = "ferrocart::http::whole_nullable")]
    sale_price: Option<Option<i64>>,
    #[serde(default, deserialize_with = "ferrocart::http::nullable")]
    sale_starts_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "ferrocart::http::nullable")]
    sale_ends_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    tax_class: Option<TaxClass>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    status: Option<ProductStatus>,
}

const ATTEMPTS: usize = 3;

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    require_admin(&principal)?;
    let id = http::path_id(&req, "id", ProductId::parse, "product")?;
    let body: UpdateProductRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    let name = body
        .name
        .as_deref()
        .map(validate::product_name)
        .transpose()?;
    let description = body
        .description
        .as_deref()
        .map(validate::description)
        .transpose()?;
    let price = body.price.map(validate::price).transpose()?;
    let currency = body
        .currency
        .as_deref()
        .map(validate::currency)
        .transpose()?;
    let weight = body.weight_grams.map(validate::weight_grams).transpose()?;
    let when = |v: &Option<Option<String>>, field| -> Result<Option<Option<u64>>, ApiError> {
        v.as_ref()
            .map(|o| {
                o.as_deref()
                    .map(|s| validate::timestamp(s, field))
                    .transpose()
            })
            .transpose()
    };
    let sale_starts_at = when(&body.sale_starts_at, "sale_starts_at")?;
    let sale_ends_at = when(&body.sale_ends_at, "sale_ends_at")?;
    let sale_changed =
        body.sale_price.is_some() || sale_starts_at.is_some() || sale_ends_at.is_some();
    if name.is_none()
        && description.is_none()
        && price.is_none()
        && currency.is_none()
        && body.status.is_none()
        && weight.is_none()
        && !sale_changed
        && body.tax_class.is_none()
    {
        return Err(ApiError::Validation {
            code: "empty_patch",
            message: "give at least one of name, description, price, currency, weight_grams, tax_class, sale_price, sale_starts_at, sale_ends_at, status".into(),
            field: None,
        });
    }
    for _ in 0..ATTEMPTS {
        let mut product = ctx
            .store
            .get_product(&id, true)
            .await?
            .ok_or(ApiError::NotFound("product"))?;
        let expected = product.version;
        if let Some(v) = &name {
            product.name = v.clone();
        }
        if let Some(v) = &description {
            product.description = v.clone();
        }
        if let Some(v) = price {
            product.price = v;
        }
        if let Some(v) = &currency {
            product.currency = v.clone();
        }
        if let Some(v) = body.status {
            product.status = v;
        }
        if let Some(v) = weight {
            product.weight_grams = v;
        }
        if let Some(v) = body.tax_class {
            product.tax_class = v;
        }
        if let Some(v) = body.sale_price {
            product.sale_price = v;
            if v.is_none() {
                // Ending the sale ends its window (unless this request sets one: refused below).
                product.sale_starts_at = None;
                product.sale_ends_at = None;
            }
        }
        if let Some(v) = sale_starts_at {
            product.sale_starts_at = v;
        }
        if let Some(v) = sale_ends_at {
            product.sale_ends_at = v;
        }
        validate::sale(&product.pricing())?;
        product.updated_at = ferrocart::time::rfc3339(ferrocart::time::now_unix());
        if ctx.store.update_product(&product, expected).await? {
            product.version = expected + 1;
            tracing::info!(product_id = %id, admin = %principal.user_id, "product updated");
            return Ok(http::json_response(
                StatusCode::OK,
                &AdminProduct::of(&product, &ctx.media_base_url),
            ));
        }
    }
    Err(ApiError::conflict(
        "concurrent_update",
        "the product is being changed by someone else; try again",
    ))
}
