//! `GET /admin/products/{id}` (admin) → 200 any product, whatever its status (draft, active,
//! archived), as the admin endpoints answer it (regular price, sale, status, exact stock, version),
//! with every warehouse of the shop and the product's units on hand there (0 where it was never
//! stocked): what the storefront's product editor shows and its stock form starts from. Read
//! strongly consistent, so an editor reloaded after a change shows it.

use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::ids::ProductId;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::catalog::{StockItem, WarehouseItem};
use ferrocart::views::product_view::AdminProduct;
use ferrocart::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
    pub media_base_url: String,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
            media_base_url: startup.media_base_url(),
        })
    }
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct WarehouseStock {
    pub warehouse_id: String,
    pub name: String,
    pub country: String,
    /// Units on hand there.
    pub quantity: i64,
}

#[derive(Serialize)]
struct View {
    #[serde(flatten)]
    product: AdminProduct,
    warehouses: Vec<WarehouseStock>,
}

/// Every warehouse in the shop's shipping order, with the product's units there (0 if none).
pub fn stock_by_warehouse(
    warehouses: &[WarehouseItem],
    stock: &[StockItem],
) -> Vec<WarehouseStock> {
    let mut all: Vec<&WarehouseItem> = warehouses.iter().collect();
    all.sort_by(|a, b| (a.priority, &a.warehouse_id).cmp(&(b.priority, &b.warehouse_id)));
    all.into_iter()
        .map(|w| WarehouseStock {
            warehouse_id: w.warehouse_id.clone(),
            name: w.name.clone(),
            country: w.country.clone(),
            quantity: stock
                .iter()
                .find(|s| s.warehouse_id == w.warehouse_id)
                .map_or(0, |s| s.quantity),
        })
        .collect()
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    require_admin(&principal)?;
    http::query_params(&req, &[])?;
    let id = http::path_id(&req, "id", ProductId::parse, "product")?;
    let (product, warehouses, stock) = tokio::try_join!(
        ctx.store.get_product(&id, true),
        ctx.store.list_warehouses(),
        ctx.store.product_stock(&id),
    )?;
    let product = product.ok_or(ApiError::NotFound("product"))?;
    let view = View {
        product: AdminProduct::of(&product, &ctx.media_base_url),
        warehouses: stock_by_warehouse(&warehouses, &stock),
    };
    Ok(http::json_response(StatusCode::OK, &view))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn warehouse(id: &str, priority: u32) -> WarehouseItem {
        WarehouseItem {
            pk: String::new(),
            sk: String::new(),
            entity: "Warehouse".into(),
            warehouse_id: id.into(),
            name: format!("{id} name"),
            country: "NL".into(),
            priority,
            gsi1pk: String::new(),
            gsi1sk: String::new(),
        }
    }

    #[test]
    fn every_warehouse_is_listed_in_shipping_order_with_zero_where_never_stocked() {
        let stock: Vec<StockItem> = serde_json::from_value(serde_json::json!([{
            "pk": "PRODUCT#x", "sk": "STOCK#lon-1", "entity": "Stock",
            "product_id": "01900000-0000-7000-8000-000000000001", "warehouse_id": "lon-1",
            "quantity": 7, "updated_at": "2026-12-01T00:00:00Z"
        }]))
        .unwrap();
        let got = stock_by_warehouse(&[warehouse("lon-1", 2), warehouse("ams-1", 1)], &stock);
        let ids: Vec<(&str, i64)> = got
            .iter()
            .map(|w| (w.warehouse_id.as_str(), w.quantity))
            .collect();
        assert_eq!(ids, vec![("ams-1", 0), ("lon-1", 7)]);
    }
}
