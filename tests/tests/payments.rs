//! The payment webhook and order history through the local HTTP API: Stripe's signature scheme
//! exactly, events recorded once (also when delivered concurrently), orders only moving forward,
//! one fulfilment message per paid order, and another user's order a 404.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart::ids::OrderId;
use ferrocart::payments::signature;
use ferrocart_tests::*;
use serde_json::{Value, json};

fn webhook_secret() -> String {
    local_webhook_secret()
}

fn now() -> u64 {
    ferrocart::time::now_unix()
}

/// A shopper with a placed order: (token, checkout response).
async fn placed_order() -> (String, Value) {
    let admin = admin_token().await;
    let p = call("POST", "/admin/products", Some(&admin), Some(&json!({"name": "Payable", "category": "bath", "brand": "tern", "price": 1500, "currency": "EUR", "status": "active"}))).await;
    let pid = p.json["product_id"].as_str().unwrap().to_string();
    call(
        "PUT",
        &format!("/admin/products/{pid}/stock"),
        Some(&admin),
        Some(&json!({"warehouses": [{"warehouse_id": "ams-1", "quantity": 10}]})),
    )
    .await;
    let (_, _, pair) = new_customer("payer").await;
    let t = pair["access_token"].as_str().unwrap().to_string();
    call(
        "POST",
        "/cart/items",
        Some(&t),
        Some(&json!({"product_id": pid, "quantity": 2})),
    )
    .await;
    let r = send(client().post(format!("{}/checkout", api_url())).bearer_auth(&t).header("idempotency-key", "pay-1")
        .json(&json!({"shipping_address": {"name": "P", "line1": "L", "city": "C", "postal_code": "1012 LG", "country": "NL"}}))).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    (t, r.json)
}

async fn order_view(token: &str, order: &Value) -> Value {
    let r = call(
        "GET",
        &format!("/orders/{}", order["order_id"].as_str().unwrap()),
        Some(token),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json
}

fn statuses(view: &Value) -> Vec<String> {
    view["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap().to_string())
        .collect()
}

/// Clearly outside the webhook's timestamp tolerance, however long the request takes to arrive (a
/// 1 s margin failed when a second boundary passed between signing and checking; the exact
/// boundary is unit-tested in `signature.rs`).
const OUTSIDE_TOLERANCE: u64 = signature::DEFAULT_TOLERANCE_SECS + 60;

#[tokio::test]
async fn only_correctly_signed_events_are_accepted() {
    let (t, order) = placed_order().await;
    let body = succeeded(&evt_id(), &order);
    let secret = webhook_secret();
    // One timestamp for every signature and header: a header's t must be the t its v1 was
    // computed with, and a second may pass while the cases below are delivered.
    let ts = now();
    let good = signature::sign(body.as_bytes(), secret.as_bytes(), ts);
    let v1 = good.split("v1=").nth(1).unwrap().to_string();
    let tampered = body.replace("\"amount\":3495", "\"amount\":1");
    assert_ne!(tampered, body);
    for (label, b, header) in [
        ("missing header", body.clone(), None),
        (
            "wrong secret",
            body.clone(),
            Some(signature::sign(body.as_bytes(), b"whsec_wrong", ts)),
        ),
        ("tampered body", tampered.clone(), Some(good.clone())),
        (
            "stale timestamp",
            body.clone(),
            Some(signature::sign(
                body.as_bytes(),
                secret.as_bytes(),
                ts - OUTSIDE_TOLERANCE,
            )),
        ),
        (
            "future timestamp",
            body.clone(),
            Some(signature::sign(
                body.as_bytes(),
                secret.as_bytes(),
                ts + OUTSIDE_TOLERANCE,
            )),
        ),
        ("v0 only", body.clone(), Some(format!("t={ts},v0={v1}"))),
        ("garbage", body.clone(), Some("nonsense".into())),
    ] {
        let r = deliver(&b, header).await;
        assert_eq!((r.status, r.code()), (401, "invalid_signature"), "{label}");
    }
    assert_eq!(
        order_view(&t, &order).await["status"],
        "pending_payment",
        "nothing changed"
    );
    // Several v1 signatures (a rolled secret): any one may match.
    let other = signature::sign(body.as_bytes(), b"whsec_old", ts);
    let old_v1 = other.split("v1=").nth(1).unwrap();
    let header = format!("t={ts},v1={old_v1},v1={v1}");
    let r = deliver(&body, Some(header)).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert!(paid_or_later(&order_view(&t, &order).await));
}

/// Paid, or already further along (order-fulfilment picks paid orders up at once).
fn paid_or_later(view: &Value) -> bool {
    ["paid", "fulfilling", "shipped"].contains(&view["status"].as_str().unwrap_or_default())
}

#[tokio::test]
async fn one_event_delivered_five_times_at_once_pays_once_and_enqueues_once() {
    let (t, order) = placed_order().await;
    let body = succeeded(&evt_id(), &order);
    let results = futures::future::join_all((0..5).map(|_| deliver_signed(&body))).await;
    assert!(
        results.iter().all(|r| r.status == 200),
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let view = order_view(&t, &order).await;
    assert!(paid_or_later(&view), "{view}");
    assert!(view["paid_at"].is_string());
    // Exactly one fulfilment message for this order (the local meter logs what functions send;
    // order-fulfilment consumes the queue at once).
    let order_id = order["order_id"].as_str().unwrap();
    let sent_for_order = || async {
        sent_messages("ferrocart-fulfilmentqueue")
            .await
            .into_iter()
            .filter(|m| m["order_id"] == order_id)
            .collect::<Vec<_>>()
    };
    let sent = sent_for_order().await;
    assert_eq!(sent.len(), 1, "one fulfilment message per paid order");
    assert_eq!(sent[0]["type"], "order.paid");
    // It shipped once: each status once, in order.
    let view = wait_for_order(&t, order_id, 30, |v| v["status"] == "shipped").await;
    assert_eq!(
        statuses(&view),
        ["pending_payment", "paid", "fulfilling", "shipped"],
        "changed once"
    );
    // Redelivered later: still nothing new.
    assert_eq!(deliver_signed(&body).await.status, 200);
    assert_eq!(
        statuses(&order_view(&t, &order).await),
        ["pending_payment", "paid", "fulfilling", "shipped"]
    );
    assert_eq!(sent_for_order().await.len(), 1);
}

#[tokio::test]
async fn orders_only_move_forward_whatever_the_event_order() {
    let (t, order) = placed_order().await;
    let pi = order["payment"]["payment_intent_id"].as_str().unwrap();
    assert_eq!(
        deliver_signed(&succeeded(&evt_id(), &order)).await.status,
        200
    );
    // A failure reported late does not un-pay.
    let failed = event(
        &evt_id(),
        "payment_intent.payment_failed",
        json!({"id": pi, "amount": order["total"], "currency": "eur",
        "metadata": {"order_id": order["order_id"]}, "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds"}}),
    );
    assert_eq!(deliver_signed(&failed).await.status, 200);
    assert!(paid_or_later(&order_view(&t, &order).await));
    // Refunded (the charge event carries only the PaymentIntent).
    let refund = event(
        &evt_id(),
        "charge.refunded",
        json!({"id": "ch_1", "object": "charge", "payment_intent": pi,
        "amount": order["total"], "amount_refunded": order["total"], "currency": "eur", "refunded": true}),
    );
    assert_eq!(deliver_signed(&refund).await.status, 200);
    assert_eq!(order_view(&t, &order).await["status"], "refunded");
    // A late (re-sent, new id) success never un-refunds.
    assert_eq!(
        deliver_signed(&succeeded(&evt_id(), &order)).await.status,
        200
    );
    let view = order_view(&t, &order).await;
    assert_eq!(view["status"], "refunded");
    // Refunded from wherever fulfilment had got to; never moved back.
    let history = statuses(&view);
    assert_eq!(history[..2], ["pending_payment", "paid"]);
    assert_eq!(history.last().map(String::as_str), Some("refunded"));
    assert_eq!(history.iter().filter(|s| *s == "refunded").count(), 1);
}

#[tokio::test]
async fn failed_payments_are_recorded_and_wrong_amounts_never_pay() {
    let (t, order) = placed_order().await;
    let pi = order["payment"]["payment_intent_id"].as_str().unwrap();
    let failed = event(
        &evt_id(),
        "payment_intent.payment_failed",
        json!({"id": pi, "amount": order["total"], "currency": "eur",
        "metadata": {"order_id": order["order_id"]}, "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds"}}),
    );
    assert_eq!(deliver_signed(&failed).await.status, 200);
    let view = order_view(&t, &order).await;
    assert_eq!(
        (
            view["status"].as_str(),
            view["payment"]["last_error"].as_str()
        ),
        (Some("pending_payment"), Some("insufficient_funds"))
    );
    let mut cheap: Value = serde_json::from_str(&succeeded(&evt_id(), &order)).unwrap();
    cheap["data"]["object"]["amount_received"] = json!(1);
    assert_eq!(deliver_signed(&cheap.to_string()).await.status, 200);
    assert_eq!(
        order_view(&t, &order).await["status"],
        "pending_payment",
        "1 cent does not pay a 30 EUR order"
    );
    // Unknown event types are accepted and ignored.
    let other = event(&evt_id(), "customer.created", json!({"id": "cus_1"}));
    assert_eq!(deliver_signed(&other).await.status, 200);
    // A correctly signed body that is not an event is a 400.
    let r = deliver_signed("{\"hello\": 1}").await;
    assert_eq!((r.status, r.code()), (400, "malformed_event"));
}

#[tokio::test]
async fn my_orders_newest_first_and_nobody_elses() {
    let (t, first) = placed_order().await;
    let r = call("GET", "/orders", Some(&t), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["items"][0]["order_id"], first["order_id"]);
    assert_eq!(r.json["next_cursor"], Value::Null);
    // Another user sees none of it, and gets 404 for the id, as for an id that does not exist.
    let (_, _, other) = new_customer("snoop").await;
    let other = other["access_token"].as_str().unwrap();
    let r = call("GET", "/orders", Some(other), None).await;
    assert_eq!(r.json["items"], json!([]));
    let path = format!("/orders/{}", first["order_id"].as_str().unwrap());
    let theirs = call("GET", &path, Some(other), None).await;
    let missing = call(
        "GET",
        &format!("/orders/{}", OrderId::generate()),
        Some(other),
        None,
    )
    .await;
    assert_eq!((theirs.status, missing.status), (404, 404));
    assert_eq!(theirs.json, missing.json);
    assert_eq!(
        call("GET", "/orders/not-an-id", Some(&t), None)
            .await
            .status,
        404
    );
    for (q, status) in [
        ("limit=0", 400),
        ("limit=2&extra=1", 400),
        ("cursor=ORDER%23x", 422), // valid by the schema, not a cursor this API issued
    ] {
        assert_eq!(
            call("GET", &format!("/orders?{q}"), Some(&t), None)
                .await
                .status,
            status,
            "{q}"
        );
    }
    // The owner's view has lines, totals and history.
    let v = order_view(&t, &first).await;
    assert_eq!(
        (v["total"].as_i64(), v["lines"][0]["quantity"].as_i64()),
        (Some(3000 + 495), Some(2)),
        "two at €15.00, standard shipping to the Netherlands €4.95"
    );
    assert_eq!(statuses(&v), ["pending_payment"]);
    assert_eq!(call("GET", "/orders", None, None).await.status, 401);
}

async fn wait_for(token: &str, order: &Value, pred: impl Fn(&Value) -> bool) -> Value {
    let start = std::time::Instant::now();
    loop {
        let v = order_view(token, order).await;
        if pred(&v) {
            return v;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "order never got there: {v}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn a_test_card_payment_at_the_stripe_fake_marks_the_order_paid() {
    // The stand-in's own signed webhook (registered by the local stack) does the rest.
    let (t, order) = placed_order().await;
    let pi = order["payment"]["payment_intent_id"].as_str().unwrap();
    assert_eq!(pay_at_stripe_fake(pi, "4242424242424242").await, 200);
    let v = wait_for(&t, &order, paid_or_later).await;
    assert_eq!(statuses(&v)[..2], ["pending_payment", "paid"]);
    let payment = store()
        .await
        .get_payment("stripe", pi)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (payment.status.as_str(), payment.amount),
        ("succeeded", 3495)
    );

    let (t, order) = placed_order().await;
    let pi = order["payment"]["payment_intent_id"].as_str().unwrap();
    assert_eq!(
        pay_at_stripe_fake(pi, "4000000000000341").await,
        402,
        "the declining test card"
    );
    let v = wait_for(&t, &order, |v| v["payment"]["last_error"].is_string()).await;
    assert_eq!(
        (v["status"].as_str(), v["payment"]["last_error"].as_str()),
        (Some("pending_payment"), Some("card_declined"))
    );
    let payment = store()
        .await
        .get_payment("stripe", pi)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            payment.status.as_str(),
            payment.last_response_code.as_deref()
        ),
        ("failed", Some("card_declined"))
    );
}
