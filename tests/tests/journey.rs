//! The whole journey end to end, through http://127.0.0.1:3000 and the local servers only:
//! register → log in → browse → three products in the cart → checkout → pay with a test card at
//! the Stripe stand-in (its signed webhook reaches our endpoint) → order-fulfilment → the
//! confirmation and shipped emails in SES with the right lines and totals → `shipped`.
//! A guest's journey: a cart without an account → checkout with an email → pay → shipped, read
//! through the link in its emails → registers with that email, verifies it, and finds the order in
//! its account.
//! Also: a poison message ends in the dead-letter queue while the rest of its batch succeeds, and a
//! message delivered three times sends one email.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart::ids::{OrderId, ProductId};
use ferrocart::money;
use ferrocart_tests::journey::shop_one_order;
use ferrocart_tests::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// On-hand stock per (product, warehouse) and available stock per product, straight from the table.
async fn stock(products: &[String]) -> (HashMap<(String, String), i64>, HashMap<String, i64>) {
    let store = store().await;
    let (mut on_hand, mut available) = (HashMap::new(), HashMap::new());
    for p in products {
        let id = ProductId::parse(p).unwrap();
        for s in store.product_stock(&id).await.unwrap() {
            on_hand.insert((p.clone(), s.warehouse_id), s.quantity);
        }
        let product = store.get_product(&id, true).await.unwrap().unwrap();
        available.insert(p.clone(), product.stock_available);
    }
    (on_hand, available)
}

#[tokio::test]
async fn register_to_shipping_email() {
    // The trio the journey will pick, to compare stock before and after.
    let journey_products: Vec<String> = ferrocart_tests::journey::pick_products(0)
        .await
        .iter()
        .map(|p| p["product_id"].as_str().unwrap().to_string())
        .collect();
    let (on_hand_before, available_before) = stock(&journey_products).await;

    let j = shop_one_order("journey", 0).await;
    let ids: Vec<String> = j.lines.iter().map(|l| l.0.clone()).collect();
    assert_eq!(ids, journey_products);
    let o = &j.order;
    let currency = o["currency"].as_str().unwrap();

    // The order: shipped, each status once, lines and totals as in the cart.
    assert_eq!(o["status"], "shipped");
    assert_eq!(
        status_history(o),
        ["pending_payment", "paid", "fulfilling", "shipped"]
    );
    // Totals: the items less the demo code's 10 % (rounded half up, shared over the lines), plus
    // the express shipping the cart's estimate showed; the prices include Dutch VAT (21 %), shown
    // per line on what is paid; the Stripe PaymentIntent charges exactly the total.
    let subtotal: i64 = j.lines.iter().map(|l| l.2 * l.3).sum();
    let discount = (subtotal * 10 + 50) / 100;
    let shipping = j.shipping["amount"].as_i64().unwrap();
    assert!(shipping > 0, "{:?}", j.shipping);
    let expected_total = subtotal - discount + shipping;
    assert_eq!(o["subtotal"].as_i64(), Some(subtotal));
    assert_eq!(
        o["discount"],
        json!({"code": "WELCOME10", "amount": discount})
    );
    assert_eq!(o["discount_total"].as_i64(), Some(discount));
    assert_eq!(j.checkout["discount_total"].as_i64(), Some(discount));
    assert_eq!(o["shipping"].as_i64(), Some(shipping));
    assert_eq!(o["shipping_option"]["option_id"], "eu-express");
    assert_eq!(o["total"].as_i64(), Some(expected_total));
    assert_eq!(j.checkout["total"].as_i64(), Some(expected_total));
    assert_eq!(
        j.shipping["total"].as_i64(),
        Some(expected_total),
        "as estimated"
    );
    assert_eq!(o["tax_included"], true);
    let line_tax: i64 = o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert_eq!(l["tax_rate_bp"], 2100, "{l}");
            let gross = l["line_total"].as_i64().unwrap() - l["discount"].as_i64().unwrap();
            assert_eq!(
                l["tax"].as_i64().unwrap(),
                (gross * 2100 * 2 + 12_100) / (2 * 12_100)
            );
            l["tax"].as_i64().unwrap()
        })
        .sum();
    assert_eq!(
        o["tax_total"].as_i64().unwrap(),
        line_tax + o["shipping_tax"].as_i64().unwrap()
    );
    assert_eq!(j.shipping["tax_total"], o["tax_total"], "as estimated");
    let pi = stripe_get(&format!(
        "/v1/payment_intents/{}",
        j.checkout["payment"]["payment_intent_id"].as_str().unwrap()
    ))
    .await;
    assert_eq!(pi["amount"].as_i64(), Some(expected_total), "{pi}");
    for (id, name, price, q) in &j.lines {
        let line = o["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["product_id"] == id.as_str())
            .unwrap();
        assert_eq!(
            (
                line["name"].as_str().unwrap(),
                line["unit_price"].as_i64().unwrap(),
                line["quantity"].as_i64().unwrap()
            ),
            (name.as_str(), *price, *q)
        );
    }

    // Shipments cover every line exactly, each with a tracking reference.
    let shipments = o["shipments"].as_array().unwrap();
    assert!(!shipments.is_empty() && shipments.len() <= 3, "{o}");
    let mut shipped: HashMap<(String, String), i64> = HashMap::new();
    for s in shipments {
        assert!(
            s["tracking_reference"].as_str().unwrap().starts_with("FC-"),
            "{s}"
        );
        for l in s["lines"].as_array().unwrap() {
            *shipped
                .entry((
                    l["product_id"].as_str().unwrap().to_string(),
                    s["warehouse_id"].as_str().unwrap().to_string(),
                ))
                .or_default() += l["quantity"].as_i64().unwrap();
        }
    }
    for (id, _, _, q) in &j.lines {
        let total: i64 = shipped
            .iter()
            .filter(|((p, _), _)| p == id)
            .map(|(_, n)| n)
            .sum();
        assert_eq!(total, *q, "product {id} shipped in full");
    }

    // Stock: the units left the warehouses they shipped from; available stock moved once (at
    // checkout), not again at fulfilment.
    let (on_hand_after, available_after) = stock(&ids).await;
    for (key, before) in &on_hand_before {
        let out = shipped.get(key).copied().unwrap_or(0);
        assert_eq!(on_hand_after[key], before - out, "on hand at {key:?}");
    }
    for (id, _, _, q) in &j.lines {
        assert!(
            available_after[id] <= available_before[id] - q,
            "available stock of {id} went down by at least this order's {q}"
        );
    }

    // The emails: exactly a confirmation and a shipped email, from the configured sender, with
    // every line, the unit prices and the total in the order's currency format.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let emails = emails_to(&j.email, 2, 1).await;
    assert_eq!(emails.len(), 2, "{emails:#?}");
    let confirmation = emails
        .iter()
        .find(|e| e.subject.contains("confirmed"))
        .unwrap();
    let shipped_mail = emails
        .iter()
        .find(|e| e.subject.contains("shipped"))
        .unwrap();
    let total = money::format(expected_total, currency);
    for mail in [confirmation, shipped_mail] {
        assert_eq!(mail.from, "shop@ferrocart.local");
        assert!(
            mail.subject.starts_with("Ferrocart Demo Shop: order "),
            "{}",
            mail.subject
        );
        assert!(mail.body.contains(&total), "total {total} in {}", mail.body);
        // Shipping by its option's name, and the tax per rate (the HTML body: moto keeps it).
        assert!(mail.body.contains("Shipping (Express)"), "{}", mail.body);
        assert!(mail.body.contains("Discount (WELCOME10)"), "{}", mail.body);
        assert!(
            mail.body.contains(&money::format(-discount, currency)),
            "{}",
            mail.body
        );
        assert!(mail.body.contains(&money::format(shipping, currency)));
        let tax = money::format(o["tax_total"].as_i64().unwrap(), currency);
        assert!(mail.body.contains("Tax 21% (included)"), "{}", mail.body);
        assert!(mail.body.contains(&tax), "tax {tax} in {}", mail.body);
        for (_, name, price, q) in &j.lines {
            let escaped = name.replace('&', "&#38;");
            assert!(mail.body.contains(&escaped), "{name} in {}", mail.body);
            assert!(mail.body.contains(&money::format(*price, currency)));
            assert!(mail.body.contains(&money::format(price * q, currency)));
        }
        assert!(mail.body.contains(&j.order_id));
    }
    for s in shipments {
        assert!(
            shipped_mail
                .body
                .contains(s["tracking_reference"].as_str().unwrap())
        );
    }
    // Recorded once each.
    let details = store()
        .await
        .get_order_details(&OrderId::parse(&j.order_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut records: Vec<(String, String)> = details
        .emails
        .iter()
        .map(|e| (e.kind.to_string(), e.status.clone()))
        .collect();
    records.sort();
    assert_eq!(
        records,
        [
            ("order_confirmation".to_string(), "sent".to_string()),
            ("shipped".to_string(), "sent".to_string())
        ]
    );

    // Business metrics (CloudWatch EMF lines the functions printed): this order was placed, paid
    // and emailed twice, each counted once, by the function where it became true.
    let emitted = emitted_metrics().await;
    let about_order = |name: &str| -> Vec<Value> {
        emitted
            .iter()
            .filter(|m| m["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] == name)
            .filter(|m| m["order_id"] == j.order_id.as_str())
            .cloned()
            .collect()
    };
    let placed = about_order("OrdersPlaced");
    assert_eq!(placed.len(), 1, "{placed:?}");
    assert_eq!(placed[0]["function"], "CheckoutFunction");
    assert_eq!(placed[0]["OrdersPlaced"], 1.0);
    assert_eq!(
        placed[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "Ferrocart"
    );
    let paid = about_order("PaymentsSucceeded");
    assert_eq!(paid.len(), 1, "{paid:?}");
    assert_eq!(paid[0]["function"], "PaymentWebhookFunction");
    let mut mailed: Vec<String> = about_order("EmailsSent")
        .iter()
        .map(|m| m["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    mailed.sort();
    assert_eq!(mailed, ["order_confirmation", "shipped"]);
    assert!(about_order("PaymentsFailed").is_empty());
}

#[tokio::test]
async fn a_guest_checks_out_is_shipped_then_registers_and_finds_the_order() {
    let picked = ferrocart_tests::journey::pick_products(3).await;
    let email = unique_email("journey-guest");
    // Two products into a guest cart, kept on the token the first answer issued.
    let mut cart: Option<String> = None;
    for p in picked.iter().take(2) {
        let mut req = client()
            .post(format!("{}/cart/items", api_url()))
            .json(&json!({"product_id": p["product_id"], "quantity": 1}));
        if let Some(t) = &cart {
            req = req.header("x-cart-token", t);
        }
        let r = send(req).await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        cart = Some(r.headers["x-cart-token"].to_str().unwrap().to_string());
    }
    let cart = cart.unwrap();
    let checkout = send(
        client()
            .post(format!("{}/checkout", api_url()))
            .header("x-cart-token", &cart)
            .header("idempotency-key", format!("journey-guest-{}", uuid::Uuid::new_v4()))
            .json(&json!({"email": email, "shipping_address": {"name": "Katherine Johnson",
                "line1": "1 Rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}})),
    )
    .await;
    assert_eq!(checkout.status, 201, "{:?}", checkout.json);
    let order_id = checkout.json["order_id"].as_str().unwrap().to_string();
    let token = checkout.json["order_token"].as_str().unwrap().to_string();
    let items: i64 = picked
        .iter()
        .take(2)
        .map(|p| p["price"].as_i64().unwrap())
        .sum();
    // The cheapest option to France when none is named: standard, free from €60.
    let shipping = if items >= 6000 { 0 } else { 495 };
    assert_eq!(checkout.json["shipping_option"]["option_id"], "eu-standard");
    assert_eq!(checkout.json["total"].as_i64(), Some(items + shipping));
    let pi = checkout.json["payment"]["payment_intent_id"]
        .as_str()
        .unwrap();
    assert_eq!(pay_at_stripe_fake(pi, "4242424242424242").await, 200);

    // Shipped, as the guest sees it through its order token; both emails went to its address,
    // each linking to the order with that token.
    let start = std::time::Instant::now();
    let order = loop {
        let r = send(
            client()
                .get(format!("{}/orders/{order_id}", api_url()))
                .header("x-order-token", &token),
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        if r.json["status"] == "shipped" {
            break r.json;
        }
        assert!(start.elapsed().as_secs() < 60, "not shipped: {:?}", r.json);
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        status_history(&order),
        ["pending_payment", "paid", "fulfilling", "shipped"]
    );
    let mails = emails_to(&email, 2, 30).await;
    assert_eq!(mails.len(), 2, "{mails:#?}");
    for mail in &mails {
        assert!(
            mail.body
                .contains(&format!("/orders/{order_id}?token={token}")),
            "{}",
            mail.body
        );
    }

    // Registers with that email, verifies it, and the order is in the account.
    let password = "correct horse battery";
    assert_eq!(register(&email, password).await.status, 202);
    let code = nth_code(&email, "confirm your email address", 1).await;
    let r = post_json("/auth/verify-email", &json!({"token": code})).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let l = login(&email, password).await;
    let t = l.json["access_token"].as_str().unwrap();
    let list = call("GET", "/orders", Some(t), None).await;
    assert_eq!(
        list.json["items"][0]["order_id"],
        order_id.as_str(),
        "{:?}",
        list.json
    );
    assert_eq!(list.json["items"].as_array().unwrap().len(), 1);
    let mine = call("GET", &format!("/orders/{order_id}"), Some(t), None).await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.json["status"], "shipped");
    assert_eq!(mine.json["shipments"], order["shipments"]);
}

#[tokio::test]
async fn a_poison_message_reaches_the_dlq_while_the_rest_of_its_batch_succeeds() {
    let (email, _, order_id) = unpaid_order("poison").await;
    let good = json!({"kind": "payment_failed", "order_id": order_id}).to_string();
    let poison = format!(
        "{{\"kind\": \"payment_failed\", \"order\": \"{}\"}}",
        uuid::Uuid::new_v4()
    );

    // One batch, one poison message in it: only the poison is reported failed.
    let r = invoke(
        "email",
        &sqs_event(
            "ferrocart-emailqueue",
            &[("m-poison", &poison), ("m-good", &good)],
        ),
    )
    .await;
    assert_eq!(
        r,
        json!({"batchItemFailures": [{"itemIdentifier": "m-poison"}]})
    );
    let mails = emails_to(&email, 1, 10).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].subject.contains("did not go through"),
        "{}",
        mails[0].subject
    );
    assert!(mails[0].body.contains("£9.90"), "{}", mails[0].body);

    // Through the real queue: the same pair in one SendMessageBatch. The good one is handled (a
    // duplicate now: nothing sent), the poison is received 5 times and moved to the DLQ by SQS.
    let sqs = sqs_client().await;
    let (queue, dlq) = (
        queue_url(&sqs, "ferrocart-emailqueue").await,
        queue_url(&sqs, "ferrocart-emaildlq").await,
    );
    sqs.send_message_batch()
        .queue_url(&queue)
        .entries(
            aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                .id("poison")
                .message_body(&poison)
                .build()
                .unwrap(),
        )
        .entries(
            aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                .id("good")
                .message_body(&good)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let dead = dead_letters(&sqs, &dlq, &[&poison, &good], &poison, 60).await;
    assert!(
        dead.contains(&poison),
        "poison message in the DLQ within 60 s"
    );
    assert!(
        !dead.contains(&good),
        "the good message was not dead-lettered"
    );
    assert_eq!(emails_to(&email, 2, 2).await.len(), 1, "still one email");
}

#[tokio::test]
async fn a_message_delivered_three_times_sends_one_email() {
    let (email, _, order_id) = unpaid_order("thrice").await;
    let body = json!({"kind": "payment_failed", "order_id": order_id}).to_string();
    // Three deliveries at once (separate sandboxes), then three more through the queue.
    let results = futures::future::join_all((0..3).map(|i| {
        let event = sqs_event("ferrocart-emailqueue", &[(&format!("m{i}"), &body)]);
        async move { invoke("email", &event).await }
    }))
    .await;
    for r in results {
        assert_eq!(r, json!({"batchItemFailures": []}));
    }
    let sqs = sqs_client().await;
    let queue = queue_url(&sqs, "ferrocart-emailqueue").await;
    for _ in 0..3 {
        sqs.send_message()
            .queue_url(&queue)
            .message_body(&body)
            .send()
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mails = emails_to(&email, 2, 1).await;
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let details = store()
        .await
        .get_order_details(&OrderId::parse(&order_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(details.emails.len(), 1);
    assert_eq!(details.emails[0].status, "sent");
    assert_eq!(details.emails[0].attempts, 1, "claimed once");
}
