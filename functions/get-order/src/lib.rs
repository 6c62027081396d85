//! `GET /orders/{id}` (customer) → 200 the order with its lines, totals, status history,
//! payment and shipments (with tracking). Another user's order is a 404, exactly like one that
//! does not exist.
//!
//! A guest reads its order without an account through the order's token (`X-Order-Token`, from
//! the checkout answer or the link in the order's emails; [`ferrocart::auth::order_link`]): a
//! token that is not this order's is a 404 too. An access token, when sent, is what counts.

use ferrocart::auth::order_link::{self, ORDER_TOKEN_HEADER};
use ferrocart::auth::{OrderLinks, TokenService, authenticate};
use ferrocart::ids::OrderId;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::views::order_view::OrderView;
use ferrocart::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
    pub order_links: OrderLinks,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
            order_links: startup.order_links()?,
        })
    }
}

/// Who may read which order.
enum Reader {
    Customer(ferrocart::ids::UserId),
    /// A guest order's token (well formed; checked against the order).
    Guest(String),
}

/// The access token when there is one (checked as every authenticated route checks it), else the
/// `X-Order-Token`, else 401. An `X-Order-Token` not shaped like one is a 400 either way.
async fn reader(ctx: &Context, req: &Request) -> Result<Reader, ApiError> {
    let token = match req.headers().get(ORDER_TOKEN_HEADER) {
        None => None,
        Some(v) => {
            let t = v.to_str().unwrap_or("").trim();
            if !order_link::well_formed(t) {
                return Err(ApiError::validation(
                    "invalid_order_token",
                    "X-Order-Token",
                    "X-Order-Token must be an order token this shop issued",
                ));
            }
            Some(t.to_string())
        }
    };
    if req.headers().contains_key("authorization") {
        let principal = authenticate(&ctx.tokens, &ctx.store, req).await?;
        return Ok(Reader::Customer(principal.user_id));
    }
    token.map(Reader::Guest).ok_or_else(|| {
        ApiError::unauthorized(
            "missing_token",
            "sign in, or send the order's X-Order-Token (from its confirmation email)",
        )
    })
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let reader = reader(ctx, &req).await?;
    let id = http::path_id(&req, "id", OrderId::parse, "order")?;
    let details = ctx
        .store
        .get_order_details(&id)
        .await?
        .filter(|d| match &reader {
            Reader::Customer(user) => &d.order.user_id == user,
            Reader::Guest(token) => d
                .order
                .guest_email
                .as_deref()
                .is_some_and(|email| ctx.order_links.verify(&id, email, token)),
        })
        .ok_or(ApiError::NotFound("order"))?;
    Ok(http::json_response(
        StatusCode::OK,
        &OrderView::from(details),
    ))
}
