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
use ferrocart::state::OrderStatus;
use ferrocart::store::Store;
use ferrocart::store::catalog::TaxClass;
use ferrocart::store::orders::{Address, ShippingChoice};
use ferrocart::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

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

#[derive(Serialize)]
struct Line {
    product_id: String,
    name: String,
    unit_price: i64,
    quantity: i64,
    line_total: i64,
    /// Its share of the discount (taken off `line_total`; its tax is on what is left).
    discount: i64,
    tax_class: TaxClass,
    tax_rate_bp: u32,
    tax: i64,
}

#[derive(Serialize)]
struct StatusChange {
    status: OrderStatus,
    at: String,
}

#[derive(Serialize)]
struct Payment {
    provider: String,
    payment_intent_id: String,
    last_error: Option<String>,
}

#[derive(Serialize)]
struct OrderView {
    order_id: String,
    status: OrderStatus,
    currency: String,
    subtotal: i64,
    /// What the discount code took off (0 without one); `total` is after it.
    discount_total: i64,
    discount: Option<DiscountView>,
    shipping: i64,
    shipping_option: Option<ShippingChoice>,
    shipping_tax: i64,
    /// The tax in the order: part of the prices when `tax_included`, else added to them.
    tax_total: i64,
    tax_included: bool,
    total: i64,
    lines: Vec<Line>,
    shipping_address: Address,
    payment: Option<Payment>,
    status_history: Vec<StatusChange>,
    shipments: Vec<Shipment>,
    created_at: String,
    paid_at: Option<String>,
    shipped_at: Option<String>,
    cancelled_at: Option<String>,
}

#[derive(Serialize)]
struct DiscountView {
    code: String,
    amount: i64,
}

#[derive(Serialize)]
struct Shipment {
    warehouse_id: String,
    carrier: String,
    tracking_reference: String,
    lines: Vec<ShipmentLine>,
}

#[derive(Serialize)]
struct ShipmentLine {
    product_id: String,
    name: String,
    quantity: i64,
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
    let order = details.order;
    let view = OrderView {
        order_id: order.order_id.to_string(),
        status: order.status,
        currency: order.currency,
        subtotal: order.subtotal,
        discount_total: order.discount.as_ref().map_or(0, |d| d.amount),
        discount: order.discount.map(|d| DiscountView {
            code: d.code,
            amount: d.amount,
        }),
        shipping: order.shipping,
        shipping_option: order.shipping_option,
        shipping_tax: order.shipping_tax.tax,
        tax_total: order.tax_total,
        tax_included: order.tax_included,
        total: order.total,
        lines: details
            .lines
            .into_iter()
            .map(|l| Line {
                product_id: l.product_id.to_string(),
                name: l.name,
                unit_price: l.unit_price,
                quantity: l.quantity,
                line_total: l.line_total,
                discount: l.discount,
                tax_class: l.tax_class,
                tax_rate_bp: l.tax.rate_bp,
                tax: l.tax.tax,
            })
            .collect(),
        shipping_address: order.shipping_address,
        payment: order.payment.map(|p| Payment {
            provider: p.provider,
            payment_intent_id: p.payment_intent_id,
            last_error: order.last_payment_error.clone(),
        }),
        status_history: details
            .history
            .into_iter()
            .map(|h| StatusChange {
                status: h.status,
                at: h.at,
            })
            .collect(),
        shipments: details
            .shipments
            .into_iter()
            .map(|s| Shipment {
                warehouse_id: s.warehouse_id,
                carrier: s.carrier,
                tracking_reference: s.tracking_reference,
                lines: s
                    .lines
                    .into_iter()
                    .map(|l| ShipmentLine {
                        product_id: l.product_id.to_string(),
                        name: l.name,
                        quantity: l.quantity,
                    })
                    .collect(),
            })
            .collect(),
        created_at: order.created_at,
        paid_at: order.paid_at,
        shipped_at: order.shipped_at,
        cancelled_at: order.cancelled_at,
    };
    Ok(http::json_response(StatusCode::OK, &view))
}
