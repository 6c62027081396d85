//! `PUT /admin/products/{id}/stock` (admin) `{warehouses: [{warehouse_id, quantity}]}` → 200.
//! Sets on-hand quantities in the named warehouses (others are unchanged) and moves the product's
//! available stock by the difference, in one transaction.

use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::ids::ProductId;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::catalog::SetStock;
use ferrocart::{ApiError, http, validate};
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

pub const MAX_WAREHOUSES_PER_REQUEST: usize = 20;
pub const MAX_QUANTITY: i64 = 1_000_000;
const ATTEMPTS: usize = 3;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetStockRequest {
    warehouses: Vec<WarehouseQuantity>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct WarehouseQuantity {
    warehouse_id: String,
    #[serde(deserialize_with = "ferrocart::http::whole")]
    quantity: i64,
}

#[derive(Serialize)]
struct StockView {
    product_id: String,
    stock_available: i64,
    warehouses: Vec<WarehouseQuantity>,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    require_admin(&principal)?;
    let id = http::path_id(&req, "id", ProductId::parse, "product")?;
    let body: SetStockRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    if body.warehouses.is_empty() || body.warehouses.len() > MAX_WAREHOUSES_PER_REQUEST {
        return Err(ApiError::validation(
            "invalid_warehouses",
            "warehouses",
            format!("give 1-{MAX_WAREHOUSES_PER_REQUEST} warehouses"),
        ));
    }
    let mut wanted: Vec<(String, i64)> = Vec::new();
    for (i, w) in body.warehouses.iter().enumerate() {
        let wh = validate::slug(&w.warehouse_id, &format!("warehouses[{i}].warehouse_id"))?;
        if !(0..=MAX_QUANTITY).contains(&w.quantity) {
            return Err(ApiError::validation(
                "invalid_quantity",
                &format!("warehouses[{i}].quantity"),
                format!("quantity must be a whole number from 0 to {MAX_QUANTITY}"),
            ));
        }
        if wanted.iter().any(|(seen, _)| *seen == wh) {
            return Err(ApiError::unprocessable(
                "duplicate_warehouse",
                &format!("warehouses[{i}].warehouse_id"),
                "each warehouse may appear once",
            ));
        }
        wanted.push((wh, w.quantity));
    }
    ctx.store
        .get_product(&id, true)
        .await?
        .ok_or(ApiError::NotFound("product"))?;
    for _ in 0..ATTEMPTS {
        let current = ctx.store.product_stock(&id).await?;
        match ctx
            .store
            .set_stock(&id, &current, &wanted, ferrocart::time::now_unix())
            .await?
        {
            SetStock::Done { delta } => {
                tracing::info!(product_id = %id, delta, admin = %principal.user_id, "stock set");
                let product = ctx
                    .store
                    .get_product(&id, true)
                    .await?
                    .ok_or(ApiError::NotFound("product"))?;
                let mut warehouses: Vec<WarehouseQuantity> = ctx
                    .store
                    .product_stock(&id)
                    .await?
                    .into_iter()
                    .map(|s| WarehouseQuantity {
                        warehouse_id: s.warehouse_id,
                        quantity: s.quantity,
                    })
                    .collect();
                warehouses.sort_by(|a, b| a.warehouse_id.cmp(&b.warehouse_id));
                return Ok(http::json_response(
                    StatusCode::OK,
                    &StockView {
                        product_id: id.to_string(),
                        stock_available: product.stock_available,
                        warehouses,
                    },
                ));
            }
            SetStock::UnknownWarehouse(wh) => {
                let i = wanted.iter().position(|(w, _)| *w == wh).unwrap_or(0);
                return Err(ApiError::unprocessable(
                    "unknown_warehouse",
                    &format!("warehouses[{i}].warehouse_id"),
                    format!("no warehouse {wh}"),
                ));
            }
            SetStock::BelowReserved => {
                return Err(ApiError::conflict(
                    "stock_below_reserved",
                    "that is less stock than open orders have already reserved",
                ));
            }
            SetStock::Conflict => continue,
        }
    }
    Err(ApiError::conflict(
        "concurrent_update",
        "stock is being changed by someone else; try again",
    ))
}
