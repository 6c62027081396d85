//! The emails' words: templates in `functions/email/templates/` (HTML and plain text, compiled into
//! the binary by askama, HTML-escaped), filled from an [`EmailView`] built from the order.

use askama::Template;
use ferrocart::messages::{AccountEmailKind, EmailKind};
use ferrocart::money;
use ferrocart::store::details::OrderDetails;
use ferrocart::store::emails::Relevance;

#[derive(Debug, Clone)]
pub struct LineView {
    pub name: String,
    pub quantity: i64,
    pub unit_price: String,
    pub line_total: String,
}

#[derive(Debug, Clone)]
pub struct TaxLineView {
    pub label: String,
    pub amount: String,
}

/// A rate in basis points as people write it: 2000 → "20%", 2550 → "25.5%", 810 → "8.1%".
pub fn percent(rate_bp: u32) -> String {
    let (whole, frac) = (rate_bp / 100, rate_bp % 100);
    if frac == 0 {
        format!("{whole}%")
    } else {
        let f = format!("{frac:02}");
        format!("{whole}.{}%", f.trim_end_matches('0'))
    }
}

/// The order's tax grouped by rate, lowest rate first (lines and shipping), zero rates left out.
fn tax_lines(d: &OrderDetails, fmt: &dyn Fn(i64) -> String) -> Vec<TaxLineView> {
    let o = &d.order;
    let mut by_rate: std::collections::BTreeMap<u32, i64> = Default::default();
    for t in d.lines.iter().map(|l| l.tax).chain([o.shipping_tax]) {
        if t.rate_bp > 0 {
            *by_rate.entry(t.rate_bp).or_default() += t.tax;
        }
    }
    by_rate
        .into_iter()
        .map(|(rate, amount)| TaxLineView {
            label: format!(
                "Tax {}{}",
                percent(rate),
                if o.tax_included { " (included)" } else { "" }
            ),
            amount: fmt(amount),
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct ShipmentLineView {
    pub name: String,
    pub quantity: i64,
}

#[derive(Debug, Clone)]
pub struct ShipmentView {
    pub carrier: String,
    pub tracking_reference: String,
    pub lines: Vec<ShipmentLineView>,
}

/// Everything a template may show, money already formatted in the order's currency.
#[derive(Debug, Clone)]
pub struct EmailView {
    pub shop_name: String,
    pub customer_name: String,
    pub order_id: String,
    /// The order's page on the storefront; a guest order's carries its token.
    pub order_url: Option<String>,
    /// A guest order's token, shown when there is no storefront to link to.
    pub order_token: Option<String>,
    pub lines: Vec<LineView>,
    pub subtotal: String,
    /// The discount code and what it took off ("SUMMER-10", "−€5.00").
    pub discount: Option<(String, String)>,
    pub shipping: String,
    /// The shipping option's name ("Standard"), when the order has one.
    pub shipping_name: Option<String>,
    /// Tax per rate (lines and shipping together), e.g. "Tax 20% (included)" → "£2.31".
    pub tax_lines: Vec<TaxLineView>,
    pub total: String,
    pub address: Vec<String>,
    pub shipments: Vec<ShipmentView>,
    pub payment_error: Option<String>,
    /// When an unpaid order's reservation ends (UTC).
    pub reserved_until: String,
    /// Why a cancelled order was cancelled: its reservation lapsed unpaid, or the shop
    /// cancelled it (and, if it was paid, refunds it in full).
    pub cancelled: Cancelled,
    /// What was refunded (the refund email).
    pub refund: RefundView,
}

/// The refund email's figures, formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundView {
    /// This refund, when the email is about one (`None`: an admin's resend, which says only
    /// what was refunded in all).
    pub amount: Option<String>,
    /// All refunded so far.
    pub refunded: String,
    /// Everything paid went back.
    pub full: bool,
}

/// The payment-log entry of a `charge.refunded` event: its cumulative `amount_refunded` and
/// whether it was applied to the order.
fn refund_entry<'a>(
    d: &'a OrderDetails,
    event: &str,
) -> Option<&'a ferrocart::store::payments::PaymentLogEntry> {
    d.payment_log.iter().find(|e| {
        e.kind == "charge.refunded" && ferrocart::keys::payment_log_event(&e.sk) == Some(event)
    })
}

/// Whether the refund email of `event` can go out: its event must be on the order's payment
/// log (written in the webhook's transaction, before the email is asked for) and applied.
pub fn refund_event_relevance(d: &OrderDetails, event: &str) -> Relevance {
    match refund_entry(d, event) {
        None => Relevance::NotYet(format!("refund event {event} is not recorded yet")),
        Some(e) if e.outcome != "applied" => Relevance::Skip(format!(
            "refund event {event} was not applied: {}",
            e.outcome
        )),
        Some(_) => Relevance::Send,
    }
}

impl RefundView {
    /// The figures of the refund `event` reported (Stripe's `charge.refunded` carries what was
    /// refunded in all, so this refund is that less the largest total an earlier refund event
    /// reported), or of everything refunded when there is no event (a resend).
    pub fn of(d: &OrderDetails, event: Option<&str>) -> Self {
        let o = &d.order;
        let fmt = |minor: i64| money::format(minor, &o.currency);
        let this_total = event.and_then(|e| refund_entry(d, e)).map(|e| e.amount);
        let amount = this_total.map(|total| {
            let before = d
                .payment_log
                .iter()
                .filter(|e| e.kind == "charge.refunded" && e.outcome == "applied")
                .map(|e| e.amount)
                .filter(|a| *a < total)
                .max()
                .unwrap_or(0);
            fmt(total - before)
        });
        let refunded = o.amount_refunded.unwrap_or(0).max(this_total.unwrap_or(0));
        Self {
            amount,
            refunded: fmt(refunded),
            full: refunded >= o.total,
        }
    }
}

/// Which cancellation email an order gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// Not paid in time (order-expiry).
    Lapsed,
    /// Cancelled by the shop before it was paid.
    ByShopUnpaid,
    /// Cancelled by the shop after it was paid: the payment is refunded.
    ByShopRefunded,
}

impl EmailView {
    /// `order_token`: a guest order's (the link to it must carry it).
    pub fn new(
        shop_name: &str,
        storefront_url: Option<&str>,
        d: &OrderDetails,
        order_token: Option<&str>,
    ) -> Self {
        let o = &d.order;
        let fmt = |minor: i64| money::format(minor, &o.currency);
        let a = &o.shipping_address;
        let mut address = vec![a.name.clone(), a.line1.clone()];
        address.extend(a.line2.clone());
        // postal code, city, region on one line, as most countries write it
        let place: Vec<&str> = [
            a.postal_code.as_deref(),
            Some(a.city.as_str()),
            a.region.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        address.push(place.join(" "));
        address.push(a.country.clone());
        Self {
            shop_name: shop_name.into(),
            customer_name: a.name.clone(),
            order_id: o.order_id.to_string(),
            order_url: storefront_url.map(|u| {
                let page = format!("{}/orders/{}", u.trim_end_matches('/'), o.order_id);
                match order_token {
                    Some(t) => format!("{page}?token={t}"),
                    None => page,
                }
            }),
            order_token: order_token
                .filter(|_| storefront_url.is_none())
                .map(str::to_string),
            lines: d
                .lines
                .iter()
                .map(|l| LineView {
                    name: l.name.clone(),
                    quantity: l.quantity,
                    unit_price: fmt(l.unit_price),
                    line_total: fmt(l.line_total),
                })
                .collect(),
            subtotal: fmt(o.subtotal),
            discount: o
                .discount
                .as_ref()
                .map(|d| (d.code.clone(), fmt(-d.amount))),
            shipping: fmt(o.shipping),
            shipping_name: o.shipping_option.as_ref().map(|c| c.name.clone()),
            tax_lines: tax_lines(d, &fmt),
            total: fmt(o.total),
            address,
            shipments: d
                .shipments
                .iter()
                .map(|s| ShipmentView {
                    carrier: s.carrier.clone(),
                    tracking_reference: s.tracking_reference.clone(),
                    lines: s
                        .lines
                        .iter()
                        .map(|l| ShipmentLineView {
                            name: l.name.clone(),
                            quantity: l.quantity,
                        })
                        .collect(),
                })
                .collect(),
            payment_error: o.last_payment_error.as_ref().map(|c| c.replace('_', " ")),
            reserved_until: ferrocart::time::rfc3339(o.expires_at)
                .replace('T', " ")
                .replace('Z', " UTC"),
            cancelled: match (o.cancel_reason.as_deref(), o.paid_at.is_some()) {
                (_, true) => Cancelled::ByShopRefunded,
                (Some(ferrocart::store::orders::CANCELLED_BY_ADMIN), false) => {
                    Cancelled::ByShopUnpaid
                }
                _ => Cancelled::Lapsed,
            },
            refund: RefundView::of(d, None),
        }
    }
}

macro_rules! templates {
    ($($html:ident, $text:ident, $html_path:literal, $text_path:literal;)*) => {$(
        #[derive(Template)]
        #[template(path = $html_path)]
        struct $html<'a> {
            v: &'a EmailView,
            subject: &'a str,
        }
        #[derive(Template)]
        #[template(path = $text_path)]
        struct $text<'a> {
            v: &'a EmailView,
        }
    )*};
}

templates! {
    ConfirmationHtml, ConfirmationText, "order_confirmation.html", "order_confirmation.txt";
    ShippedHtml, ShippedText, "shipped.html", "shipped.txt";
    PaymentFailedHtml, PaymentFailedText, "payment_failed.html", "payment_failed.txt";
    CancelledHtml, CancelledText, "order_cancelled.html", "order_cancelled.txt";
    RefundHtml, RefundText, "refund.html", "refund.txt";
}

/// What an account email shows: whom it greets, the single-use link and its code.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub shop_name: String,
    pub greeting: String,
    /// The link to follow (the storefront's page with the token), or the bare code when the shop
    /// has no storefront URL.
    pub link: String,
    pub token: String,
    pub valid_minutes: u64,
}

macro_rules! account_templates {
    ($($html:ident, $text:ident, $html_path:literal, $text_path:literal;)*) => {$(
        #[derive(Template)]
        #[template(path = $html_path)]
        struct $html<'a> {
            v: &'a AccountView,
            subject: &'a str,
        }
        #[derive(Template)]
        #[template(path = $text_path)]
        struct $text<'a> {
            v: &'a AccountView,
        }
    )*};
}

account_templates! {
    ResetHtml, ResetText, "password_reset.html", "password_reset.txt";
    VerifyHtml, VerifyText, "verify_email.html", "verify_email.txt";
    ExistsHtml, ExistsText, "account_exists.html", "account_exists.txt";
}

pub fn render_account(kind: AccountEmailKind, v: &AccountView) -> Result<Rendered, askama::Error> {
    let shop = &v.shop_name;
    let subject = match kind {
        AccountEmailKind::PasswordReset => format!("{shop}: reset your password"),
        AccountEmailKind::VerifyEmail => format!("{shop}: confirm your email address"),
        AccountEmailKind::AccountExists => format!("{shop}: you already have an account"),
    };
    let s = subject.as_str();
    let (html, text) = match kind {
        AccountEmailKind::PasswordReset => (
            ResetHtml { v, subject: s }.render()?,
            ResetText { v }.render()?,
        ),
        AccountEmailKind::VerifyEmail => (
            VerifyHtml { v, subject: s }.render()?,
            VerifyText { v }.render()?,
        ),
        AccountEmailKind::AccountExists => (
            ExistsHtml { v, subject: s }.render()?,
            ExistsText { v }.render()?,
        ),
    };
    Ok(Rendered {
        subject,
        html,
        text,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// The order's short reference in subjects: the last 8 hex digits of its id, upper case.
fn short_ref(order_id: &str) -> String {
    let hex: String = order_id.chars().filter(|c| *c != '-').collect();
    hex[hex.len().saturating_sub(8)..].to_ascii_uppercase()
}

pub fn render(kind: EmailKind, v: &EmailView) -> Result<Rendered, askama::Error> {
    let r = short_ref(&v.order_id);
    let shop = &v.shop_name;
    let subject = match kind {
        EmailKind::OrderConfirmation => format!("{shop}: order {r} confirmed"),
        EmailKind::Shipped => format!("{shop}: order {r} has shipped"),
        EmailKind::PaymentFailed => format!("{shop}: payment for order {r} did not go through"),
        EmailKind::OrderCancelled => format!("{shop}: order {r} was cancelled"),
        EmailKind::Refund if v.refund.full => format!("{shop}: order {r} was refunded"),
        EmailKind::Refund => format!("{shop}: a refund for order {r}"),
    };
    let s = subject.as_str();
    let (html, text) = match kind {
        EmailKind::OrderConfirmation => (
            ConfirmationHtml { v, subject: s }.render()?,
            ConfirmationText { v }.render()?,
        ),
        EmailKind::Shipped => (
            ShippedHtml { v, subject: s }.render()?,
            ShippedText { v }.render()?,
        ),
        EmailKind::PaymentFailed => (
            PaymentFailedHtml { v, subject: s }.render()?,
            PaymentFailedText { v }.render()?,
        ),
        EmailKind::OrderCancelled => (
            CancelledHtml { v, subject: s }.render()?,
            CancelledText { v }.render()?,
        ),
        EmailKind::Refund => (
            RefundHtml { v, subject: s }.render()?,
            RefundText { v }.render()?,
        ),
    };
    Ok(Rendered {
        subject,
        html,
        text,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ferrocart::ids::{OrderId, ProductId, UserId};
    use ferrocart::store::fulfilment::{ShipmentItem, ShipmentLine};
    use ferrocart::store::orders::{Address, OrderItem, OrderLineItem};

    fn details(currency: &str) -> OrderDetails {
        let order_id = OrderId::parse("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74").unwrap();
        let p1 = ProductId::parse("01900000-0000-7000-8000-000000000001").unwrap();
        let p2 = ProductId::parse("01900000-0000-7000-8000-000000000002").unwrap();
        let order: OrderItem = serde_json::from_value(serde_json::json!({
            "pk": "ORDER#x", "sk": "ORDER", "entity": "Order",
            "order_id": order_id, "user_id": UserId::generate(), "status": "shipped",
            "currency": currency, "subtotal": 123_450, "shipping": 495, "total": 123_945,
            "tax_total": 20_658, "tax_included": true, "shipping_tax": {"rate_bp": 2000, "tax": 83},
            "shipping_option": {"option_id": "uk-standard", "name": "Standard"},
            "line_count": 2,
            "shipping_address": Address {
                name: "Ada <Lovelace>".into(), line1: "1 Analytical Row".into(), line2: None,
                city: "London".into(), postal_code: Some("N1 9GU".into()), region: None, country: "GB".into(), phone: None,
            },
            "last_payment_error": "card_declined",
            "created_at": "2026-11-21T10:00:00Z", "expires_at": 1_795_291_080u64,
            "gsi1pk": "x", "gsi1sk": "y"
        }))
        .unwrap();
        let line = |p: &ProductId, name: &str, unit: i64, q: i64| OrderLineItem {
            pk: "x".into(),
            sk: "y".into(),
            entity: "OrderLine".into(),
            order_id: order_id.clone(),
            product_id: p.clone(),
            name: name.into(),
            unit_price: unit,
            quantity: q,
            line_total: unit * q,
            discount: 0,
            tax: ferrocart::selling::quote::LineTax {
                rate_bp: 2000,
                tax: ferrocart::selling::tax::tax_of(unit * q, 2000, true),
            },
            tax_class: Default::default(),
        };
        OrderDetails {
            lines: vec![
                line(&p1, "Kettle <script>", 100_000, 1),
                line(&p2, "Mug & Saucer", 11_725, 2),
            ],
            shipments: vec![ShipmentItem::new(
                &order_id,
                "ams-1",
                vec![ShipmentLine {
                    product_id: p1,
                    name: "Kettle <script>".into(),
                    quantity: 1,
                }],
                "Ferrocart Post",
                "FC-1A2B-3C4D-5E6F".into(),
                "2026-11-21T10:00:00Z".into(),
            )],
            order,
            history: vec![],
            payment_log: vec![],
            emails: vec![],
            refunds: vec![],
        }
    }

    #[test]
    fn rates_read_as_people_write_them() {
        assert_eq!(percent(2000), "20%");
        assert_eq!(percent(2550), "25.5%");
        assert_eq!(percent(810), "8.1%");
        assert_eq!(percent(1350), "13.5%");
        assert_eq!(percent(5), "0.05%");
    }

    #[test]
    fn every_kind_renders_lines_totals_and_shop_name_in_both_bodies() {
        let v = EmailView::new(
            "Ferrocart Demo",
            Some("https://shop.example/"),
            &details("EUR"),
            None,
        );
        for kind in EmailKind::ALL {
            let r = render(kind, &v).unwrap();
            assert!(r.subject.starts_with("Ferrocart Demo: "), "{}", r.subject);
            assert!(r.subject.contains("4D5E6F74"), "{}", r.subject);
            for body in [&r.html, &r.text] {
                assert!(body.contains("Ferrocart Demo"), "{kind}: {body}");
                assert!(body.contains("€1,234.50"), "{kind}: total in {body}");
                assert!(body.contains("€117.25"), "{kind}: unit price in {body}");
                assert!(body.contains("€234.50"), "{kind}: line total in {body}");
                assert!(
                    body.contains(
                        "https://shop.example/orders/0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74"
                    )
                );
            }
            assert!(r.text.contains("Shipping (Standard): €4.95"), "{}", r.text);
            assert!(r.text.contains("Tax 20% (included): €206.58"), "{}", r.text);
            assert!(r.html.contains("Tax 20% (included)"), "{}", r.html);
            assert!(
                r.text.contains("2 x Mug & Saucer @ €117.25 = €234.50"),
                "{}",
                r.text
            );
            assert!(
                r.html.contains("Mug &#38; Saucer"),
                "HTML is escaped: {}",
                r.html
            );
            assert!(
                !r.html.contains("<script>"),
                "no markup injection: {}",
                r.html
            );
            assert!(r.text.contains("Kettle <script>"), "text is not escaped");
        }
        let shipped = render(EmailKind::Shipped, &v).unwrap();
        assert!(
            shipped.html.contains("FC-1A2B-3C4D-5E6F")
                && shipped.text.contains("FC-1A2B-3C4D-5E6F")
        );
        assert!(
            shipped.text.contains(
                "Ferrocart Post, tracking number FC-1A2B-3C4D-5E6F:\n  1 x Kettle <script>"
            ),
            "{}",
            shipped.text
        );
        let failed = render(EmailKind::PaymentFailed, &v).unwrap();
        assert!(
            failed.text.contains("declined (card declined)"),
            "{}",
            failed.text
        );
        let confirmation = render(EmailKind::OrderConfirmation, &v).unwrap();
        assert!(
            confirmation.text.contains("  N1 9GU London\n  GB"),
            "{}",
            confirmation.text
        );
    }

    fn refund_logged(d: &mut OrderDetails, event: &str, at_ms: u64, total: i64, outcome: &str) {
        let k = ferrocart::keys::order_payment_log(&d.order.order_id, at_ms, event);
        d.payment_log
            .push(ferrocart::store::payments::PaymentLogEntry {
                pk: k.pk,
                sk: k.sk,
                entity: "PaymentLog".into(),
                provider: "stripe".into(),
                reference: "pi_1".into(),
                kind: "charge.refunded".into(),
                amount: total,
                currency: "eur".into(),
                outcome: outcome.into(),
                error_code: None,
                at: "2026-12-03T10:00:00Z".into(),
            });
    }

    #[test]
    fn each_refund_email_says_what_that_refund_gave_back_and_what_in_all() {
        let mut d = details("EUR");
        // Two partial refunds (Stripe reports the running total), then the rest.
        refund_logged(&mut d, "evt_a", 1, 30_000, "applied");
        refund_logged(&mut d, "evt_b", 2, 50_000, "applied");
        refund_logged(&mut d, "evt_c", 3, 123_945, "applied");
        refund_logged(&mut d, "evt_x", 4, 10, "ignored: order is pending_payment");
        d.order.amount_refunded = Some(50_000);
        let view = |d: &OrderDetails, event: Option<&str>| {
            let mut v = EmailView::new("Shop", None, d, None);
            v.refund = RefundView::of(d, event);
            render(EmailKind::Refund, &v).unwrap()
        };
        let second = view(&d, Some("evt_b"));
        assert_eq!(second.subject, "Shop: a refund for order 4D5E6F74");
        assert!(
            second.text.contains("we have refunded €200.00 to the card")
                && second
                    .text
                    .contains("In all, €500.00 of the €1,239.45 you paid"),
            "{}",
            second.text
        );
        assert!(
            second.html.contains("we have refunded €200.00"),
            "{}",
            second.html
        );
        assert!(second.text.contains("Discount") || d.order.discount.is_none());
        assert!(
            second.text.contains("Tax 20% (included)"),
            "{}",
            second.text
        );
        let first = view(&d, Some("evt_a"));
        assert!(first.text.contains("refunded €300.00 to"), "{}", first.text);
        d.order.amount_refunded = Some(123_945);
        let last = view(&d, Some("evt_c"));
        assert_eq!(last.subject, "Shop: order 4D5E6F74 was refunded");
        assert!(
            last.text.contains("refunded €739.45 to")
                && last
                    .text
                    .contains("Everything you paid, €1,239.45, has been refunded"),
            "{}",
            last.text
        );
        // An admin's resend names no event: what was refunded in all.
        let resent = view(&d, None);
        assert!(
            resent.text.contains("this is a copy of your refund")
                && resent.text.contains("Everything you paid, €1,239.45"),
            "{}",
            resent.text
        );
        // The event must be on the log, and applied.
        assert_eq!(refund_event_relevance(&d, "evt_b"), Relevance::Send);
        assert!(matches!(
            refund_event_relevance(&d, "evt_unknown"),
            Relevance::NotYet(_)
        ));
        assert!(matches!(
            refund_event_relevance(&d, "evt_x"),
            Relevance::Skip(_)
        ));
    }

    #[test]
    fn the_cancellation_says_why_and_whether_money_comes_back() {
        let cancelled = |reason: &str, paid: bool| {
            let mut d = details("EUR");
            d.order.cancel_reason = Some(reason.into());
            d.order.paid_at = paid.then(|| "2026-12-01T10:00:00Z".into());
            render(
                EmailKind::OrderCancelled,
                &EmailView::new("Shop", None, &d, None),
            )
            .unwrap()
        };
        let lapsed = cancelled("reservation_expired", false);
        assert!(
            lapsed.text.contains("did not receive payment"),
            "{}",
            lapsed.text
        );
        let unpaid = cancelled(ferrocart::store::orders::CANCELLED_BY_ADMIN, false);
        assert!(
            unpaid
                .text
                .contains("before it was paid. Nothing was charged."),
            "{}",
            unpaid.text
        );
        let refunded = cancelled(ferrocart::store::orders::CANCELLED_BY_ADMIN, true);
        for body in [&refunded.text, &refunded.html] {
            assert!(
                body.contains("before it shipped, and we are refunding the"),
                "{body}"
            );
            assert!(!body.contains("Nothing was charged"), "{body}");
        }
    }

    #[test]
    fn a_discount_shows_its_code_and_saving_in_every_kind() {
        let mut d = details("EUR");
        d.order.discount = Some(ferrocart::store::discounts::OrderDiscount {
            code: "SUMMER-10".into(),
            amount: 1_250,
            per_customer: false,
        });
        let v = EmailView::new("Shop", None, &d, None);
        for kind in EmailKind::ALL {
            let r = render(kind, &v).unwrap();
            assert!(
                r.text.contains("Discount (SUMMER-10): -€12.50"),
                "{kind}: {}",
                r.text
            );
            assert!(
                r.html.contains("Discount (SUMMER-10)"),
                "{kind}: {}",
                r.html
            );
        }
        let plain = EmailView::new("Shop", None, &details("EUR"), None);
        let r = render(EmailKind::OrderConfirmation, &plain).unwrap();
        assert!(!r.text.contains("Discount"), "no code, no line: {}", r.text);
    }

    #[test]
    fn currencies_follow_the_order() {
        let v = EmailView::new("Shop", None, &details("JPY"), None);
        let r = render(EmailKind::OrderConfirmation, &v).unwrap();
        assert!(r.text.contains("Total:    ¥123,945"), "{}", r.text);
        assert!(!r.html.contains("view it online"));
    }

    #[test]
    fn a_guest_orders_link_carries_its_token_and_without_a_storefront_the_token_is_shown() {
        let t = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE";
        let linked = EmailView::new(
            "Shop",
            Some("https://shop.example"),
            &details("EUR"),
            Some(t),
        );
        let url =
            format!("https://shop.example/orders/0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74?token={t}");
        let bare = EmailView::new("Shop", None, &details("EUR"), Some(t));
        for kind in EmailKind::ALL {
            let r = render(kind, &linked).unwrap();
            assert!(
                r.html.contains(&url) && r.text.contains(&url),
                "{kind}: {}",
                r.text
            );
            let r = render(kind, &bare).unwrap();
            assert!(
                r.html.contains(t) && r.text.contains(t),
                "{kind}: {}",
                r.text
            );
            assert!(!r.text.contains("https://"), "{kind}: {}", r.text);
        }
    }
}
