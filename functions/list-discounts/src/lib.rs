//! `GET /admin/discounts?limit=&cursor=` (admin) → 200 `{items, next_cursor}`: every discount
//! code with its rules, uses and version, in code order (one Query on gsi1 per page).

use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::selling::discount::normalise_code;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::views::discount_view::AdminDiscount;
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
struct Page {
    items: Vec<AdminDiscount>,
    next_cursor: Option<String>,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    require_admin(&principal)?;
    let q = http::query_params(&req, &["limit", "cursor"])?;
    let limit = http::limit_param(&q, 50, 100)?;
    // An empty cursor is no cursor: the first page. A cursor is the last code of a page.
    let after = match q.get("cursor").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(normalise_code(c).filter(|n| n == c).ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_cursor",
                "cursor",
                "cursor is not one this listing returned",
            )
        })?),
    };
    let (codes, next) = ctx.store.list_discounts(limit, after.as_deref()).await?;
    Ok(http::json_response(
        StatusCode::OK,
        &Page {
            items: codes.into_iter().map(AdminDiscount::from).collect(),
            next_cursor: next,
        },
    ))
}
