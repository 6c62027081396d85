//! `POST /payments/webhook` (Stripe) → 200 `{received: true}`.
//!
//! The `Stripe-Signature` header is verified on the raw body first ([`ferrocart::payments::signature`]);
//! a bad or missing one is a 400 and changes nothing. Every event is recorded once by its id, in
//! the same transaction as the change it makes, so redeliveries (even concurrent ones) change the
//! order once. Orders only move forward:
//! - `payment_intent.succeeded` → `paid` (from `pending_payment` only, and only if amount and
//!   currency match the order), then one message to the fulfilment queue;
//! - `payment_intent.payment_failed` → the error is recorded on the order (it stays payable) and,
//!   while it is unpaid, a payment-failed email is requested (the email consumer sends one per
//!   order; a redelivered event requests it again, which is how a failed SQS send is retried);
//! - `charge.refunded` (fully) → `refunded` (from `paid`, `fulfilling` or `shipped`).
//!
//! Other event types are recorded and ignored.

use ferrocart::ids::OrderId;
use ferrocart::payments::signature;
use ferrocart::settings::{ConfigError, Secret};
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::state::{OrderStatus, PaymentStatus};
use ferrocart::store::Store;
use ferrocart::store::orders::OrderItem;
use ferrocart::store::payments::{
    ApplyEvent, OrderTransition, PaymentFacts, PaymentLogEntry, WebhookEventItem,
};
use ferrocart::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::Value;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub max_body_bytes: usize,
    /// The webhook endpoint's signing secret (`whsec_...`).
    pub webhook_secret: Secret,
    pub sqs: aws_sdk_sqs::Client,
    /// Queue that paid orders are sent to for fulfilment.
    pub fulfilment_queue_url: String,
    /// Queue of "send this customer email" messages.
    pub email_queue_url: String,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            max_body_bytes: startup.max_body_bytes()?,
            webhook_secret: startup.secret("STRIPE_WEBHOOK_SECRET")?,
            sqs: startup.sqs(),
            fulfilment_queue_url: startup.required("FULFILMENT_QUEUE_URL")?,
            email_queue_url: startup.required("EMAIL_QUEUE_URL")?,
        })
    }
}

/// Stripe's events are far smaller; anything bigger is not from Stripe.
const MAX_EVENT_BYTES: usize = 256 * 1024;
const EVENT_TTL_SECS: u64 = 30 * 24 * 3600;

#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: Value,
}

fn received() -> Response<Body> {
    http::json_response(StatusCode::OK, &serde_json::json!({"received": true}))
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let now = ferrocart::time::now_unix();
    let event = verified_event(ctx, &req, now)?;
    let span = tracing::info_span!("stripe_event", event_id = %event.id, kind = %event.kind);
    let _enter = span.enter();
    let asked = Asked::of(&event, now);
    let mut record =
        WebhookEventItem::received("stripe", &event.id, &event.kind, now, EVENT_TTL_SECS);
    let Some(order) = concerned_order(ctx, &event, &asked, &mut record).await? else {
        return Ok(received());
    };
    record.order_id = Some(order.order_id.clone());
    record.outcome = judge(&event, &asked, &order);
    // Paid: what the order held unpaid counts no more against the customer's limits.
    let transition = match asked.transition.to {
        Some(OrderStatus::Paid) => asked.transition.clone().releasing(&order),
        _ => asked.transition.clone(),
    };
    let now_ms = ferrocart::time::now_unix_ms().max(now * 1000);
    let log = PaymentLogEntry::new(
        &order.order_id,
        &record,
        now_ms,
        asked.facts(),
        record.outcome.clone(),
    );
    // The event, its log entry and the change it asks for, in one transaction (once per event).
    let applied = if log.outcome == "applied" {
        ctx.store
            .apply_payment_event(&record, &order.order_id, &transition, &log, now_ms)
            .await?
    } else {
        ctx.store.record_payment_event(&record, &log).await?
    };
    tracing::info!(order_id = %order.order_id, result = ?applied, "webhook event handled");
    follow_up(ctx, &event, &order, applied).await?;
    Ok(received())
}

/// The event, if the body is within size and signed with our endpoint's secret (400 otherwise).
fn verified_event(ctx: &Context, req: &Request, now: u64) -> Result<Event, ApiError> {
    let body: &[u8] = req.body().as_ref();
    if body.len() > MAX_EVENT_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_EVENT_BYTES,
        });
    }
    let header = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    signature::verify(
        header,
        body,
        ctx.webhook_secret.expose().as_bytes(),
        now,
        signature::DEFAULT_TOLERANCE_SECS,
    )
    .map_err(|e| {
        tracing::warn!(reason = %e, "webhook signature rejected");
        // Like a bad bearer token: the sender is not who it says (Stripe retries any non-2xx).
        ApiError::unauthorized("invalid_signature", e.to_string())
    })?;
    serde_json::from_slice(body).map_err(|_| ApiError::Validation {
        code: "malformed_event",
        message: "the body is not a Stripe event".into(),
        field: None,
    })
}

/// What an event asks of its order, and what it says about the money.
struct Asked {
    /// The PaymentIntent it is about.
    payment_ref: Option<String>,
    transition: OrderTransition,
    amount: Option<i64>,
    currency: Option<String>,
    error_code: Option<String>,
}

impl Asked {
    fn of(event: &Event, now: u64) -> Self {
        let obj = &event.data.object;
        let str_of = |v: &Value| v.as_str().map(str::to_string);
        let at = ferrocart::time::rfc3339(now);
        match event.kind.as_str() {
            "payment_intent.succeeded" => Self {
                payment_ref: str_of(&obj["id"]),
                transition: OrderTransition::to(OrderStatus::Paid)
                    .payment(PaymentStatus::Succeeded, None)
                    .set("paid_at", at),
                amount: obj["amount_received"].as_i64().or(obj["amount"].as_i64()),
                currency: str_of(&obj["currency"]),
                error_code: None,
            },
            "payment_intent.payment_failed" => {
                let err = &obj["last_payment_error"];
                let code = str_of(&err["decline_code"])
                    .or(str_of(&err["code"]))
                    .unwrap_or_else(|| "payment_failed".into());
                Self {
                    payment_ref: str_of(&obj["id"]),
                    // A failed attempt leaves the order waiting for another (until it expires).
                    transition: OrderTransition::record_while(vec![OrderStatus::PendingPayment])
                        .payment(PaymentStatus::Failed, Some(code.clone()))
                        .set("last_payment_error", code.clone()),
                    amount: obj["amount"].as_i64(),
                    currency: str_of(&obj["currency"]),
                    error_code: Some(code),
                }
            }
            "charge.refunded" => {
                let refunded = obj["amount_refunded"].as_i64();
                let transition = if obj["refunded"].as_bool() == Some(true) {
                    OrderTransition::to(OrderStatus::Refunded)
                        .payment(PaymentStatus::Refunded, None)
                        .set("refunded_at", at)
                } else {
                    // Partly refunded: the order stays as it is (any paid status) and records
                    // how much went back, not that it was refunded.
                    let paid = OrderStatus::ALL
                        .into_iter()
                        .filter(|s| s.is_paid())
                        .collect();
                    OrderTransition::record_while(paid)
                        .payment(PaymentStatus::PartiallyRefunded, None)
                        .set("partially_refunded_at", at)
                };
                Self {
                    payment_ref: str_of(&obj["payment_intent"]),
                    transition: transition.set_number("amount_refunded", refunded.unwrap_or(0)),
                    amount: refunded,
                    currency: str_of(&obj["currency"]),
                    error_code: None,
                }
            }
            _ => Self {
                payment_ref: None,
                transition: OrderTransition::none(),
                amount: None,
                currency: None,
                error_code: None,
            },
        }
    }

    /// Whether it asks anything of an order at all.
    fn concerns_an_order(&self) -> bool {
        !self.transition.from.is_empty()
    }

    fn facts(&self) -> PaymentFacts {
        PaymentFacts {
            reference: self.payment_ref.clone().unwrap_or_default(),
            amount: self.amount.unwrap_or(0),
            currency: self.currency.clone().unwrap_or_default(),
            error_code: self.error_code.clone(),
        }
    }
}

/// The order the event is about (ours carry it in metadata; refunds carry only the
/// PaymentIntent). `None` when there is nothing to change on an order: the event is then recorded
/// here, once, with why.
async fn concerned_order(
    ctx: &Context,
    event: &Event,
    asked: &Asked,
    record: &mut WebhookEventItem,
) -> Result<Option<OrderItem>, ApiError> {
    let from_metadata = event.data.object["metadata"]["order_id"]
        .as_str()
        .and_then(OrderId::parse);
    let order_id = match (&asked.payment_ref, from_metadata) {
        (_, Some(id)) => Some(id),
        (Some(pi), None) => ctx
            .store
            .get_payment("stripe", pi)
            .await?
            .map(|p| p.order_id),
        _ => None,
    };
    let order = match &order_id {
        Some(id) if !asked.concerns_an_order() => {
            record.order_id = Some(id.clone());
            None
        }
        Some(id) => ctx.store.get_order(id).await?,
        None => None,
    };
    if order.is_none() {
        if asked.concerns_an_order() {
            record.outcome = "ignored: no order for this payment".into();
        }
        ctx.store.record_webhook_event(record).await?;
        tracing::info!(outcome = %record.outcome, "webhook event recorded");
    }
    Ok(order)
}

/// `applied`, or why the event must not change the order: another payment's, or a paid amount
/// that is not the order's.
fn judge(event: &Event, asked: &Asked, order: &OrderItem) -> String {
    let belongs = order
        .payment
        .as_ref()
        .is_none_or(|p| Some(&p.payment_intent_id) == asked.payment_ref.as_ref());
    let amount_ok = event.kind != "payment_intent.succeeded"
        || (asked.amount == Some(order.total)
            && asked.currency.as_deref() == Some(order.currency.to_ascii_lowercase().as_str()));
    if !belongs {
        "ignored: payment does not belong to this order".into()
    } else if !amount_ok {
        tracing::error!(order_id = %order.order_id, amount = ?asked.amount, currency = ?asked.currency, "paid amount does not match the order");
        "amount_mismatch".into()
    } else {
        "applied".into()
    }
}

/// After the event is recorded: its metric, the paid order sent to fulfilment (once), and the
/// payment-failed email while the order is still unpaid. A redelivered event repeats the sends,
/// which is how a failed one is retried.
async fn follow_up(
    ctx: &Context,
    event: &Event,
    order: &OrderItem,
    applied: ApplyEvent,
) -> Result<(), ApiError> {
    if applied == ApplyEvent::Applied {
        let metric = match event.kind.as_str() {
            "payment_intent.succeeded" => Some(ferrocart::metrics::Metric::PaymentsSucceeded),
            "payment_intent.payment_failed" => Some(ferrocart::metrics::Metric::PaymentsFailed),
            _ => None,
        };
        if let Some(m) = metric {
            ferrocart::metrics::count(m, &[("order_id", order.order_id.as_str())]);
        }
    }
    if event.kind == "payment_intent.succeeded" && applied != ApplyEvent::Ignored {
        ensure_fulfilment_enqueued(ctx, &order.order_id).await?;
    }
    if event.kind == "payment_intent.succeeded" && applied != ApplyEvent::Applied {
        flag_late_payment(ctx, event, &order.order_id).await?;
    }
    // One email per refund: keyed by the event, so a redelivery (a duplicate) asks again and the
    // email consumer sends it once. An ignored refund event's email is recorded as skipped.
    if event.kind == "charge.refunded" && applied != ApplyEvent::Ignored {
        ferrocart::messages::request_refund_email(
            &ctx.sqs,
            &ctx.email_queue_url,
            &order.order_id,
            &event.id,
        )
        .await
        .map_err(ApiError::unavailable)?;
    }
    if event.kind == "payment_intent.payment_failed"
        && applied != ApplyEvent::Ignored
        && order.status == OrderStatus::PendingPayment
    {
        ferrocart::messages::request_emails(
            &ctx.sqs,
            &ctx.email_queue_url,
            &order.order_id,
            &[ferrocart::messages::EmailKind::PaymentFailed],
        )
        .await
        .map_err(ApiError::unavailable)?;
    }
    Ok(())
}

/// Sends the paid order to fulfilment, once: a conditional claim on the order decides who sends;
/// if sending fails the claim is released and the webhook answers 500, so Stripe redelivers and the
/// redelivery sends it.
async fn ensure_fulfilment_enqueued(ctx: &Context, order_id: &OrderId) -> Result<(), ApiError> {
    let Some(order): Option<OrderItem> = ctx.store.get_order(order_id).await? else {
        return Ok(());
    };
    if order.status != OrderStatus::Paid || order.fulfilment_enqueued_at.is_some() {
        return Ok(());
    }
    let queue = &ctx.fulfilment_queue_url;
    let at = ferrocart::time::rfc3339(ferrocart::time::now_unix());
    if !ctx.store.claim_fulfilment_enqueue(order_id, &at).await? {
        return Ok(());
    }
    let body = serde_json::to_string(&ferrocart::messages::OrderPaid::new(order_id.clone()))
        .map_err(ApiError::internal)?;
    if let Err(e) = ctx
        .sqs
        .send_message()
        .queue_url(queue)
        .message_body(body)
        .send()
        .await
    {
        ctx.store.release_fulfilment_claim(order_id).await?;
        return Err(ApiError::unavailable(e));
    }
    tracing::info!(order_id = %order_id, "order sent to fulfilment");
    Ok(())
}

/// A payment that succeeded for an order cancelled meanwhile (its reservation expired while the
/// customer paid) must go back: the order is flagged and put on the due index, and the
/// reconciler refunds it. Checked on every delivery of the event (also duplicates), so a
/// delivery that died before this is finished by the next.
async fn flag_late_payment(
    ctx: &Context,
    event: &Event,
    order_id: &OrderId,
) -> Result<(), ApiError> {
    let Some(order) = ctx.store.get_order(order_id).await? else {
        return Ok(());
    };
    let Some(reference) = event.data.object["id"].as_str() else {
        return Ok(());
    };
    // Whichever PaymentIntent it was (ours carry the order in their metadata), it took money
    // for an order that will never ship.
    if order.status == OrderStatus::Cancelled && order.late_payment.is_none() {
        let now = ferrocart::time::now_unix();
        if ctx
            .store
            .flag_late_payment(order_id, reference, now)
            .await?
        {
            tracing::warn!(order_id = %order_id, payment_intent = reference, "payment succeeded for a cancelled order; the reconciler refunds it");
        }
    }
    Ok(())
}
