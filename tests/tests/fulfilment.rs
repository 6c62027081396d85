//! order-fulfilment's promises beyond the happy journey, each on orders paid in the table (the
//! webhook's own `order.paid` message is never sent), so every delivery is one the test makes:
//! through the local Lambda Invoke API to the function's own binary, as Lambda's SQS poller hands
//! it over, or through the real queue.
//! - Delivered twice, or four times at once, an order ships once: one shipment, its units leave
//!   the warehouse once, each status once, one confirmation and one shipped email.
//! - A batch fails only the messages it cannot fulfil (not paid, unknown, malformed, not enough
//!   stock on hand), and changes nothing for them; through the queue such a message ends in the
//!   dead-letter queue, and once the stock is there the dead-lettered message ships the order.
//! - An order refunded before it shipped is not shipped; its reservation comes back once.
//! - A run that stopped between its two transactions is finished by the next delivery.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart::ids::{OrderId, ProductId};
use ferrocart::keys;
use ferrocart::messages::OrderPaid;
use ferrocart::state::{OrderStatus, PaymentStatus};
use ferrocart::store::details::OrderDetails;
use ferrocart::store::fulfilment::{ShipmentItem, ShipmentLine, StartFulfilment};
use ferrocart::store::payments::{ApplyEvent, OrderTransition, PaymentLogEntry, WebhookEventItem};
use ferrocart_tests::*;
use serde_json::{Value, json};
use std::time::Duration;

const WAREHOUSE: &str = "lon-1"; // where `unpaid_order` stocks its product (5 units)

/// Applies a payment event to the order as the webhook does (event record, order, payment, log and
/// status entry in one transaction; `to_at` is the timestamp it sets, e.g. `paid_at`), without the
/// webhook's follow-up message. The order may be in any status the transition table allows `to`
/// from.
async fn apply_payment(
    order: &OrderId,
    kind: &str,
    (to, to_at): (OrderStatus, &'static str),
    payment_status: PaymentStatus,
) {
    let store = store().await;
    let pi = store
        .get_order(order)
        .await
        .unwrap()
        .unwrap()
        .payment
        .unwrap()
        .payment_intent_id;
    let event_id = format!("evt_test_{}", uuid::Uuid::new_v4().simple());
    let now_ms = ferrocart::time::now_unix_ms();
    let at = ferrocart::time::rfc3339(now_ms / 1000);
    let k = keys::webhook_event("stripe", &event_id);
    let record = WebhookEventItem {
        pk: k.pk,
        sk: k.sk,
        entity: "WebhookEvent".into(),
        provider: "stripe".into(),
        event_id: event_id.clone(),
        kind: kind.into(),
        order_id: Some(order.clone()),
        outcome: "applied".into(),
        received_at: at.clone(),
        ttl: now_ms / 1000 + 86_400,
    };
    let lk = keys::order_payment_log(order, now_ms, &event_id);
    let log = PaymentLogEntry {
        pk: lk.pk,
        sk: lk.sk,
        entity: "PaymentLog".into(),
        provider: "stripe".into(),
        reference: pi,
        kind: kind.into(),
        amount: 990,
        currency: "gbp".into(),
        outcome: "applied".into(),
        error_code: None,
        at,
    };
    let transition = OrderTransition::to(to)
        .payment(payment_status, None)
        .set(to_at, ferrocart::time::rfc3339(now_ms / 1000));
    assert_eq!(
        store
            .apply_payment_event(&record, order, &transition, &log, now_ms)
            .await
            .unwrap(),
        ApplyEvent::Applied
    );
}

/// A fresh customer's one-line order (1 unit of a product stocked only in lon-1), paid.
async fn paid_order(tag: &str) -> (String, OrderId, ProductId) {
    let (email, _, order) = unpaid_order(tag).await;
    let id = OrderId::parse(&order).unwrap();
    apply_payment(
        &id,
        "payment_intent.succeeded",
        (OrderStatus::Paid, "paid_at"),
        PaymentStatus::Succeeded,
    )
    .await;
    let product = details(&id).await.lines[0].product_id.clone();
    (email, id, product)
}

async fn details(id: &OrderId) -> OrderDetails {
    store().await.get_order_details(id).await.unwrap().unwrap()
}

/// (on hand in lon-1, available) of a product.
async fn stock(product: &ProductId) -> (i64, i64) {
    let store = store().await;
    let on_hand = store
        .product_stock(product)
        .await
        .unwrap()
        .iter()
        .find(|s| s.warehouse_id == WAREHOUSE)
        .map(|s| s.quantity)
        .unwrap();
    let available = store
        .get_product(product, true)
        .await
        .unwrap()
        .unwrap()
        .stock_available;
    (on_hand, available)
}

/// Sets a warehouse's on-hand count behind the shop's back (a stock-take found units missing),
/// which the admin API refuses to do below what is reserved.
async fn set_on_hand(product: &ProductId, quantity: i64) {
    let conf = ferrocart::settings::sdk_config().await;
    let k = keys::product_stock(product, WAREHOUSE);
    aws_sdk_dynamodb::Client::new(&conf)
        .update_item()
        .table_name(table_name())
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(k.pk))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(k.sk))
        .update_expression("SET quantity = :q")
        .expression_attribute_values(
            ":q",
            aws_sdk_dynamodb::types::AttributeValue::N(quantity.to_string()),
        )
        .send()
        .await
        .unwrap();
}

fn paid_message(id: &OrderId) -> String {
    serde_json::to_string(&OrderPaid::new(id.clone())).unwrap()
}

async fn deliver(records: &[(&str, &str)]) -> Value {
    invoke(
        "order-fulfilment",
        &sqs_event("ferrocart-fulfilmentqueue", records),
    )
    .await
}

/// `n` deliveries of one message at once (separate sandboxes, as when a message is received twice
/// before its first run finishes), then one more; none may fail.
async fn deliver_at_once_then_again(body: &str, n: usize) {
    let runs = futures::future::join_all(
        (0..n).map(|i| async move { deliver(&[(&format!("m{i}"), body)]).await }),
    )
    .await;
    for r in runs {
        assert_eq!(r, no_failures());
    }
    assert_eq!(deliver(&[("again", body)]).await, no_failures());
}

fn statuses(d: &OrderDetails) -> Vec<&str> {
    d.history.iter().map(|h| h.status.as_str()).collect()
}

fn no_failures() -> Value {
    json!({"batchItemFailures": []})
}

#[tokio::test]
async fn delivered_twice_or_concurrently_an_order_ships_once() {
    let (email, id, product) = paid_order("ship-once").await;
    assert_eq!(stock(&product).await, (5, 4), "1 of 5 reserved at checkout");
    let body = paid_message(&id);

    deliver_at_once_then_again(&body, 4).await;

    let d = details(&id).await;
    assert_eq!(d.order.status, "shipped");
    assert_eq!(
        statuses(&d),
        ["pending_payment", "paid", "fulfilling", "shipped"]
    );
    assert_eq!(d.shipments.len(), 1);
    assert_eq!(d.shipments[0].warehouse_id, WAREHOUSE);
    assert_eq!(
        d.shipments[0].tracking_reference,
        order_fulfilment::tracking_reference(id.as_str(), WAREHOUSE)
    );
    assert_eq!(
        d.shipments[0]
            .lines
            .iter()
            .map(|l| (&l.product_id, l.quantity))
            .collect::<Vec<_>>(),
        [(&product, 1)]
    );
    assert_eq!(
        stock(&product).await,
        (4, 4),
        "the unit left the warehouse once; available moved only at checkout"
    );

    // The emails were requested by every run; the customer got one of each.
    let mails = emails_to(&email, 2, 20).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails_later = emails_to(&email, 3, 1).await;
    assert_eq!(mails.len(), 2, "{mails:#?}");
    assert_eq!(mails_later.len(), 2, "{mails_later:#?}");
    assert!(mails.iter().any(|m| m.subject.contains("confirmed")));
    assert!(
        mails.iter().any(|m| m.subject.contains("shipped")
            && m.body.contains(&d.shipments[0].tracking_reference))
    );
}

#[tokio::test]
async fn a_batch_fails_only_what_it_cannot_fulfil_and_the_dlq_keeps_it() {
    let (_, good, _) = paid_order("batch-good").await;
    let (_, short, short_product) = paid_order("batch-short").await;
    set_on_hand(&short_product, 0).await;
    let (_, _, unpaid) = unpaid_order("batch-unpaid").await;
    let unpaid = OrderId::parse(&unpaid).unwrap();
    let unknown = paid_message(&OrderId::generate());
    let (good_msg, short_msg, unpaid_msg) = (
        paid_message(&good),
        paid_message(&short),
        paid_message(&unpaid),
    );

    let r = deliver(&[
        ("short", &short_msg),
        ("unpaid", &unpaid_msg),
        ("good", &good_msg),
        ("unknown", &unknown),
        ("no-order", r#"{"type": "order.paid"}"#),
        (
            "other-type",
            &good_msg.replace("order.paid", "order.shipped"),
        ),
        ("not-json", "order.paid please"),
    ])
    .await;
    let failed: Vec<&str> = r["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        [
            "short",
            "unpaid",
            "unknown",
            "no-order",
            "other-type",
            "not-json"
        ]
    );
    assert_eq!(details(&good).await.order.status, "shipped");
    let d = details(&short).await;
    assert_eq!((d.order.status.as_str(), d.shipments.len()), ("paid", 0));
    assert_eq!(stock(&short_product).await, (0, 4), "nothing moved");
    let d = details(&unpaid).await;
    assert_eq!(
        (d.order.status.as_str(), d.shipments.len()),
        ("pending_payment", 0)
    );

    // Through the queue: received 5 times (the local stack retries after 1 s; AWS after the
    // visibility timeout), then moved to the dead-letter queue by SQS.
    let sqs = sqs_client().await;
    let (queue, dlq) = (
        queue_url(&sqs, "ferrocart-fulfilmentqueue").await,
        queue_url(&sqs, "ferrocart-fulfilmentdlq").await,
    );
    sqs.send_message()
        .queue_url(&queue)
        .message_body(&short_msg)
        .send()
        .await
        .unwrap();
    let dead = dead_letters(&sqs, &dlq, &[&short_msg], &short_msg, 60).await;
    assert!(
        dead.contains(&short_msg),
        "the message is in the DLQ within 60 s"
    );
    assert_eq!(details(&short).await.order.status, "paid");

    // The units turn up; the dead-lettered message, redriven, ships the order.
    set_on_hand(&short_product, 5).await;
    assert_eq!(deliver(&[("redriven", &short_msg)]).await, no_failures());
    let d = details(&short).await;
    assert_eq!((d.order.status.as_str(), d.shipments.len()), ("shipped", 1));
    assert_eq!(stock(&short_product).await, (4, 4));
}

#[tokio::test]
async fn refunded_before_it_ships_the_reservation_comes_back_once() {
    let (email, id, product) = paid_order("refund-first").await;
    apply_payment(
        &id,
        "charge.refunded",
        (OrderStatus::Refunded, "refunded_at"),
        PaymentStatus::Refunded,
    )
    .await;
    let body = paid_message(&id);
    deliver_at_once_then_again(&body, 2).await;

    let d = details(&id).await;
    assert_eq!(d.order.status, "refunded");
    assert!(d.order.fulfilling_at.is_none() && d.shipments.is_empty());
    assert_eq!(statuses(&d), ["pending_payment", "paid", "refunded"]);
    assert_eq!(
        stock(&product).await,
        (5, 5),
        "the reserved unit is available again, once; nothing left the warehouse"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        emails_to(&email, 1, 1).await.is_empty(),
        "no confirmation or shipped email for a refunded order"
    );
}

#[tokio::test]
async fn a_run_that_stopped_between_its_transactions_is_finished_by_the_next() {
    let (email, id, product) = paid_order("half-way").await;
    // What a run had done when it stopped: the order allocated and its unit out of the warehouse
    // (transaction 1), neither marked shipped nor the shipped email requested.
    let d = details(&id).await;
    let tracking = order_fulfilment::tracking_reference(id.as_str(), WAREHOUSE);
    let shipment = ShipmentItem::new(
        &id,
        WAREHOUSE,
        vec![ShipmentLine {
            product_id: product.clone(),
            name: d.lines[0].name.clone(),
            quantity: 1,
        }],
        "Ferrocart Post",
        tracking.clone(),
        ferrocart::time::rfc3339(ferrocart::time::now_unix()),
    );
    assert_eq!(
        store()
            .await
            .start_fulfilment(&d.order, &[shipment], ferrocart::time::now_unix_ms())
            .await
            .unwrap(),
        StartFulfilment::Started
    );
    assert_eq!(details(&id).await.order.status, "fulfilling");

    assert_eq!(
        deliver(&[("retry", &paid_message(&id))]).await,
        no_failures()
    );
    let d = details(&id).await;
    assert_eq!(
        statuses(&d),
        ["pending_payment", "paid", "fulfilling", "shipped"]
    );
    assert_eq!(d.shipments.len(), 1);
    assert_eq!(stock(&product).await, (4, 4), "the unit left once");
    let mails = emails_to(&email, 2, 20).await;
    assert_eq!(mails.len(), 2, "{mails:#?}");
    assert!(
        mails
            .iter()
            .any(|m| m.subject.contains("shipped") && m.body.contains(&tracking))
    );
}
