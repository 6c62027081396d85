//! `GET /orders?limit=&cursor=` (customer) → 200 `{items, next_cursor}`: the caller's orders,
//! newest first, one Query per page (more where DynamoDB stops early at 1 MB).

use ferrocart::auth::{TokenService, authenticate};
use ferrocart::ids::OrderId;
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
struct OrderSummary {
    order_id: String,
    status: ferrocart::state::OrderStatus,
    total: i64,
    currency: String,
    line_count: u32,
    created_at: String,
}

#[derive(Serialize)]
struct Page {
    items: Vec<OrderSummary>,
    next_cursor: Option<String>,
}

/// A cursor is the last order's `ORDER#<12 digits>#<order id>` index key.
fn parse_cursor(c: &str) -> Option<(String, OrderId)> {
    let rest = c.strip_prefix("ORDER#")?;
    let (ts, id) = rest.split_once('#')?;
    if ts.len() != 12 || !ts.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((c.to_string(), OrderId::parse(id)?))
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    let q = http::query_params(&req, &["limit", "cursor"])?;
    let limit = http::limit_param(&q, 20, 100)?;
    // An empty cursor is no cursor: the first page.
    let after = match q.get("cursor").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(parse_cursor(c).ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_cursor",
                "cursor",
                "cursor is not one this listing returned",
            )
        })?),
    };
    let (orders, next) = ctx
        .store
        .list_user_orders(
            &principal.user_id,
            limit,
            after.as_ref().map(|(sk, id)| (sk.as_str(), id)),
        )
        .await?;
    let items = orders
        .into_iter()
        .map(|o| OrderSummary {
            order_id: o.order_id.to_string(),
            status: o.status,
            total: o.total,
            currency: o.currency,
            line_count: o.line_count,
            created_at: o.created_at,
        })
        .collect();
    Ok(http::json_response(
        StatusCode::OK,
        &Page {
            items,
            next_cursor: next,
        },
    ))
}
