//! `GET /admin/orders?status=&from=&to=&email=&limit=&cursor=` (admin) → 200 `{items,
//! next_cursor}`: orders newest first, created in `[from, to]` (RFC 3339; `to` defaults to now,
//! `from` to 30 days before `to`; at most 92 days apart, else 422 `invalid_date_range`),
//! optionally of one status and of one customer's email (the account's orders and the guest
//! orders placed with that email). Every order is listed by day on the keys-only `orders` index,
//! 8 shards a day (`store::admin_orders`), so a sale's orders never write one index partition.

use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::state::OrderStatus;
use ferrocart::store::Store;
use ferrocart::store::admin_orders::OrderFilter;
use ferrocart::{ApiError, http, validate};
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

/// The default window and the longest one, in days.
const DEFAULT_DAYS: u64 = 30;
const MAX_DAYS: u64 = 92;

#[derive(Serialize)]
struct OrderSummary {
    order_id: String,
    status: OrderStatus,
    total: i64,
    currency: String,
    line_count: u32,
    created_at: String,
    customer_id: String,
    /// A guest order's email (a customer's orders go to the account's).
    guest_email: Option<String>,
    ship_to: String,
    country: String,
}

#[derive(Serialize)]
struct Page {
    items: Vec<OrderSummary>,
    next_cursor: Option<String>,
}

/// A cursor is `<created, 12 digits>_<order id>` (the index's sort key, `#` made URL-safe).
fn well_formed_cursor(c: &str) -> bool {
    c.split_once('_').is_some_and(|(ts, id)| {
        ts.len() == 12
            && ts.bytes().all(|b| b.is_ascii_digit())
            && ferrocart::ids::OrderId::parse(id).is_some()
    })
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    require_admin(&principal)?;
    let q = http::query_params(&req, &["status", "from", "to", "email", "limit", "cursor"])?;
    let limit = http::limit_param(&q, 50, 100)?;
    let status = q
        .get("status")
        .map(|s| {
            OrderStatus::ALL
                .into_iter()
                .find(|st| st.as_str() == s)
                .ok_or_else(|| {
                    ApiError::validation(
                        "invalid_status",
                        "status",
                        "status is one of pending_payment, paid, fulfilling, shipped, cancelled, refunded",
                    )
                })
        })
        .transpose()?;
    let now = ferrocart::time::now_unix();
    let to = q
        .get("to")
        .map(|t| validate::timestamp(t, "to"))
        .transpose()?
        .unwrap_or(now);
    let from = q
        .get("from")
        .map(|t| validate::timestamp(t, "from"))
        .transpose()?
        .unwrap_or(to.saturating_sub(DEFAULT_DAYS * 86_400));
    if from > to || to - from > MAX_DAYS * 86_400 {
        return Err(ApiError::unprocessable(
            "invalid_date_range",
            "from",
            format!("from must be before to, and at most {MAX_DAYS} days before it"),
        ));
    }
    let email = q
        .get("email")
        .map(|e| validate::normalise_email(e))
        .transpose()?;
    // An empty cursor is no cursor: the first page.
    let before = match q.get("cursor").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) if well_formed_cursor(c) => Some(c.replacen('_', "#", 1)),
        Some(_) => {
            return Err(ApiError::unprocessable(
                "invalid_cursor",
                "cursor",
                "cursor is not one this listing returned",
            ));
        }
    };
    let filter = OrderFilter {
        from,
        to,
        status,
        before,
        limit,
    };
    let (orders, next) = match &email {
        Some(email) => {
            let user = ctx.store.find_user_by_email(email).await?;
            ctx.store
                .list_orders_of(email, user.as_ref().map(|u| &u.user_id), &filter)
                .await?
        }
        None => ctx.store.list_orders(&filter).await?,
    };
    let items = orders
        .into_iter()
        .map(|o| OrderSummary {
            order_id: o.order_id.to_string(),
            status: o.status,
            total: o.total,
            currency: o.currency,
            line_count: o.line_count,
            created_at: o.created_at,
            customer_id: o.user_id.to_string(),
            guest_email: o.guest_email,
            ship_to: o.shipping_address.name,
            country: o.shipping_address.country,
        })
        .collect();
    Ok(http::json_response(
        StatusCode::OK,
        &Page {
            items,
            next_cursor: next.map(|c| c.replacen('#', "_", 1)),
        },
    ))
}
