//! `GET /admin/stock/low?warehouse=&below=&limit=&cursor=` (admin) → 200 `{warehouse, below,
//! items, next_cursor}`: the low-stock report of one warehouse, every product with fewer than
//! `below` (default 10) units on hand there, lowest first, each with its name, status and the
//! units still available to sell over all warehouses. One Query on the `stock` index
//! (`store::stock`) and one BatchGetItem for the page's products. A product never stocked in the
//! warehouse has no row there and is not listed; archived products are listed with their status.
//! An unknown warehouse is 404; `cursor` is the last page's `next_cursor` (anything else 422).

use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::catalog::ProductStatus;
use ferrocart::store::stock::StockCursor;
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

/// `below` when the request leaves it out, and the largest it may be.
const DEFAULT_BELOW: i64 = 10;
const MAX_BELOW: i64 = 1_000_000_000;

#[derive(Serialize)]
struct Warehouse {
    warehouse_id: String,
    name: String,
    country: String,
}

#[derive(Serialize)]
struct Row {
    product_id: String,
    /// `null` if the product was deleted after its stock row was written.
    name: Option<String>,
    status: Option<ProductStatus>,
    /// Units on hand in this warehouse.
    quantity: i64,
    /// Units the shop can still sell, over all warehouses (on hand less reservations).
    stock_available: Option<i64>,
}

#[derive(Serialize)]
struct Report {
    warehouse: Warehouse,
    below: i64,
    items: Vec<Row>,
    next_cursor: Option<String>,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    require_admin(&principal)?;
    let q = http::query_params(&req, &["warehouse", "below", "limit", "cursor"])?;
    let warehouse_id = q.get("warehouse").map(String::as_str).unwrap_or_default();
    if warehouse_id.is_empty() {
        return Err(ApiError::validation(
            "warehouse_required",
            "warehouse",
            "warehouse (a warehouse id) is required",
        ));
    }
    let below = match q.get("below") {
        None => DEFAULT_BELOW,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|b| (1..=MAX_BELOW).contains(b))
            .ok_or_else(|| {
                ApiError::validation(
                    "invalid_below",
                    "below",
                    format!("below must be a whole number from 1 to {MAX_BELOW}"),
                )
            })?,
    };
    let limit = http::limit_param(&q, 50, 100)?;
    let after = match q.get("cursor").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(StockCursor::parse(c).ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_cursor",
                "cursor",
                "cursor is not one this report returned",
            )
        })?),
    };
    let warehouse = ctx
        .store
        .list_warehouses()
        .await?
        .into_iter()
        .find(|w| w.warehouse_id == warehouse_id)
        .ok_or(ApiError::NotFound("warehouse"))?;
    let (rows, next) = ctx
        .store
        .low_stock(&warehouse.warehouse_id, below, limit, after.as_ref())
        .await?;
    let ids: Vec<_> = rows.iter().map(|r| r.product_id.clone()).collect();
    let products = ctx.store.batch_get_products(&ids).await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let p = products.iter().find(|p| p.product_id == r.product_id);
            Row {
                product_id: r.product_id.to_string(),
                name: p.map(|p| p.name.clone()),
                status: p.map(|p| p.status),
                quantity: r.quantity,
                stock_available: p.map(|p| p.stock_available),
            }
        })
        .collect();
    Ok(http::json_response(
        StatusCode::OK,
        &Report {
            warehouse: Warehouse {
                warehouse_id: warehouse.warehouse_id,
                name: warehouse.name,
                country: warehouse.country,
            },
            below,
            items,
            next_cursor: next,
        },
    ))
}
