//! `PUT /admin/tax` (admin) `{prices_include_tax, version}` → 200 `{prices_include_tax,
//! version}`: whether the shop's prices (products, shipping, fixed discounts) include tax, if the
//! settings are still at `version` (from `GET /admin/selling`; 0 when never written), else 409
//! `version_conflict`. The rates themselves are the maintained table in the code
//! (`ferrocart::selling::tax`), not a setting. Carts and checkout price by the new setting from
//! their next request.

use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::selling::tax::TaxSettings;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::selling::Saved;
use ferrocart::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
    pub max_body_bytes: usize,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
            max_body_bytes: startup.max_body_bytes()?,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutTax {
    prices_include_tax: bool,
    /// The version read.
    version: u64,
}

#[derive(Serialize)]
struct Stored {
    prices_include_tax: bool,
    version: u64,
}

/// Versions count writes; none gets near this (and one past it cannot overflow).
const MAX_VERSION: u64 = 1 << 53;

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    require_admin(&principal)?;
    let body: PutTax = http::parse_json_whole(&req, ctx.max_body_bytes)?;
    let settings = TaxSettings {
        prices_include_tax: body.prices_include_tax,
    };
    if body.version > MAX_VERSION {
        return Err(ApiError::validation(
            "invalid_value",
            "version",
            format!("version is the one read, 0 to {MAX_VERSION}"),
        ));
    }
    let now = ferrocart::time::now_unix();
    match ctx
        .store
        .put_tax_settings(settings, body.version, now)
        .await?
    {
        Saved::Saved { version } => {
            tracing::info!(admin = %principal.user_id, version, prices_include_tax = body.prices_include_tax, "tax settings replaced");
            Ok(http::json_response(
                StatusCode::OK,
                &Stored {
                    prices_include_tax: body.prices_include_tax,
                    version,
                },
            ))
        }
        Saved::VersionConflict => Err(ApiError::conflict(
            "version_conflict",
            "the tax settings changed since that version was read; read them again (GET /admin/selling)",
        )),
    }
}
