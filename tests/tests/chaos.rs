//! The chaos journey (issue 12): 100 shoppers register, fill carts, check out, and pay, fail to
//! pay or abandon, while the local stack injects every kind of fault AWS and Stripe produce
//! (infra/cli/src/faults.rs); webhooks arrive duplicated, concurrently and beside a redelivered
//! `payment_failed`. Then the faults stop, time is moved on (reservations and fulfilment grace
//! periods run out) and the system settles by itself (its consumers, their retries and the
//! reconciler). The invariants are then checked and printed as figures:
//!
//! - every order paid at the provider is shipped exactly once, or its money refunded;
//! - every unpaid order is cancelled exactly once;
//! - per product, initial stock = available + reserved + shipped, and on hand = initial − shipped;
//! - no order is left awaiting anything (unpaid past its deadline, paid and not shipped);
//! - at most one email per (order, kind);
//! - no 5xx but retryable ones (503, and 502 from a killed function).
//!
//! Clients retry what the API says is retryable (5xx, 429, 409 `request_in_progress`), checkout
//! with the same Idempotency-Key, as the storefront does. `CHAOS_SEED` replays a run's faults.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart_tests::*;
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

const SHOPPERS: usize = 100;
const PRODUCTS: usize = 4;
/// Units per product (two warehouses, half each): about what 100 shoppers ask for, so most
/// check out and the last ones find a product sold out.
const STOCK: i64 = 60;
const AT_ONCE: usize = 12;

/// Every answer the shoppers got, by status (retries included).
static STATUSES: Mutex<BTreeMap<u16, u64>> = Mutex::new(BTreeMap::new());

fn tally(status: u16) {
    *STATUSES.lock().unwrap().entry(status).or_default() += 1;
}

fn retryable(r: &Resp) -> bool {
    r.status >= 500 || r.status == 429 || r.code() == "request_in_progress"
}

/// A request as a client sends it: retried with backoff while the answer says so.
async fn request(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
    key: Option<&str>,
) -> Resp {
    let mut attempt = 0u32;
    loop {
        let mut req = client().request(method.parse().unwrap(), format!("{}{path}", api_url()));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        if !body.is_null() {
            req = req.json(body);
        }
        let r = send(req).await;
        tally(r.status);
        if !retryable(&r) || attempt == 20 {
            return r;
        }
        attempt += 1;
        tokio::time::sleep(Duration::from_millis((50u64 << attempt.min(5)).min(1_500))).await;
    }
}

/// A webhook event delivered as Stripe does: again and again until it is answered 2xx.
async fn deliver_until_received(body: &str) {
    for attempt in 0..15u32 {
        let r = deliver_signed(body).await;
        tally(r.status);
        if (200..300).contains(&r.status) {
            return;
        }
        tokio::time::sleep(Duration::from_millis((100u64 << attempt.min(4)).min(1_500))).await;
    }
    panic!("a webhook event was never accepted: {body}");
}

fn failed_event(order: &Value) -> String {
    event(
        &evt_id(),
        "payment_intent.payment_failed",
        json!({"id": order["payment"]["payment_intent_id"], "object": "payment_intent",
        "status": "requires_payment_method", "amount": order["total"],
        "currency": order["currency"].as_str().unwrap().to_lowercase(),
        "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds"},
        "metadata": {"order_id": order["order_id"]}}),
    )
}

#[derive(Debug, Default)]
struct Shopper {
    token: String,
    email: String,
    /// Checkout answers (201), in the order received.
    orders: Vec<Value>,
    paid: bool,
    gave_up: Option<String>,
}

async fn shop(i: usize, products: &[String]) -> Shopper {
    let email = unique_email(&format!("chaos{i}"));
    let password = "correct horse battery";
    let creds = json!({"email": email, "password": password});
    let mut s = Shopper {
        email: email.clone(),
        ..Shopper::default()
    };
    let r = request("POST", "/auth/register", None, &creds, None).await;
    // A lost answer retried finds the account made: the same answer.
    if r.status != 202 {
        s.gave_up = Some(format!("register {}", r.status));
        return s;
    }
    let r = request("POST", "/auth/login", None, &creds, None).await;
    if r.status != 200 {
        s.gave_up = Some(format!("login {}", r.status));
        return s;
    }
    s.token = r.json["access_token"].as_str().unwrap().to_string();
    let t = s.token.clone();
    for k in 0..(1 + i % 2) {
        let product = &products[(i + k) % products.len()];
        let r = request(
            "POST",
            "/cart/items",
            Some(&t),
            &json!({"product_id": product, "quantity": 1 + (i / 3) % 2}),
            None,
        )
        .await;
        if r.status != 200 {
            s.gave_up = Some(format!("cart {} {}", r.status, r.code()));
            return s;
        }
    }
    let address = json!({"shipping_address": {"name": "Chaos Monkey", "line1": "1 Fault Lane",
        "city": "London", "postal_code": "N1 9GU", "country": "GB"}});
    let r = request(
        "POST",
        "/checkout",
        Some(&t),
        &address,
        Some(&format!("chaos-{i}")),
    )
    .await;
    if r.status != 201 {
        s.gave_up = Some(format!("checkout {} {}", r.status, r.code()));
        return s;
    }
    let order = r.json.clone();
    s.orders.push(order.clone());
    let pi = order["payment"]["payment_intent_id"]
        .as_str()
        .unwrap()
        .to_string();
    match i % 10 {
        // Pays; Stripe's events arrive twice at once, beside a redelivered failure of an
        // earlier attempt, and again until accepted.
        0..=5 => {
            assert_eq!(pay_at_stripe_fake(&pi, "4242424242424242").await, 200);
            s.paid = true;
            let success = succeeded(&evt_id(), &order);
            let failure = failed_event(&order);
            futures::future::join_all([
                deliver_until_received(&success),
                deliver_until_received(&success),
                deliver_until_received(&failure),
            ])
            .await;
        }
        // The card is declined.
        6 | 7 => {
            pay_at_stripe_fake(&pi, "4000000000000341").await;
            deliver_until_received(&failed_event(&order)).await;
        }
        // Walks away.
        _ => {}
    }
    s
}

fn plan(seed: u64) -> Value {
    let r = |target: &str, kind: &str, rate: f64, op: Option<&str>| {
        let mut v = json!({"target": target, "kind": kind, "rate": rate, "delay_ms": 1500});
        if let Some(op) = op {
            v["op"] = json!(op);
        }
        v
    };
    // The webhook's transactions collide more often: its events for one order come together.
    let mut webhook = r("dynamodb", "conflict", 0.35, Some("TransactWriteItems"));
    webhook["function"] = json!("PaymentWebhookFunction");
    json!({"seed": seed, "rules": [
        webhook,
        r("dynamodb", "conflict", 0.10, Some("TransactWriteItems")),
        r("dynamodb", "throttle", 0.05, None),
        r("dynamodb", "throughput_exceeded", 0.03, None),
        r("dynamodb", "server_error", 0.03, None),
        r("dynamodb", "timeout", 0.01, None),
        r("dynamodb", "lost_answer", 0.03, Some("TransactWriteItems")),
        r("dynamodb", "lost_answer", 0.02, Some("UpdateItem")),
        r("dynamodb", "kill", 0.01, None),
        r("sqs", "server_error", 0.05, None),
        r("sqs", "duplicate", 0.10, None),
        r("sqs", "lost_answer", 0.03, None),
        r("sqs", "kill", 0.02, None),
        r("stripe", "server_error", 0.07, None),
        r("stripe", "timeout", 0.03, None),
        r("stripe", "lost_answer", 0.03, None),
    ]})
}

async fn stripe_status(pi: &str) -> String {
    stripe_get(&format!("/v1/payment_intents/{pi}")).await["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Moves time on for an order that still awaits something: its reservation deadline and its
/// next reconciler look are in the past.
async fn time_passes(order_id: &str) {
    times_past(order_id, &["expires_at", "dueat"]).await;
}

#[tokio::test]
async fn a_hundred_shoppers_under_injected_faults_lose_nothing() {
    let seed: u64 = std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let admin = admin_token().await;
    let mut products = Vec::new();
    for p in 0..PRODUCTS {
        let r = call("POST", "/admin/products", Some(&admin), Some(&json!({"name": format!("ZZ chaos {seed} {p}"), "category": "kitchen", "brand": "tern", "price": 1200 + 100 * p as i64, "currency": "GBP", "status": "active"}))).await;
        let id = r.json["product_id"].as_str().unwrap().to_string();
        let r = call("PUT", &format!("/admin/products/{id}/stock"), Some(&admin),
            Some(&json!({"warehouses": [{"warehouse_id": "lon-1", "quantity": STOCK / 2}, {"warehouse_id": "ams-1", "quantity": STOCK / 2}]}))).await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        products.push(id);
    }

    set_faults(&plan(seed)).await;
    let started = std::time::Instant::now();
    let shoppers: Vec<Shopper> = futures::stream::iter(0..SHOPPERS)
        .map(|i| {
            let products = products.clone();
            async move { shop(i, &products).await }
        })
        .buffer_unordered(AT_ONCE)
        .collect()
        .await;
    let shopping = started.elapsed();
    let report = faults_off().await;

    // Every order each shopper has, also those whose checkout answer a fault swallowed.
    let mut orders: HashMap<String, (String, String)> = HashMap::new(); // id -> (token, email)
    for s in shoppers.iter().filter(|s| !s.token.is_empty()) {
        let r = call("GET", "/orders?limit=50", Some(&s.token), None).await;
        for o in r.json["items"].as_array().unwrap() {
            orders.insert(
                o["order_id"].as_str().unwrap().into(),
                (s.token.clone(), s.email.clone()),
            );
        }
    }

    // Settle: time passes for whatever still waits, the reconciler runs, the consumers work.
    let settle_started = std::time::Instant::now();
    let s = store().await;
    loop {
        let mut waiting = Vec::new();
        for id in orders.keys() {
            let o = s
                .get_order(&ferrocart::ids::OrderId::parse(id).unwrap())
                .await
                .unwrap()
                .unwrap();
            if o.duepk.is_some() {
                waiting.push(format!("{id} {}", o.status));
                time_passes(id).await;
            }
        }
        if waiting.is_empty() {
            break;
        }
        assert!(
            settle_started.elapsed() < Duration::from_secs(90),
            "{} orders never settled (still awaiting something): {waiting:?}",
            waiting.len()
        );
        reconcile().await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let settling = settle_started.elapsed();

    // The invariants.
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    let mut shipped_units: HashMap<String, i64> = HashMap::new();
    let (mut paid_at_provider, mut late_refunds) = (0, 0);
    for (id, (token, _)) in &orders {
        let oid = ferrocart::ids::OrderId::parse(id).unwrap();
        let details = s.get_order_details(&oid).await.unwrap().unwrap();
        let o = &details.order;
        *by_status.entry(o.status.to_string()).or_default() += 1;
        let view = call("GET", &format!("/orders/{id}"), Some(token), None).await;
        let history = status_history(&view.json);
        let times = |st: &str| history.iter().filter(|h| h.as_str() == st).count();
        let pi = o.payment.as_ref().map(|p| p.payment_intent_id.clone());
        let paid = match &pi {
            Some(pi) => stripe_status(pi).await == "succeeded",
            None => false,
        };
        if paid {
            paid_at_provider += 1;
            match o.status {
                ferrocart::state::OrderStatus::Shipped => {
                    assert_eq!(times("shipped"), 1, "{id}: {history:?}");
                    assert_eq!(times("paid"), 1, "{id}: {history:?}");
                    let shipments = view.json["shipments"].as_array().unwrap();
                    assert!(!shipments.is_empty(), "{id}");
                    for sh in shipments {
                        for l in sh["lines"].as_array().unwrap() {
                            *shipped_units
                                .entry(l["product_id"].as_str().unwrap().into())
                                .or_default() += l["quantity"].as_i64().unwrap();
                        }
                    }
                }
                ferrocart::state::OrderStatus::Cancelled => {
                    assert!(
                        o.late_payment_refund.is_some(),
                        "{id}: paid, cancelled, never refunded"
                    );
                    assert_eq!(times("cancelled"), 1, "{id}: {history:?}");
                    late_refunds += 1;
                }
                other => panic!("{id}: paid at the provider but {other}"),
            }
        } else {
            assert_eq!(
                o.status,
                ferrocart::state::OrderStatus::Cancelled,
                "{id}: unpaid but {}",
                o.status
            );
            assert_eq!(times("cancelled"), 1, "{id}: {history:?}");
            assert!(
                view.json["shipments"].as_array().unwrap().is_empty(),
                "{id}"
            );
        }
        assert_eq!(o.duepk, None, "{id} still awaits something");
    }
    let mut stock_lines = Vec::new();
    for p in &products {
        let pid = ferrocart::ids::ProductId::parse(p).unwrap();
        let product = s.get_product(&pid, true).await.unwrap().unwrap();
        let on_hand: i64 = s
            .product_stock(&pid)
            .await
            .unwrap()
            .iter()
            .map(|w| w.quantity)
            .sum();
        let shipped = shipped_units.get(p).copied().unwrap_or(0);
        // Nothing is reserved any more: every order is shipped or cancelled.
        assert_eq!(
            STOCK,
            product.stock_available + shipped,
            "{p}: available {} + shipped {shipped}",
            product.stock_available
        );
        assert_eq!(on_hand, STOCK - shipped, "{p}: on hand");
        stock_lines.push(format!(
            "{STOCK} = {} available + 0 reserved + {shipped} shipped",
            product.stock_available
        ));
    }
    // One email per (order, kind): subjects name the order, so per (recipient, subject).
    let emails: Vec<SentEmail> = sent_emails().await;
    let mut per: HashMap<(String, String), usize> = HashMap::new();
    let addresses: std::collections::HashSet<&String> = orders.values().map(|(_, e)| e).collect();
    for e in emails
        .iter()
        .filter(|e| e.to.iter().any(|t| addresses.contains(t)))
    {
        *per.entry((e.to.join(","), e.subject.clone())).or_default() += 1;
    }
    let twice: Vec<_> = per.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "emails sent twice: {twice:?}");

    let statuses = STATUSES.lock().unwrap().clone();
    let gave_up: BTreeMap<String, usize> =
        shoppers
            .iter()
            .filter_map(|s| s.gave_up.clone())
            .fold(BTreeMap::new(), |mut m, g| {
                *m.entry(g).or_default() += 1;
                m
            });
    println!(
        "chaos seed {seed}: {SHOPPERS} shoppers, {PRODUCTS} products x {STOCK} units, {AT_ONCE} at a time"
    );
    println!(
        "  shopping {:.1}s, settling {:.1}s",
        shopping.as_secs_f64(),
        settling.as_secs_f64()
    );
    println!("  faults injected: {}", report["by_kind"]);
    println!("  answers by status (retries included): {statuses:?}");
    println!("  shoppers who stopped: {gave_up:?}");
    println!(
        "  orders: {} ({by_status:?}); paid at the provider {paid_at_provider}, of which late-paid and refunded {late_refunds}",
        orders.len()
    );
    println!("  stock per product: {stock_lines:?}");
    println!("  emails to these shoppers: {} sent, none twice", per.len());
    let bad: Vec<_> = statuses
        .keys()
        .filter(|s| **s >= 500 && **s != 503 && **s != 502)
        .collect();
    assert!(bad.is_empty(), "5xx that are not retryable: {statuses:?}");
    assert!(
        orders.len() >= SHOPPERS * 3 / 5,
        "too few orders to mean anything: {}",
        orders.len()
    );
    assert!(
        report["by_kind"].as_object().unwrap().len() >= 10,
        "{report}"
    );
}
