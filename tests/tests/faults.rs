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

/// Hole 9: checkout tried a conflicted transaction 3 times within 100 ms, so in a flash sale
/// buyers were refused while stock remained. Now it backs off and tries up to 8 times, and
/// if the conflicts outlast that, answers a retryable 503 (the same key places the order).
#[tokio::test]
async fn a_checkout_outlasts_conflicts_on_its_transaction() {
    let _turn = PLAN.lock().await;
    let (_, token, product) = shopper_with_cart("contended", 990).await;
    set_faults(&json!({"seed": 2, "rules": [
        rule("dynamodb", "conflict", "TransactWriteItems", "CheckoutFunction", &product, 6)]}))
    .await;
    let r = checkout(&token, "contended-1").await;
    let report = faults_off().await;
    assert_eq!(report["injected"][0], 6, "{report}");
    assert_eq!(r.status, 201, "{:?}", r.json);

    let (_, token, product) = shopper_with_cart("contended-long", 990).await;
    set_faults(&json!({"seed": 2, "rules": [
        rule("dynamodb", "conflict", "TransactWriteItems", "CheckoutFunction", &product, 1000)]}))
    .await;
    let r = checkout(&token, "contended-2").await;
    faults_off().await;
    assert_eq!(r.status, 503, "{:?}", r.json);
    assert_eq!(r.code(), "checkout_busy");
    let r = checkout(&token, "contended-2").await;
    assert_eq!(r.status, 201, "{:?}", r.json);
}

/// Hole 2: a checkout whose payment step failed, retried after expiry cancelled its order, got
/// 201 with a live client secret. Now the order's status is checked (and the payment is
/// recorded only on an order still awaiting it): a 409, and the same answer on every retry.
#[tokio::test]
async fn a_retried_checkout_never_opens_a_payment_for_a_cancelled_order() {
    let _turn = PLAN.lock().await;
    let (_, token, product) = shopper_with_cart("expired-retry", 990).await;
    set_faults(&json!({"seed": 3, "rules": [
        {"target": "stripe", "kind": "server_error", "op": "POST /v1/payment_intents", "times": 1}]}))
    .await;
    let r = checkout(&token, "expired-retry").await;
    let report = faults_off().await;
    assert_eq!(report["injected"][0], 1, "{report}");
    assert_eq!(r.status, 503, "{:?}", r.json);
    assert_eq!(r.code(), "payment_provider_unavailable");
    let orders = call("GET", "/orders", Some(&token), None).await;
    let order = orders.json["items"][0].clone();
    assert_eq!(order["status"], "pending_payment", "{order}");

    // The reservation expires; expiry cancels the order and returns the unit.
    expire_now(&order).await;
    invoke("order-expiry", &expiry_event(&order, 0)).await;
    let id = order["order_id"].as_str().unwrap();
    assert_eq!(order_status(&token, id).await, "cancelled");

    for _ in 0..2 {
        let r = checkout(&token, "expired-retry").await;
        assert_eq!(r.status, 409, "{:?}", r.json);
        assert_eq!(r.code(), "order_closed");
        assert!(r.json.get("payment").is_none(), "{:?}", r.json);
    }
    assert_eq!(stock_available(&product).await, 5);
}

/// Hole 4: order-expiry worked through a batch one message at a time, up to three Stripe calls
/// each: a slow Stripe timed the whole invocation out, and every message (the fast ones too)
/// was retried until it dead-lettered, stock held. Now the messages run side by side and the
/// slow ones fail alone before the deadline: four orders whose PaymentIntent lookups take 9 s
/// each (36 s in a row, more than the 30 s timeout) and one that is fast.
#[tokio::test]
async fn a_slow_provider_fails_only_the_expiry_messages_that_waited_on_it() {
    let _turn = PLAN.lock().await;
    let mut orders = Vec::new();
    for i in 0..5 {
        let (_, token, order) = placed_order(&format!("slow-expiry-{i}")).await;
        expire_now(&order).await;
        orders.push((token, order));
    }
    let rules: Vec<Value> = orders[..4]
        .iter()
        .map(|(_, o)| {
            json!({"target": "stripe", "kind": "timeout", "delay_ms": 9000, "times": 1,
                   "op": "GET /v1/payment_intents/",
                   "matching": o["payment"]["payment_intent_id"]})
        })
        .collect();
    set_faults(&json!({"seed": 4, "rules": rules})).await;
    let records: Vec<Value> = orders
        .iter()
        .map(|(_, o)| expiry_event(o, 0)["Records"][0].clone())
        .collect();
    let started = std::time::Instant::now();
    let answer = invoke("order-expiry", &json!({"Records": records})).await;
    let took = started.elapsed();
    let report = faults_off().await;
    assert_eq!(report["by_kind"]["stripe timeout"], 4, "{report}");
    let failed: Vec<&str> = answer["batchItemFailures"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    let slow: Vec<&str> = records[..4]
        .iter()
        .map(|r| r["messageId"].as_str().unwrap())
        .collect();
    assert_eq!(failed.len(), 4, "{answer}");
    assert!(failed.iter().all(|f| slow.contains(f)), "{answer}");
    assert!(took < std::time::Duration::from_secs(25), "{took:?}");
    let (token, fast) = &orders[4];
    assert_eq!(
        order_status(token, fast["order_id"].as_str().unwrap()).await,
        "cancelled"
    );
    for (token, o) in &orders[..4] {
        assert_eq!(
            order_status(token, o["order_id"].as_str().unwrap()).await,
            "pending_payment"
        );
    }
}

/// The email kinds functions asked for about this order, in order.
async fn email_requests(order_id: &str) -> Vec<String> {
    sent_messages("ferrocart-emailqueue")
        .await
        .into_iter()
        .filter(|m| m["order_id"] == order_id)
        .map(|m| m["kind"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn wait_for_status(token: &str, id: &str, want: &str) {
    for _ in 0..100 {
        if order_status(token, id).await == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "order {id} never became {want}: {}",
        order_status(token, id).await
    );
}

fn refund(order: &Value, amount: i64) -> String {
    event(
        &evt_id(),
        "charge.refunded",
        json!({"id": format!("ch_{}", uuid::Uuid::new_v4().simple()), "object": "charge",
        "payment_intent": order["payment"]["payment_intent_id"], "amount": order["total"],
        "amount_refunded": amount, "currency": "gbp",
        "refunded": amount == order["total"].as_i64().unwrap()}),
    )
}

/// Hole 6: a partial refund set `refunded_at` on an order that stays paid; and an order refunded
/// in full while fulfilment held it between its two transactions had its shipped email
/// requested anyway (refused by the email consumer until the DLQ). Now a partial refund
/// records the amount and when, and the refunded order gets no shipped email.
#[tokio::test]
async fn refunds_say_what_they_did_and_a_refunded_order_is_not_announced_shipped() {
    let _turn = PLAN.lock().await;
    // Partial: the order keeps its status and says how much went back.
    let (_, token, order) = placed_order("partly-refunded").await;
    let id = order["order_id"].as_str().unwrap();
    assert_eq!(
        deliver_signed(&succeeded(&evt_id(), &order)).await.status,
        200
    );
    wait_for_status(&token, id, "shipped").await;
    assert_eq!(deliver_signed(&refund(&order, 300)).await.status, 200);
    assert_eq!(order_status(&token, id).await, "shipped");
    let o = store()
        .await
        .get_order(&ferrocart::ids::OrderId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(o.refunded_at, None);
    assert!(o.partially_refunded_at.is_some());
    assert_eq!(o.amount_refunded, Some(300));

    // In full, while fulfilment is between its transactions (its second is held for 3 s).
    let (_, token, order) = placed_order("refunded-mid-fulfilment").await;
    let id = order["order_id"].as_str().unwrap();
    set_faults(&json!({"seed": 6, "rules": [
        {"target": "dynamodb", "kind": "timeout", "delay_ms": 3000, "times": 1,
         "op": "TransactWriteItems", "function": "OrderFulfilmentFunction", "matching": "shipped_at"}]}))
    .await;
    assert_eq!(
        deliver_signed(&succeeded(&evt_id(), &order)).await.status,
        200
    );
    wait_for_status(&token, id, "fulfilling").await;
    let total = order["total"].as_i64().unwrap();
    assert_eq!(deliver_signed(&refund(&order, total)).await.status, 200);
    assert_eq!(order_status(&token, id).await, "refunded");
    // The held transaction is retried by the SDK and refused (refunded); give it time.
    for _ in 0..100 {
        if faults_report_injected().await >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    faults_off().await;
    assert_eq!(order_status(&token, id).await, "refunded");
    let kinds = email_requests(id).await;
    assert!(!kinds.contains(&"shipped".to_string()), "{kinds:?}");
}

async fn faults_report_injected() -> u64 {
    control_json("/__local/faults").await["injected"][0]
        .as_u64()
        .unwrap_or(0)
}

/// Puts an order's next reconciler look in the past (as if its grace period had run out).
async fn due_now(order_id: &str) {
    times_past(order_id, &["dueat"]).await;
}

/// Hole 3: checkout's process killed between claiming the order's expiry and sending it (and a
/// client that never retries) left a reservation nobody would ever release. The reconciler
/// finds the order past its deadline and has it expired: cancelled, stock back once.
#[tokio::test]
async fn a_reservation_whose_expiry_was_lost_is_released_by_the_reconciler() {
    let _turn = PLAN.lock().await;
    let (_, token, product) = shopper_with_cart("lost-expiry", 990).await;
    set_faults(&json!({"seed": 5, "rules": [
        {"target": "sqs", "kind": "kill", "op": "SendMessage", "function": "CheckoutFunction", "times": 1}]}))
    .await;
    let r = checkout(&token, "lost-expiry").await;
    let report = faults_off().await;
    assert_eq!(report["by_kind"]["sqs kill"], 1, "{report}");
    assert!(
        r.status >= 500,
        "the killed function answered {}: {:?}",
        r.status,
        r.json
    );
    assert_eq!(stock_available(&product).await, 4);
    let orders = call("GET", "/orders", Some(&token), None).await;
    let order = orders.json["items"][0].clone();
    let id = order["order_id"].as_str().unwrap();
    let o = store()
        .await
        .get_order(&ferrocart::ids::OrderId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        o.expiry_scheduled_at.is_some(),
        "the claim was made before the kill"
    );

    // The deadline passes with no expiry message anywhere.
    expire_now(&order).await;
    due_now(id).await;
    reconcile().await;
    wait_for_status(&token, id, "cancelled").await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    reconcile().await;
    assert_eq!(stock_available(&product).await, 5);
    let o = store()
        .await
        .get_order(&ferrocart::ids::OrderId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(o.duepk, None, "a cancelled order is off the due index");
}

/// Paid orders whose fulfilment message was lost (the webhook killed between its claim and its
/// send) are sent to fulfilment again by the reconciler, and ship once.
#[tokio::test]
async fn a_paid_order_whose_fulfilment_message_was_lost_still_ships() {
    let _turn = PLAN.lock().await;
    let (_, token, order) = placed_order("lost-fulfilment").await;
    let id = order["order_id"].as_str().unwrap();
    set_faults(&json!({"seed": 7, "rules": [
        {"target": "sqs", "kind": "kill", "op": "SendMessage", "function": "PaymentWebhookFunction", "times": 1}]}))
    .await;
    let r = deliver_signed(&succeeded(&evt_id(), &order)).await;
    let report = faults_off().await;
    assert_eq!(report["by_kind"]["sqs kill"], 1, "{report}");
    assert!(r.status >= 500, "{:?}", r.json);
    assert_eq!(order_status(&token, id).await, "paid");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        order_status(&token, id).await,
        "paid",
        "nothing sent it to fulfilment"
    );
    due_now(id).await;
    reconcile().await;
    wait_for_status(&token, id, "shipped").await;
    let view = call("GET", &format!("/orders/{id}"), Some(&token), None).await;
    assert_eq!(
        view.json["shipments"].as_array().map(Vec::len),
        Some(1),
        "{:?}",
        view.json
    );
}

/// Hole 5: a payment that succeeded after its order was cancelled was recorded and kept. Now
/// the webhook flags it and the reconciler refunds it in full at the provider, once.
#[tokio::test]
async fn a_payment_for_a_cancelled_order_is_refunded_once() {
    let _turn = PLAN.lock().await;
    let (_, token, order) = placed_order("late-payment").await;
    let id = order["order_id"].as_str().unwrap();
    let pi = order["payment"]["payment_intent_id"].as_str().unwrap();
    // The customer pays while the order is being cancelled: the Stripe stand-in's own webhook
    // for it is refused (503) until the order is cancelled.
    set_faults(&json!({"seed": 8, "rules": [
        {"target": "dynamodb", "kind": "server_error", "op": "TransactWriteItems",
         "function": "PaymentWebhookFunction", "matching": id}]}))
    .await;
    assert_eq!(pay_at_stripe_fake(pi, "4242424242424242").await, 200);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let s = store().await;
    let oid = ferrocart::ids::OrderId::parse(id).unwrap();
    let details = s.get_order_details(&oid).await.unwrap().unwrap();
    assert!(
        s.cancel_unpaid_order(
            &details.order,
            &details.lines,
            ("reservation_expired", "order-expiry"),
            ferrocart::time::now_unix_ms()
        )
        .await
        .unwrap()
    );
    faults_off().await;
    // Stripe delivers the success again (twice, as it may).
    let event = succeeded(&evt_id(), &order);
    for _ in 0..2 {
        assert_eq!(deliver_signed(&event).await.status, 200);
    }
    assert_eq!(order_status(&token, id).await, "cancelled");
    let o = s.get_order(&oid).await.unwrap().unwrap();
    assert_eq!(o.late_payment.as_deref(), Some(pi));
    for _ in 0..2 {
        reconcile().await;
    }
    let o = s.get_order(&oid).await.unwrap().unwrap();
    let refund = o.late_payment_refund.clone().expect("refunded");
    assert!(refund.starts_with("re_"), "{refund}");
    assert_eq!(o.duepk, None);
    let refunds = stripe_get("/v1/refunds").await;
    let for_pi = refunds["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["payment_intent"] == pi)
        .count();
    assert_eq!(for_pi, 1, "{refunds}");
    assert_eq!(order_status(&token, id).await, "cancelled");
}

/// DynamoDB stops a Query at 1 MB and says where (`LastEvaluatedKey`); `GET /orders` read only
/// the first answer, so with large orders (or many) a customer's listing ended early, with no
/// `next_cursor`, and orders vanished from it. The plan's `page_bytes` cuts every answer after
/// one item, as 1 MB would with big enough items: the listing must still walk every order.
#[tokio::test]
async fn the_order_listing_reads_on_where_dynamodb_stops() {
    let _turn = PLAN.lock().await;
    let (_, t, product) = shopper_with_cart("paged", 700).await;
    let mut placed = Vec::new();
    for i in 0..3 {
        if i > 0 {
            let body = json!({"product_id": product, "quantity": 1});
            let r = call("POST", "/cart/items", Some(&t), Some(&body)).await;
            assert_eq!(r.status, 200, "{:?}", r.json);
        }
        let r = checkout(&t, &format!("paged-{i}-{}", uuid::Uuid::new_v4())).await;
        assert_eq!(r.status, 201, "{:?}", r.json);
        placed.push(r.json["order_id"].as_str().unwrap().to_string());
    }
    set_faults(&json!({"seed": 1, "rules": [], "page_bytes": 1})).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let q = match &cursor {
            None => "/orders?limit=2".to_string(),
            Some(c) => format!("/orders?limit=2&cursor={}", c.replace('#', "%23")),
        };
        let r = call("GET", &q, Some(&t), None).await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        for o in r.json["items"].as_array().unwrap() {
            seen.push(o["order_id"].as_str().unwrap().to_string());
        }
        cursor = r.json["next_cursor"].as_str().map(str::to_string);
        if cursor.is_none() {
            break;
        }
    }
    faults_off().await;
    placed.reverse(); // newest first
    assert_eq!(seen, placed, "every order once, newest first");
}
