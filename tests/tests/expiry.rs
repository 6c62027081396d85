//! Reservation expiry: an order unpaid at its deadline is cancelled and its stock returned exactly
//! once; paid orders, early messages and duplicates change nothing; a late payment never revives it.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart::ids::OrderId;
use ferrocart::payments::signature;
use ferrocart_tests::*;
use serde_json::{Value, json};

async fn product(stock: i64) -> String {
    let admin = admin_token().await;
    let p = call("POST", "/admin/products", Some(&admin), Some(&json!({"name": "Reserved", "category": "bath", "brand": "tern", "price": 800, "currency": "EUR", "status": "active"}))).await;
    let id = p.json["product_id"].as_str().unwrap().to_string();
    call(
        "PUT",
        &format!("/admin/products/{id}/stock"),
        Some(&admin),
        Some(&json!({"warehouses": [{"warehouse_id": "ber-1", "quantity": stock}]})),
    )
    .await;
    id
}

async fn order_for(product: &str, quantity: i64) -> (String, Value) {
    let (_, _, pair) = new_customer("expiring").await;
    let t = pair["access_token"].as_str().unwrap().to_string();
    call(
        "POST",
        "/cart/items",
        Some(&t),
        Some(&json!({"product_id": product, "quantity": quantity})),
    )
    .await;
    let r = send(client().post(format!("{}/checkout", api_url())).bearer_auth(&t).header("idempotency-key", "exp-1")
        .json(&json!({"shipping_address": {"name": "E", "line1": "L", "city": "C", "postal_code": "10115", "country": "DE"}}))).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    (t, r.json)
}

async fn order_status(token: &str, order: &Value) -> (String, Vec<String>) {
    let r = call(
        "GET",
        &format!("/orders/{}", order["order_id"].as_str().unwrap()),
        Some(token),
        None,
    )
    .await;
    let history = r.json["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap().to_string())
        .collect();
    (r.json["status"].as_str().unwrap().to_string(), history)
}

async fn payment_intent_status(id: &str) -> String {
    stripe_get(&format!("/v1/payment_intents/{id}")).await["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Delivers a correctly signed `payment_intent.succeeded` for the order to the webhook.
async fn deliver_payment_succeeded(order: &Value) -> u16 {
    let pi = order["payment"]["payment_intent_id"].as_str().unwrap();
    let body = json!({"id": format!("evt_{}", uuid::Uuid::new_v4().simple()), "object": "event", "type": "payment_intent.succeeded",
        "data": {"object": {"id": pi, "amount": order["total"], "amount_received": order["total"], "currency": "eur",
        "metadata": {"order_id": order["order_id"]}}}}).to_string();
    let secret = local_webhook_secret();
    let header = signature::sign(
        body.as_bytes(),
        secret.as_bytes(),
        ferrocart::time::now_unix(),
    );
    send(
        client()
            .post(format!("{}/payments/webhook", api_url()))
            .header("stripe-signature", header)
            .header("content-type", "application/json")
            .body(body),
    )
    .await
    .status
}

#[tokio::test]
async fn checkout_schedules_the_expiry() {
    let p = product(5).await;
    let (_, order) = order_for(&p, 1).await;
    let o = store()
        .await
        .get_order(&OrderId::parse(order["order_id"].as_str().unwrap()).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(o.expiry_scheduled_at.is_some());
    assert!(
        o.expires_at > ferrocart::time::now_unix() + 800,
        "15 minutes by default"
    );
}

#[tokio::test]
async fn an_unpaid_order_is_cancelled_and_its_stock_returned_once() {
    let p = product(5).await;
    let (t, order) = order_for(&p, 3).await;
    assert_eq!(stock_available(&p).await, 2);
    // Early: nothing happens (the message is sent again for the remaining time).
    let early = invoke("order-expiry", &expiry_event(&order, 0)).await;
    assert_eq!(early, json!({"batchItemFailures": []}));
    assert_eq!(order_status(&t, &order).await.0, "pending_payment");
    assert_eq!(stock_available(&p).await, 2);
    expire_now(&order).await;
    let event = expiry_event(&order, 0);
    // Delivered three times, twice at once: one cancellation, stock back once.
    let results = futures::future::join_all((0..2).map(|_| invoke("order-expiry", &event))).await;
    assert!(
        results
            .iter()
            .all(|r| *r == json!({"batchItemFailures": []})),
        "{results:?}"
    );
    assert_eq!(
        invoke("order-expiry", &event).await,
        json!({"batchItemFailures": []})
    );
    assert_eq!(stock_available(&p).await, 5);
    let (status, history) = order_status(&t, &order).await;
    assert_eq!(
        (status.as_str(), history),
        (
            "cancelled",
            vec!["pending_payment".to_string(), "cancelled".to_string()]
        )
    );
    // The payment can no longer be made at the provider.
    let pi = order["payment"]["payment_intent_id"].as_str().unwrap();
    assert_eq!(payment_intent_status(pi).await, "canceled");
    // A success reported late never revives it.
    assert_eq!(deliver_payment_succeeded(&order).await, 200);
    assert_eq!(order_status(&t, &order).await.0, "cancelled");
    assert_eq!(stock_available(&p).await, 5);
}

#[tokio::test]
async fn a_paid_order_is_never_expired() {
    let p = product(5).await;
    let (t, order) = order_for(&p, 1).await;
    assert_eq!(deliver_payment_succeeded(&order).await, 200);
    expire_now(&order).await;
    assert_eq!(
        invoke("order-expiry", &expiry_event(&order, 0)).await,
        json!({"batchItemFailures": []})
    );
    let (status, history) = order_status(&t, &order).await;
    assert!(
        ["paid", "fulfilling", "shipped"].contains(&status.as_str()),
        "{status}"
    );
    assert!(!history.contains(&"cancelled".to_string()));
    // The reservation became a shipment, it was not returned.
    assert_eq!(stock_available(&p).await, 4);
}
