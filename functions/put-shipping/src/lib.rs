//! `PUT /admin/shipping` (admin) `{zones, version}` → 200 `{zones, version}`: replaces the shop's
//! shipping zones and options (`ferrocart::selling::shipping`: zones of countries, options priced
//! per currency, flat or by weight bands, optionally free from a subtotal) if they are still at
//! `version` (from `GET /admin/selling`; 0 when never written), else 409 `version_conflict`, so
//! two admins editing at once cannot lose each other's change. A body that breaks the schema is
//! 400; one that breaks a rule the stored configuration keeps (a country in two zones, an option
//! id used twice, bands not ascending, a negative amount; `ShippingConfig::check`) is 422
//! `invalid_shipping` naming the field. Nothing is written then. Carts and checkout price by the
//! new configuration from their next request (an eventually consistent read: within a second).

use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::selling::shipping::{ShippingConfig, Zone};
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
struct PutShipping {
    zones: Vec<Zone>,
    /// The version read.
    version: u64,
}

#[derive(Serialize)]
struct Stored {
    zones: Vec<Zone>,
    version: u64,
}

/// Versions count writes; none gets near this (and one past it cannot overflow).
const MAX_VERSION: u64 = 1 << 53;

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    require_admin(&principal)?;
    let body: PutShipping = http::parse_json_whole(&req, ctx.max_body_bytes)?;
    let config = ShippingConfig { zones: body.zones };
    if let Err((field, message)) = config.check() {
        return Err(ApiError::unprocessable("invalid_shipping", &field, message));
    }
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
        .put_shipping_config(&config, body.version, now)
        .await?
    {
        Saved::Saved { version } => {
            tracing::info!(admin = %principal.user_id, version, zones = config.zones.len(), "shipping configuration replaced");
            Ok(http::json_response(
                StatusCode::OK,
                &Stored {
                    zones: config.zones,
                    version,
                },
            ))
        }
        Saved::VersionConflict => Err(ApiError::conflict(
            "version_conflict",
            "the shipping configuration changed since that version was read; read it again (GET /admin/selling)",
        )),
    }
}
