//! `GET /admin/selling` (admin) → 200 `{shipping: {zones, version}, tax: {prices_include_tax,
//! version}}`: the shop's shipping zones and options and its tax settings as stored, each with
//! the version a `PUT /admin/shipping` or `PUT /admin/tax` must name to replace it (0: never
//! written).

use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::selling::shipping::Zone;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
        })
    }
}

#[derive(Serialize)]
struct Shipping {
    zones: Vec<Zone>,
    version: u64,
}

#[derive(Serialize)]
struct Tax {
    prices_include_tax: bool,
    version: u64,
}

#[derive(Serialize)]
struct Settings {
    shipping: Shipping,
    tax: Tax,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    require_admin(&principal)?;
    let (config, shipping_version, tax_version) = ctx.store.selling_config().await?;
    Ok(http::json_response(
        StatusCode::OK,
        &Settings {
            shipping: Shipping {
                zones: config.shipping.zones,
                version: shipping_version,
            },
            tax: Tax {
                prices_include_tax: config.tax.prices_include_tax,
                version: tax_version,
            },
        },
    ))
}
