//! The admin's actions on an order.
//!
//! `POST /admin/orders/{id}/cancel`: an unpaid order is cancelled with its PaymentIntent, a paid
//! one before fulfilment takes its units is cancelled with its stock back and refunded once, also
//! when Stripe fails to take the refund (the reconciler finishes it); a shipping or shipped order
//! is 409; 401 without a token, 403 for a customer.
//!
//! Fulfilment runs within a second of a payment in the local stack, so the paid cases hold it with
//! a fault on its transaction for those orders only (it is retried later and finds them
//! cancelled). One test sets the fault plan: tests of one binary run side by side.
//!
//! `POST /admin/orders/{id}/emails/{kind}`: an email sent again once per key, only what the order
//! is in a state for.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart_tests::*;
use serde_json::{Value, json};

async fn cancel(order_id: &str, token: Option<&str>) -> Resp {
    call(
        "POST",
        &format!("/admin/orders/{order_id}/cancel"),
        token,
        None,
    )
    .await
}

/// A customer's order of one unit of a new product with 5 in stock: (customer token, email,
/// product, checkout answer).
async fn order_of_one(tag: &str) -> (String, String, String, Value) {
    let (email, t, product) = shopper_with_cart(tag, 990).await;
    let r = checkout(&t, &format!("k-{}", uuid::Uuid::new_v4())).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(stock_available(&product).await, 4);
    (t, email, product, r.json)
}

fn pi_of(order: &Value) -> String {
    order["payment"]["payment_intent_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The amounts Stripe refunded of this PaymentIntent.
async fn stripe_refunds(pi: &str) -> Vec<i64> {
    let all = stripe_get("/v1/refunds").await;
    all["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["payment_intent"] == pi)
        .map(|r| r["amount"].as_i64().unwrap())
        .collect()
}

/// Fulfilment's transactions for these orders fail (server errors) until the plan changes.
fn hold_fulfilment(ids: &[&str]) -> Vec<Value> {
    ids.iter()
        .map(|id| {
            json!({"target": "dynamodb", "kind": "server_error", "op": "TransactWriteItems",
                "function": "OrderFulfilmentFunction", "matching": id})
        })
        .collect()
}

#[tokio::test]
async fn a_paid_order_is_cancelled_before_fulfilment_with_its_stock_back_and_refunded_once() {
    let (ta, email_a, product_a, a) = order_of_one("cancel-paid").await;
    let (tb, _, product_b, b) = order_of_one("cancel-paid-fault").await;
    let (ida, idb) = (
        a["order_id"].as_str().unwrap(),
        b["order_id"].as_str().unwrap(),
    );
    let (pia, pib) = (pi_of(&a), pi_of(&b));
    // Fulfilment held for both; Stripe refuses to take B's refund (server errors).
    let mut rules = hold_fulfilment(&[ida, idb]);
    rules.push(
        json!({"target": "stripe", "kind": "server_error", "op": "POST /v1/refunds",
        "matching": pib}),
    );
    set_faults(&json!({"seed": 14, "rules": rules})).await;
    for (t, id, pi) in [(&ta, ida, &pia), (&tb, idb, &pib)] {
        assert_eq!(pay_at_stripe_fake(pi, "4242424242424242").await, 200);
        wait_for_order(t, id, 30, |o| o["status"] == "paid").await;
    }

    // Only an admin may.
    let r = cancel(ida, None).await;
    assert_eq!((r.status, r.code()), (401, "missing_token"), "{:?}", r.json);
    let r = cancel(ida, Some(&ta)).await;
    assert_eq!(r.status, 403, "{:?}", r.json);
    assert_eq!(order_status(&ta, ida).await, "paid");

    // A: cancelled, stock back, refunded in full at once; a retry changes nothing.
    let admin = admin_token().await;
    let r = cancel(ida, Some(&admin)).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["status"], "cancelled");
    assert_eq!(r.json["cancel_reason"], "cancelled_by_admin");
    assert_eq!(r.json["refund"]["status"], "succeeded", "{:?}", r.json);
    let refund_a = r.json["refund"]["refund_id"].as_str().unwrap().to_string();
    assert!(refund_a.starts_with("re_"), "{refund_a}");
    assert_eq!(stock_available(&product_a).await, 5);
    let again = cancel(ida, Some(&admin)).await;
    assert_eq!(again.status, 200, "{:?}", again.json);
    assert_eq!(again.json["refund"]["refund_id"], refund_a.as_str());
    assert_eq!(stock_available(&product_a).await, 5);
    assert_eq!(
        stripe_refunds(&pia).await,
        vec![a["total"].as_i64().unwrap()]
    );
    let view = call("GET", &format!("/admin/orders/{ida}"), Some(&admin), None).await;
    assert_eq!(view.status, 200, "{:?}", view.json);
    assert_eq!(
        view.json["cancelled_payment"],
        json!({"payment_intent": pia, "refund": refund_a})
    );
    let history: Vec<&str> = view.json["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["pending_payment", "paid", "cancelled"]);

    // B: cancelled and its stock back, but Stripe failed: the refund is left to the reconciler,
    // which asks once the provider answers again (with the same key as the cancel would).
    let r = cancel(idb, Some(&admin)).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(
        r.json["refund"],
        json!({"payment_intent": pib, "status": "pending", "refund_id": null})
    );
    assert_eq!(stock_available(&product_b).await, 5);
    assert!(stripe_refunds(&pib).await.is_empty());
    set_faults(&json!({"seed": 14, "rules": hold_fulfilment(&[ida, idb])})).await;
    for _ in 0..2 {
        reconcile().await;
    }
    let s = store().await;
    let o = s
        .get_order(&ferrocart::ids::OrderId::parse(idb).unwrap())
        .await
        .unwrap()
        .unwrap();
    let refund_b = o
        .late_payment_refund
        .clone()
        .expect("refunded by the reconciler");
    assert!(refund_b.starts_with("re_"), "{refund_b}");
    assert_eq!(o.duepk, None, "off the due index once refunded");
    assert_eq!(
        stripe_refunds(&pib).await,
        vec![b["total"].as_i64().unwrap()]
    );
    let r = cancel(idb, Some(&admin)).await;
    assert_eq!(r.json["refund"]["refund_id"], refund_b.as_str());
    assert_eq!(stripe_refunds(&pib).await.len(), 1);
    faults_off().await;

    // The customer hears the order is cancelled and the money comes back.
    let mail = emails_to(&email_a, 1, 30)
        .await
        .into_iter()
        .find(|m| m.subject.contains("was cancelled"))
        .expect("a cancellation email");
    assert!(mail.body.contains("we are refunding the"), "{}", mail.body);
    // Fulfilment, retried later, finds nothing to ship.
    assert_eq!(stock_available(&product_a).await, 5);
}

#[tokio::test]
async fn an_unpaid_order_is_cancelled_with_its_payment_intent_and_a_shipped_one_is_not() {
    let admin = admin_token().await;
    let (t, _, product, order) = order_of_one("cancel-unpaid").await;
    let id = order["order_id"].as_str().unwrap();
    let r = cancel(id, Some(&admin)).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["refund"], Value::Null);
    assert_eq!(r.json["status"], "cancelled");
    assert_eq!(stock_available(&product).await, 5);
    assert_eq!(order_status(&t, id).await, "cancelled");
    // The history says who cancelled it (the admin, like a paid order's cancel), not why.
    let oid = ferrocart::ids::OrderId::parse(id).unwrap();
    let details = store()
        .await
        .get_order_details(&oid)
        .await
        .unwrap()
        .unwrap();
    let last = details.history.last().unwrap();
    assert_eq!(last.status, ferrocart::state::OrderStatus::Cancelled);
    assert!(
        last.by.starts_with("admin:") && last.by.len() > 6,
        "{}",
        last.by
    );
    // Nobody can pay it any more.
    let intent = stripe_get(&format!("/v1/payment_intents/{}", pi_of(&order))).await;
    assert_eq!(intent["status"], "canceled", "{intent}");
    // Its expiry, when it comes, finds nothing to do; the stock is returned once.
    expire_now(&order).await;
    invoke("order-expiry", &expiry_event(&order, 0)).await;
    assert_eq!(stock_available(&product).await, 5);
    let again = cancel(id, Some(&admin)).await;
    assert_eq!(again.status, 200, "{:?}", again.json);
    assert_eq!(stock_available(&product).await, 5);

    // Shipped: too late, and nothing changes.
    let (t2, _, product2, shipped) = order_of_one("cancel-shipped").await;
    let id2 = shipped["order_id"].as_str().unwrap();
    assert_eq!(
        pay_at_stripe_fake(&pi_of(&shipped), "4242424242424242").await,
        200
    );
    wait_for_order(&t2, id2, 30, |o| o["status"] == "shipped").await;
    let stock_after_shipping = stock_available(&product2).await;
    let r = cancel(id2, Some(&admin)).await;
    assert_eq!(
        (r.status, r.code()),
        (409, "order_shipping"),
        "{:?}",
        r.json
    );
    assert_eq!(order_status(&t2, id2).await, "shipped");
    assert_eq!(stock_available(&product2).await, stock_after_shipping);

    // Unknown and malformed ids.
    let r = cancel("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74", Some(&admin)).await;
    assert_eq!(r.status, 404, "{:?}", r.json);
    let r = cancel("not-an-id", Some(&admin)).await;
    assert_eq!(r.status, 404, "{:?}", r.json);
}

async fn resend(order_id: &str, kind: &str, key: Option<&str>, token: Option<&str>) -> Resp {
    let mut req = client().post(format!(
        "{}/admin/orders/{order_id}/emails/{kind}",
        api_url()
    ));
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    send(req).await
}

fn subjects(mails: &[SentEmail], containing: &str) -> usize {
    mails
        .iter()
        .filter(|m| m.subject.contains(containing))
        .count()
}

#[tokio::test]
async fn an_admin_resends_an_email_once_per_key_and_only_what_applies() {
    let admin = admin_token().await;
    let (t, email, _, order) = order_of_one("resend").await;
    let id = order["order_id"].as_str().unwrap();
    // Unpaid: there is nothing to confirm yet.
    let r = resend(id, "order_confirmation", Some("rs-early"), Some(&admin)).await;
    assert_eq!(
        (r.status, r.code()),
        (409, "email_not_applicable"),
        "{:?}",
        r.json
    );
    assert_eq!(
        pay_at_stripe_fake(&pi_of(&order), "4242424242424242").await,
        200
    );
    wait_for_order(&t, id, 30, |o| o["status"] == "shipped").await;
    let before = emails_to(&email, 2, 30).await;
    assert_eq!(subjects(&before, "has shipped"), 1, "{before:?}");

    // Who may, and what is asked.
    let r = resend(id, "shipped", Some("rs-1"), None).await;
    assert_eq!(r.status, 401, "{:?}", r.json);
    let r = resend(id, "shipped", Some("rs-1"), Some(&t)).await;
    assert_eq!(r.status, 403, "{:?}", r.json);
    let r = resend(id, "shipped", None, Some(&admin)).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "missing_idempotency_key"),
        "{:?}",
        r.json
    );
    let r = resend(id, "spam", Some("rs-1"), Some(&admin)).await;
    assert_eq!(r.status, 404, "{:?}", r.json);
    let r = resend(id, "order_cancelled", Some("rs-1"), Some(&admin)).await;
    assert_eq!(
        (r.status, r.code()),
        (409, "email_not_applicable"),
        "{:?}",
        r.json
    );

    // One key, asked twice: one more email. Another key: one more again.
    let first = resend(id, "shipped", Some("rs-1"), Some(&admin)).await;
    assert_eq!(first.status, 202, "{:?}", first.json);
    let retry = resend(id, "shipped", Some("rs-1"), Some(&admin)).await;
    assert_eq!(retry.json["resend_id"], first.json["resend_id"]);
    let mails = emails_to(&email, before.len() + 1, 30).await;
    assert_eq!(subjects(&mails, "has shipped"), 2, "{mails:?}");
    let other = resend(id, "shipped", Some("rs-2"), Some(&admin)).await;
    assert_eq!(other.status, 202, "{:?}", other.json);
    assert_ne!(other.json["resend_id"], first.json["resend_id"]);
    let mails = emails_to(&email, before.len() + 2, 30).await;
    assert_eq!(subjects(&mails, "has shipped"), 3, "{mails:?}");
    // Settled: nothing more arrives for the retried key.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let mails = emails_to(&email, 0, 0).await;
    assert_eq!(subjects(&mails, "has shipped"), 3, "{mails:?}");

    // The order's record shows each resend beside its own email.
    let view = call("GET", &format!("/admin/orders/{id}"), Some(&admin), None).await;
    let mut shipped: Vec<Value> = view.json["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "shipped")
        .map(|e| e["resend"].clone())
        .collect();
    shipped.sort_by_key(|v| v.to_string());
    let mut expected = vec![
        Value::Null,
        first.json["resend_id"].clone(),
        other.json["resend_id"].clone(),
    ];
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(shipped, expected);
}

/// Every admin route (the API's route table) is 401 without a token and 403 for a customer,
/// whatever the request carries, and changes nothing.
#[tokio::test]
async fn every_admin_route_is_401_without_a_token_and_403_for_a_customer() {
    let (_, _, pair) = new_customer("not-admin").await;
    let customer = pair["access_token"].as_str().unwrap().to_string();
    let admin_routes: Vec<_> = route_fallback::ROUTES
        .iter()
        .filter(|(_, path)| path.starts_with("/admin/"))
        .collect();
    assert!(admin_routes.len() >= 14, "{admin_routes:?}");
    for (method, path) in admin_routes {
        let concrete = path
            .replace("{id}", "0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74")
            .replace("{code}", "WELCOME10")
            .replace("{kind}", "shipped")
            .replace("{image_id}", "0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f75");
        assert!(
            !concrete.contains('{'),
            "a path parameter to fill in: {path}"
        );
        for (token, status) in [(None, 401), (Some(customer.as_str()), 403)] {
            let mut req = client()
                .request(method.parse().unwrap(), format!("{}{concrete}", api_url()))
                .header("idempotency-key", "admin-sweep");
            if *method != "GET" && *method != "DELETE" {
                req = req.json(&json!({}));
            }
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r = send(req).await;
            assert_eq!(r.status, status, "{method} {path}: {:?}", r.json);
        }
    }
}

async fn order_status(token: &str, id: &str) -> String {
    let r = call("GET", &format!("/orders/{id}"), Some(token), None).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json["status"].as_str().unwrap().to_string()
}
