//! The admin's orders: `GET /admin/orders` (newest first over the day-sharded index, by status,
//! window and customer email, paged by cursor) and `GET /admin/orders/{id}` (any order, with its
//! customer, payment events and emails); 401 without a token, 403 for a customer.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart_tests::*;
use serde_json::{Value, json};

async fn admin_get(path: &str) -> Resp {
    let admin = admin_token().await;
    call("GET", path, Some(&admin), None).await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_id"].as_str().unwrap().to_string())
        .collect()
}

/// All pages of `path` (which has a query string), `limit` at a time.
async fn all_pages(path: &str, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = admin_get(&format!("{path}&limit={limit}&cursor={cursor}")).await;
        assert_eq!(r.status, 200, "{path}: {:?}", r.json);
        assert!(r.json["items"].as_array().unwrap().len() <= limit);
        out.extend(ids(&r.json));
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => return out,
        }
    }
}

#[tokio::test]
async fn an_admin_lists_orders_newest_first_by_status_window_and_email() {
    let since = ferrocart::time::rfc3339(ferrocart::time::now_unix() - 2);
    // One customer: three orders, one second apart (the index orders by the second, then id).
    let (email, t, _) = shopper_with_cart("admin-orders", 990).await;
    let mut placed = Vec::new();
    for i in 0..3 {
        if i > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
            let p = stocked_product(&format!("ZZ admin orders {i}"), 500, "GBP", "lon-1", 5).await;
            let r = call(
                "POST",
                "/cart/items",
                Some(&t),
                Some(&json!({"product_id": p, "quantity": 1})),
            )
            .await;
            assert_eq!(r.status, 200, "{:?}", r.json);
        }
        let r = checkout(&t, &format!("admin-orders-{i}")).await;
        assert_eq!(r.status, 201, "{:?}", r.json);
        placed.push(r.json);
    }
    // The first is paid (and shipped), the second lapses unpaid, the third waits.
    let paid = deliver_signed(&succeeded(&evt_id(), &placed[0])).await;
    assert_eq!(paid.status, 200, "{:?}", paid.json);
    let first = placed[0]["order_id"].as_str().unwrap();
    wait_for_order(&t, first, 30, |o| o["status"] == "shipped").await;
    expire_now(&placed[1]).await;
    invoke("order-expiry", &expiry_event(&placed[1], 0)).await;
    let newest_first: Vec<String> = placed
        .iter()
        .rev()
        .map(|o| o["order_id"].as_str().unwrap().to_string())
        .collect();

    // By email: exactly this customer's, newest first, through every page size.
    let by_email = format!("/admin/orders?email={}", email.replace('+', "%2B"));
    for limit in [1, 2, 100] {
        assert_eq!(
            all_pages(&by_email, limit).await,
            newest_first,
            "limit {limit}"
        );
    }
    let r = admin_get(&format!("{by_email}&status=cancelled")).await;
    assert_eq!(ids(&r.json), vec![newest_first[1].clone()]);
    let item = &r.json["items"][0];
    assert_eq!(item["status"], "cancelled");
    assert_eq!(item["country"], "GB");
    assert_eq!(item["ship_to"], "Alan Turing");

    // Every order in the window (other tests' too), newest first; ours among them in order.
    let window = format!("/admin/orders?from={since}");
    let all = all_pages(&window, 7).await;
    let ours: Vec<String> = all
        .iter()
        .filter(|id| newest_first.contains(id))
        .cloned()
        .collect();
    assert_eq!(ours, newest_first);
    let shipped = all_pages(&format!("{window}&status=shipped"), 100).await;
    assert!(shipped.contains(&newest_first[2]));
    assert!(
        !shipped.contains(&newest_first[0]),
        "the waiting one is not shipped"
    );
    // A window that ended before the orders lists none of them.
    let r = admin_get("/admin/orders?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z").await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert!(ids(&r.json).iter().all(|id| !newest_first.contains(id)));

    // What is refused.
    for (q, status) in [
        ("?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z", 422),
        ("?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", 422),
        ("?cursor=bogus", 422),
        ("?status=lost", 400),
        ("?limit=0", 400),
        ("?from=yesterday", 400),
        ("?email=not-an-email", 400),
        ("?colour=red", 400),
    ] {
        let r = admin_get(&format!("/admin/orders{q}")).await;
        assert_eq!(r.status, status, "{q}: {:?}", r.json);
    }
}

#[tokio::test]
async fn an_admin_reads_any_order_with_its_payments_and_emails_and_no_one_else_may() {
    let (email, t, order) = placed_order("admin-order-detail").await;
    let id = order["order_id"].as_str().unwrap();
    assert_eq!(
        deliver_signed(&succeeded(&evt_id(), &order)).await.status,
        200
    );
    wait_for_order(&t, id, 30, |o| o["status"] == "shipped").await;
    emails_to(&email, 2, 20).await;
    // The email records say `sent` once SES took them.
    let sent = |r: &Resp| {
        r.json["emails"]
            .as_array()
            .map(|e| e.iter().filter(|e| e["status"] == "sent").count())
            .unwrap_or(0)
    };
    let mut r = admin_get(&format!("/admin/orders/{id}")).await;
    for _ in 0..50 {
        if sent(&r) >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        r = admin_get(&format!("/admin/orders/{id}")).await;
    }
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["order_id"], id);
    assert_eq!(r.json["status"], "shipped");
    assert_eq!(r.json["total"], order["total"]);
    let me = call("GET", "/me", Some(&t), None).await;
    assert_eq!(r.json["customer_id"], me.json["user_id"]);
    assert_eq!(r.json["amount_refunded"], 0);
    let events = r.json["payment_events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "payment_intent.succeeded" && e["outcome"] == "applied"),
        "{events:?}"
    );
    let kinds: Vec<&str> = r.json["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "sent")
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"order_confirmation") && kinds.contains(&"shipped"),
        "{kinds:?}"
    );
    assert!(!r.json["shipments"].as_array().unwrap().is_empty());

    let r = admin_get("/admin/orders/0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74").await;
    assert_eq!(r.status, 404, "{:?}", r.json);
    // A customer, even the order's own, may not use the admin routes; nobody without a token.
    for path in [format!("/admin/orders/{id}"), "/admin/orders".to_string()] {
        let r = call("GET", &path, Some(&t), None).await;
        assert_eq!(r.status, 403, "{path}: {:?}", r.json);
        let r = call("GET", &path, None, None).await;
        assert_eq!(r.status, 401, "{path}: {:?}", r.json);
    }
}

/// `POST /admin/orders/{id}/refunds` as the admin with this key.
async fn refund(order_id: &str, key: &str, body: &Value) -> Resp {
    let admin = admin_token().await;
    send(
        client()
            .post(format!("{}/admin/orders/{order_id}/refunds", api_url()))
            .bearer_auth(admin)
            .header("idempotency-key", key)
            .json(body),
    )
    .await
}

/// A partial refund, retried (one refund at Stripe), then the rest: the order's refunded amount
/// and status follow Stripe's webhooks; more than is left, an unpaid order, a customer: refused.
#[tokio::test]
async fn an_admin_refunds_in_part_then_in_full_and_the_order_follows_the_webhook() {
    let (email, t, order) = placed_order("admin-refund").await;
    let id = order["order_id"].as_str().unwrap();
    let total = order["total"].as_i64().unwrap();
    let pi = order["payment"]["payment_intent_id"].as_str().unwrap();
    // Unpaid: nothing to refund.
    let r = refund(id, "r-unpaid", &json!({"reason": "requested_by_customer"})).await;
    assert_eq!(
        (r.status, r.code()),
        (409, "order_not_paid"),
        "{:?}",
        r.json
    );
    assert_eq!(pay_at_stripe_fake(pi, "4242424242424242").await, 200);
    wait_for_order(&t, id, 30, |o| o["status"] == "shipped").await;

    // A customer may not; a bad body changes nothing.
    let r = send(
        client()
            .post(format!("{}/admin/orders/{id}/refunds", api_url()))
            .bearer_auth(&t)
            .header("idempotency-key", "r-customer")
            .json(&json!({"reason": "duplicate"})),
    )
    .await;
    assert_eq!(r.status, 403, "{:?}", r.json);
    for bad in [
        json!({"reason": "because"}),
        json!({"amount": 0, "reason": "duplicate"}),
        json!({}),
    ] {
        assert_eq!(refund(id, "r-bad", &bad).await.status, 400, "{bad}");
    }
    let r = refund(
        id,
        "r-too-much",
        &json!({"amount": total + 1, "reason": "duplicate"}),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (422, "refund_exceeds_remaining"),
        "{:?}",
        r.json
    );

    // 1.00 back, asked twice with one key: one refund at Stripe.
    for _ in 0..2 {
        let r = refund(
            id,
            "r-part",
            &json!({"amount": 100, "reason": "requested_by_customer"}),
        )
        .await;
        assert_eq!(r.status, 202, "{:?}", r.json);
        assert_eq!(r.json["refund"]["amount"], 100);
        assert_eq!(r.json["amount_refunded"], 0, "never ahead of the webhook");
    }
    assert_eq!(
        stripe_refunds(pi).await,
        vec![100],
        "one refund however often asked"
    );
    // The same key with another body is refused; what was asked counts before the webhook.
    let r = refund(
        id,
        "r-part",
        &json!({"amount": 200, "reason": "requested_by_customer"}),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (422, "idempotency_key_reused"),
        "{:?}",
        r.json
    );
    let r = refund(
        id,
        "r-all",
        &json!({"amount": total, "reason": "duplicate"}),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (422, "refund_exceeds_remaining"),
        "{:?}",
        r.json
    );
    // The order moves only when Stripe's webhook says so (the stand-in sends no charge.refunded:
    // deliver it as Stripe would, signed).
    let o = admin_get(&format!("/admin/orders/{id}")).await.json;
    assert_eq!(
        (o["amount_refunded"].as_i64(), o["status"].as_str()),
        (Some(0), Some("shipped"))
    );
    let partial = charge_refunded(pi, total, 100).await;
    // The customer hears of it once, however often Stripe delivers the event.
    let mails = emails_to(&email, 3, 20).await;
    assert_eq!(mails.len(), 3, "confirmation, shipped, refund: {mails:?}");
    let mail = &mails[2];
    assert!(
        mail.subject.contains("a refund for order"),
        "{}",
        mail.subject
    );
    assert!(
        mail.body.contains("we have refunded £1.00")
            && mail.body.contains(&format!(
                "In all, £1.00 of the {} you paid",
                ferrocart::money::format(total, "GBP")
            ))
            && mail.body.contains("Shipping"),
        "{}",
        mail.body
    );
    assert_eq!(deliver_signed(&partial).await.status, 200);
    let o = admin_get(&format!("/admin/orders/{id}")).await.json;
    assert_eq!(o["amount_refunded"], 100);
    assert_eq!(
        o["status"], "shipped",
        "a partial refund leaves the order as it is"
    );
    assert!(o["partially_refunded_at"].is_string(), "{o}");
    let asked = o["refund_requests"].as_array().unwrap();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(
        (asked[0]["amount"].as_i64(), asked[0]["reason"].as_str()),
        (Some(100), Some("requested_by_customer"))
    );
    assert!(asked[0]["refund_id"].as_str().unwrap().starts_with("re_"));

    // The rest (no amount: all that is left), then the order is refunded once Stripe says so.
    let r = refund(id, "r-rest", &json!({"reason": "requested_by_customer"})).await;
    assert_eq!(r.status, 202, "{:?}", r.json);
    assert_eq!(r.json["refund"]["amount"], total - 100);
    assert_eq!(stripe_refunds(pi).await, vec![100, total - 100]);
    charge_refunded(pi, total, total).await;
    let mails = emails_to(&email, 4, 20).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let mails_now = emails_to(&email, 4, 0).await;
    assert_eq!(mails_now.len(), 4, "one email per refund: {mails_now:?}");
    let mail = &mails[3];
    assert!(mail.subject.contains("was refunded"), "{}", mail.subject);
    assert!(
        mail.body.contains(&format!(
            "we have refunded {}",
            ferrocart::money::format(total - 100, "GBP")
        )) && mail.body.contains("Everything you paid"),
        "{}",
        mail.body
    );
    let o = admin_get(&format!("/admin/orders/{id}")).await.json;
    let refund_emails: Vec<&Value> = o["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "refund")
        .collect();
    assert_eq!(refund_emails.len(), 2, "{:?}", o["emails"]);
    assert!(
        refund_emails
            .iter()
            .all(|e| e["status"] == "sent" && e["refund"].is_string())
    );
    assert_eq!(
        (o["status"].as_str(), o["amount_refunded"].as_i64()),
        (Some("refunded"), Some(total))
    );
    let r = refund(id, "r-again", &json!({"reason": "duplicate"})).await;
    assert_eq!(
        (r.status, r.code()),
        (409, "already_refunded"),
        "{:?}",
        r.json
    );
}

/// The refunds at the Stripe stand-in for this PaymentIntent, oldest first: their amounts.
async fn stripe_refunds(pi: &str) -> Vec<i64> {
    let all = stripe_get("/v1/refunds").await;
    let mut found: Vec<(i64, i64)> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["payment_intent"] == pi)
        .map(|r| {
            (
                r["created"].as_i64().unwrap_or(0),
                r["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, a)| a).collect()
}

/// Stripe's signed `charge.refunded` for the PaymentIntent's charge, `refunded` of `amount` so far.
/// The event's body, to deliver it again.
async fn charge_refunded(pi: &str, amount: i64, refunded: i64) -> String {
    let e = event(
        &evt_id(),
        "charge.refunded",
        json!({"id": format!("ch_{}", &pi[3..]), "object": "charge", "payment_intent": pi,
            "amount": amount, "amount_refunded": refunded, "currency": "gbp", "refunded": refunded == amount}),
    );
    let r = deliver_signed(&e).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    e
}
