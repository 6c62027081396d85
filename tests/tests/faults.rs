//! The money path under injected AWS and Stripe faults (the local stack's fault layer,
//! infra/cli/src/faults.rs): each hole a fault opened, shown closed. Every rule is narrowed to
//! one test's order (`matching`), and the tests take turns with the one fault plan.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart_tests::*;
use serde_json::{Value, json};

/// One fault plan at a time: the tests in this file take turns.
static PLAN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn order_status(token: &str, order_id: &str) -> String {
    let r = call("GET", &format!("/orders/{order_id}"), Some(token), None).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json["status"].as_str().unwrap().to_string()
}

fn rule(target: &str, kind: &str, op: &str, function: &str, matching: &str, times: u64) -> Value {
    json!({"target": target, "kind": kind, "op": op, "function": function,
           "matching": matching, "times": times})
}

/// Hole 1: a `TransactionConflict` on the webhook's transaction was answered as a duplicate
/// (200, nothing recorded): the payment was lost. Now it is retried, and if it keeps
/// conflicting the webhook answers 503 so Stripe delivers it again.
#[tokio::test]
async fn a_conflict_on_the_payment_transaction_never_loses_the_payment() {
    let _turn = PLAN.lock().await;
    let (_, token, order) = placed_order("conflicted").await;
    let id = order["order_id"].as_str().unwrap();

    // One conflict: retried inside the webhook.
    set_faults(&json!({"seed": 1, "rules": [
        rule("dynamodb", "conflict", "TransactWriteItems", "PaymentWebhookFunction", id, 1)]}))
    .await;
    let r = deliver_signed(&succeeded(&evt_id(), &order)).await;
    let report = faults_off().await;
    assert_eq!(report["injected"][0], 1, "{report}");
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(order_status(&token, id).await, "paid");

    // Conflicts on every attempt: a retryable 503, the order unchanged, and Stripe's next
    // delivery of the same event pays it.
    let (_, token, order) = placed_order("conflicted-long").await;
    let id = order["order_id"].as_str().unwrap();
    let event = succeeded(&evt_id(), &order);
    set_faults(&json!({"seed": 1, "rules": [
        rule("dynamodb", "conflict", "TransactWriteItems", "PaymentWebhookFunction", id, 100)]}))
    .await;
    let r = deliver_signed(&event).await;
    let report = faults_off().await;
    assert_eq!(r.status, 503, "{:?}", r.json);
    assert_eq!(r.headers["retry-after"], "1");
    assert!(report["injected"][0].as_u64().unwrap() >= 2, "{report}");
    assert_eq!(order_status(&token, id).await, "pending_payment");
    let r = deliver_signed(&event).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(order_status(&token, id).await, "paid");
}
