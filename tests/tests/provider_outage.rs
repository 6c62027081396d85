//! A payment-provider outage during checkout: the order stays reserved (`pending_payment`) and the
//! same request, retried with the same Idempotency-Key once the provider is back, finishes it.
//! Runs the real checkout handler in-process against the local stack's DynamoDB and queues, first
//! with the provider unreachable, then with the local Stripe stand-in.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use checkout::Context;
use ferrocart::ids::{OrderId, ProductId};
use ferrocart::settings::Settings;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart_tests::*;
use lambda_http::{Body, Request};
use serde_json::{Value, json};
use std::collections::HashMap;

async fn context(stripe_base: &str) -> Context {
    let secrets = local_secrets();
    let (jwt, stripe) = (&secrets["JwtSecret"], &secrets["StripeApiKey"]);
    let vars: HashMap<&str, String> = HashMap::from([
        ("TABLE_NAME", table_name()),
        ("JWT_SECRET", jwt.as_str().unwrap().to_string()),
        ("STRIPE_API_BASE", stripe_base.to_string()),
        (
            "STRIPE_SECRET_KEY",
            stripe["STRIPE_SECRET_KEY"].as_str().unwrap().to_string(),
        ),
        (
            "ORDER_EXPIRY_QUEUE_URL",
            "http://127.0.0.1:4566/123456789012/ferrocart-orderexpiryqueue".to_string(),
        ),
    ]);
    let settings = Settings::from_pairs(vars.into_iter().map(|(k, v)| (k.to_string(), v)));
    let startup = Startup::new(ferrocart::settings::sdk_config().await, settings);
    Context::from_startup(&startup).unwrap()
}

fn request(token: &str, key: &str) -> Request {
    let body = json!({"shipping_address": {"name": "O", "line1": "L", "city": "C", "postal_code": "1012 LG", "country": "NL"}});
    lambda_http::http::Request::builder()
        .method("POST")
        .uri("/checkout")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(Body::Text(body.to_string()))
        .unwrap()
}

async fn run(ctx: &Context, token: &str, key: &str) -> (u16, Value) {
    let resp = match checkout::handle(ctx, request(token, key)).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    let status = resp.status().as_u16();
    (
        status,
        serde_json::from_slice(resp.body().as_ref()).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_provider_outage_leaves_the_order_reserved_and_a_retry_finishes_it() {
    let admin = admin_token().await;
    let p = call("POST", "/admin/products", Some(&admin), Some(&json!({"name": "Outage", "category": "bath", "brand": "tern", "price": 2100, "currency": "EUR", "status": "active"}))).await;
    let pid = p.json["product_id"].as_str().unwrap().to_string();
    call(
        "PUT",
        &format!("/admin/products/{pid}/stock"),
        Some(&admin),
        Some(&json!({"warehouses": [{"warehouse_id": "ams-1", "quantity": 4}]})),
    )
    .await;
    let (_, _, pair) = new_customer("outage").await;
    let token = pair["access_token"].as_str().unwrap().to_string();
    call(
        "POST",
        "/cart/items",
        Some(&token),
        Some(&json!({"product_id": pid, "quantity": 1})),
    )
    .await;

    // Port 9 (discard) on loopback: nothing listens, so the provider is unreachable.
    let down = context("http://127.0.0.1:9").await;
    let (status, body) = run(&down, &token, "outage-1").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("payment_provider_unavailable")),
        "{body}"
    );
    let store = store().await;
    assert_eq!(
        store
            .get_product(&ProductId::parse(&pid).unwrap(), true)
            .await
            .unwrap()
            .unwrap()
            .stock_available,
        3,
        "reserved"
    );
    let orders = call("GET", "/orders", Some(&token), None).await;
    let items = orders.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["status"], "pending_payment");
    let order_id = items[0]["order_id"].as_str().unwrap().to_string();
    assert!(
        store
            .get_order(&OrderId::parse(&order_id).unwrap())
            .await
            .unwrap()
            .unwrap()
            .payment
            .is_none()
    );

    // The provider is back; the client retries the same request with the same key.
    let up = context("http://127.0.0.1:8420").await;
    let (status, body) = run(&up, &token, "outage-1").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["order_id"],
        order_id.as_str(),
        "the same order, finished"
    );
    assert!(body["payment"]["client_secret"].is_string());
    assert_eq!(
        store
            .get_product(&ProductId::parse(&pid).unwrap(), true)
            .await
            .unwrap()
            .unwrap()
            .stock_available,
        3,
        "reserved once"
    );
    assert_eq!(
        call("GET", "/orders", Some(&token), None).await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // And from now on the answer is replayed.
    let (status, again) = run(&up, &token, "outage-1").await;
    assert_eq!((status, again), (201, body));
}
