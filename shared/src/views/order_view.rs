//! An order as its pages answer it: the customer's and a guest's (`GET /orders/{id}`) and the
//! admin's (`GET /admin/orders/{id}`, which adds what only the shop sees).

use crate::state::OrderStatus;
use crate::store::catalog::TaxClass;
use crate::store::details::OrderDetails;
use crate::store::orders::{Address, ShippingChoice};
use serde::Serialize;

#[derive(Serialize)]
pub struct Line {
    pub product_id: String,
    pub name: String,
    pub unit_price: i64,
    pub quantity: i64,
    pub line_total: i64,
    /// Its share of the discount (taken off `line_total`; its tax is on what is left).
    pub discount: i64,
    pub tax_class: TaxClass,
    pub tax_rate_bp: u32,
    pub tax: i64,
}

#[derive(Serialize)]
pub struct StatusChange {
    pub status: OrderStatus,
    pub at: String,
}

#[derive(Serialize)]
pub struct Payment {
    pub provider: String,
    pub payment_intent_id: String,
    pub last_error: Option<String>,
}

#[derive(Serialize)]
pub struct OrderView {
    pub order_id: String,
    pub status: OrderStatus,
    pub currency: String,
    pub subtotal: i64,
    /// What the discount code took off (0 without one); `total` is after it.
    pub discount_total: i64,
    pub discount: Option<DiscountView>,
    pub shipping: i64,
    pub shipping_option: Option<ShippingChoice>,
    pub shipping_tax: i64,
    /// The tax in the order: part of the prices when `tax_included`, else added to them.
    pub tax_total: i64,
    pub tax_included: bool,
    pub total: i64,
    pub lines: Vec<Line>,
    pub shipping_address: Address,
    pub payment: Option<Payment>,
    pub status_history: Vec<StatusChange>,
    pub shipments: Vec<Shipment>,
    pub created_at: String,
    pub paid_at: Option<String>,
    pub shipped_at: Option<String>,
    pub cancelled_at: Option<String>,
}

#[derive(Serialize)]
pub struct DiscountView {
    pub code: String,
    pub amount: i64,
}

#[derive(Serialize)]
pub struct Shipment {
    pub warehouse_id: String,
    pub carrier: String,
    pub tracking_reference: String,
    pub lines: Vec<ShipmentLine>,
}

#[derive(Serialize)]
pub struct ShipmentLine {
    pub product_id: String,
    pub name: String,
    pub quantity: i64,
}

impl From<OrderDetails> for OrderView {
    fn from(details: OrderDetails) -> Self {
        let order = details.order;
        OrderView {
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
        }
    }
}
