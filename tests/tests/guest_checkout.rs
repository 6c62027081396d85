//! Guest checkout through the local HTTP API: a guest pays for its cart with an email instead of
//! an account, reads the order only with its token (from the checkout answer and the confirmation
//! email), and an account that later verifies that email gets the order; the guest's unpaid orders
//! count against its email's hold limits, before and after they move to the account.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart::ids::OrderId;
use ferrocart_tests::*;
use serde_json::{Value, json};

/// A fresh active product at `price` (GBP) with `stock` units; its id.
async fn product(tag: &str, price: i64, stock: i64) -> String {
    stocked_product(
        &format!("ZZ guest checkout {tag}"),
        price,
        "GBP",
        "lon-1",
        stock,
    )
    .await
}

/// A guest cart holding one unit of `product`: its cart token.
async fn guest_cart(product: &str) -> String {
    let r = send(
        client()
            .post(format!("{}/cart/items", api_url()))
            .json(&json!({"product_id": product, "quantity": 1})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.headers["x-cart-token"].to_str().unwrap().to_string()
}

fn address() -> Value {
    json!({"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London",
           "postal_code": "SW1Y 4JH", "country": "GB"})
}

/// `POST /checkout` as a guest: this cart token, key and body.
async fn guest_checkout(cart: Option<&str>, key: &str, body: &Value) -> Resp {
    let mut req = client()
        .post(format!("{}/checkout", api_url()))
        .header("idempotency-key", key)
        .json(body);
    if let Some(c) = cart {
        req = req.header("x-cart-token", c);
    }
    send(req).await
}

/// A guest order of `email` for one unit of `product`: the checkout answer.
async fn guest_order(product: &str, email: &str) -> Value {
    let cart = guest_cart(product).await;
    let r = guest_checkout(
        Some(&cart),
        &format!("g-{}", uuid::Uuid::new_v4()),
        &json!({"email": email, "shipping_address": address()}),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    r.json
}

/// `GET /orders/{id}` with this `X-Order-Token`.
async fn order_by_token(order_id: &str, token: &str) -> Resp {
    send(
        client()
            .get(format!("{}/orders/{order_id}", api_url()))
            .header("x-order-token", token),
    )
    .await
}

fn order_ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_id"].as_str().unwrap().to_string())
        .collect()
}

async fn cart_lines(cart: &str) -> usize {
    let r = send(
        client()
            .get(format!("{}/cart", api_url()))
            .header("x-cart-token", cart),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json["lines"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_guest_checks_out_with_an_email_and_reads_its_order_only_with_its_token() {
    let p = product("buys", 1_250, 10).await;
    let cart = guest_cart(&p).await;
    let email = unique_email("guest-buys");
    let body = json!({"email": email, "shipping_address": address()});

    // Neither an account nor a cart: 401. A cart without an email, a malformed email, a saved
    // address: refused, and nothing is reserved.
    let r = guest_checkout(None, "g-1", &body).await;
    assert_eq!((r.status, r.code()), (401, "missing_token"), "{:?}", r.json);
    let r = guest_checkout(Some(&cart), "g-1", &json!({"shipping_address": address()})).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "email_required"),
        "{:?}",
        r.json
    );
    let r = guest_checkout(
        Some(&cart),
        "g-1",
        &json!({"email": "not an email", "shipping_address": address()}),
    )
    .await;
    assert_eq!((r.status, r.code()), (400, "invalid_email"), "{:?}", r.json);
    let r = guest_checkout(
        Some(&cart),
        "g-1",
        &json!({"email": email, "address_id": uuid::Uuid::new_v4().to_string()}),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (422, "account_required"),
        "{:?}",
        r.json
    );
    let r = guest_checkout(
        Some(&cart),
        "g-1",
        &json!({"email": email, "shipping_address": address(), "save_address": true}),
    )
    .await;
    assert_eq!(
        (r.status, r.field()),
        (422, Some("save_address")),
        "{:?}",
        r.json
    );
    assert_eq!(stock_available(&p).await, 10, "nothing reserved");
    // A signed-in customer's order goes to the account's email: an email in the body is refused.
    let (_, _, pair) = new_customer("guest-buys-customer").await;
    let customer = pair["access_token"].as_str().unwrap();
    let r = send(
        client()
            .post(format!("{}/checkout", api_url()))
            .bearer_auth(customer)
            .header("idempotency-key", "g-1")
            .json(&body),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (422, "email_not_allowed"),
        "{:?}",
        r.json
    );

    // The guest checks out: the order, its payment, and its token.
    let placed = guest_checkout(Some(&cart), "g-1", &body).await;
    assert_eq!(placed.status, 201, "{:?}", placed.json);
    let order_id = placed.json["order_id"].as_str().unwrap().to_string();
    let token = placed.json["order_token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 43);
    assert_eq!(
        placed.json["total"],
        1_250 + 395,
        "with standard shipping (£3.95)"
    );
    assert!(placed.json["payment"]["client_secret"].is_string());
    assert_eq!(stock_available(&p).await, 9);
    assert_eq!(cart_lines(&cart).await, 0, "the guest cart is emptied");
    // The same key and body replays the answer; the key is the cart's: another guest's cart with
    // the same key is its own checkout.
    let again = guest_checkout(Some(&cart), "g-1", &body).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.json, placed.json);
    let other_cart = guest_cart(&p).await;
    let other = guest_checkout(Some(&other_cart), "g-1", &body).await;
    assert_eq!(other.status, 201, "{:?}", other.json);
    assert_ne!(other.json["order_id"], placed.json["order_id"]);

    // Read with its token only: another order's token, a made-up one, none, another customer.
    let r = order_by_token(&order_id, &token).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["status"], "pending_payment");
    assert_eq!(r.json["lines"][0]["product_id"], p.as_str());
    assert_eq!(r.json["shipping_address"]["postal_code"], "SW1Y 4JH");
    let other_token = other.json["order_token"].as_str().unwrap();
    assert_eq!(order_by_token(&order_id, other_token).await.status, 404);
    let made_up = "A".repeat(43);
    assert_eq!(order_by_token(&order_id, &made_up).await.status, 404);
    let r = order_by_token(&order_id, "short").await;
    assert_eq!((r.status, r.code()), (400, "invalid_order_token"));
    let r = call("GET", &format!("/orders/{order_id}"), None, None).await;
    assert_eq!(r.status, 401);
    let r = call("GET", &format!("/orders/{order_id}"), Some(customer), None).await;
    assert_eq!(r.status, 404);
    let r = call("GET", "/orders", Some(customer), None).await;
    assert!(!order_ids(&r.json).contains(&order_id));

    // Paid: the confirmation goes to the guest's email, with the link that opens the order.
    let paid = deliver_signed(&succeeded(&evt_id(), &placed.json)).await;
    assert_eq!(paid.status, 200, "{:?}", paid.json);
    let mails = emails_to(&email, 1, 30).await;
    let confirmations: Vec<_> = mails
        .iter()
        .filter(|m| m.subject.contains("confirmed"))
        .collect();
    assert_eq!(confirmations.len(), 1, "one confirmation: {mails:#?}");
    assert!(
        confirmations[0]
            .body
            .contains(&format!("/orders/{order_id}?token={token}")),
        "{}",
        confirmations[0].body
    );
    let r = order_by_token(&order_id, &token).await;
    assert_ne!(r.json["status"], "pending_payment", "{:?}", r.json);
}

#[tokio::test]
async fn an_account_that_verifies_the_email_gets_its_guest_orders_and_no_one_elses() {
    let p = product("attach", 800, 20).await;
    let email = unique_email("guest-attach");
    let first = guest_order(&p, &email).await;
    let second = guest_order(&p, &email).await;
    let stranger = guest_order(&p, &unique_email("guest-stranger")).await;
    let paid = deliver_signed(&succeeded(&evt_id(), &first)).await;
    assert_eq!(paid.status, 200);

    // Registered and signed in, not yet verified: the guest orders are not its.
    let password = "correct horse battery";
    assert_eq!(register(&email, password).await.status, 202);
    let t = login(&email, password).await.json["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let list = call("GET", "/orders", Some(&t), None).await;
    assert_eq!(order_ids(&list.json), Vec::<String>::new());
    let first_id = first["order_id"].as_str().unwrap();
    assert_eq!(
        call("GET", &format!("/orders/{first_id}"), Some(&t), None)
            .await
            .status,
        404
    );

    // Verified: both guest orders are in its history, newest first; the stranger's is not.
    let code = nth_code(&email, "confirm your email address", 1).await;
    let r = post_json("/auth/verify-email", &json!({"token": code})).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let list = call("GET", "/orders", Some(&t), None).await;
    let second_id = second["order_id"].as_str().unwrap();
    assert_eq!(order_ids(&list.json), vec![second_id, first_id]);
    let r = call("GET", &format!("/orders/{first_id}"), Some(&t), None).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(status_history(&r.json)[..2], ["pending_payment", "paid"]);
    let stranger_id = stranger["order_id"].as_str().unwrap();
    assert_eq!(
        call("GET", &format!("/orders/{stranger_id}"), Some(&t), None)
            .await
            .status,
        404
    );
    // The guest's link still opens it.
    let r = order_by_token(first_id, first["order_token"].as_str().unwrap()).await;
    assert_eq!(r.status, 200);
    let stored = store()
        .await
        .get_order(&OrderId::parse(first_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(stored.attached_at.is_some() && !stored.is_guest());
    assert_eq!(stored.guest_email.as_deref(), Some(email.as_str()));

    // A guest order placed with the email later still (the shopper forgot to sign in): the next
    // login brings it, once.
    let later = guest_order(&p, &email).await;
    let later_id = later["order_id"].as_str().unwrap();
    assert!(
        !order_ids(&call("GET", "/orders", Some(&t), None).await.json)
            .contains(&later_id.to_string())
    );
    let t = login(&email, password).await.json["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let ids = order_ids(&call("GET", "/orders", Some(&t), None).await.json);
    assert_eq!(ids, vec![later_id, second_id, first_id]);
    let again = login(&email, password).await;
    assert_eq!(again.status, 200);
    let ids = order_ids(&call("GET", "/orders", Some(&t), None).await.json);
    assert_eq!(ids.len(), 3);
}

#[tokio::test]
async fn a_guests_unpaid_orders_count_against_its_emails_hold_limit_before_and_after_they_move() {
    let p = product("holds", 500, 30).await;
    let email = unique_email("guest-holds");
    // Three unpaid orders (the local limit), each from its own cart: a fourth is refused,
    // whatever cart it comes from.
    let orders: Vec<Value> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(guest_order(&p, &email).await);
        }
        v
    };
    let cart = guest_cart(&p).await;
    let body = json!({"email": email, "shipping_address": address()});
    let r = guest_checkout(Some(&cart), "g-hold-4", &body).await;
    assert_eq!((r.status, r.code()), (409, "hold_limit"), "{:?}", r.json);
    assert_eq!(stock_available(&p).await, 27);

    // The email's account verifies: the orders move to it, what they hold stays the guest's.
    let password = "correct horse battery";
    assert_eq!(register(&email, password).await.status, 202);
    let code = nth_code(&email, "confirm your email address", 1).await;
    assert_eq!(
        post_json("/auth/verify-email", &json!({"token": code}))
            .await
            .status,
        200
    );
    let t = login(&email, password).await.json["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        order_ids(&call("GET", "/orders", Some(&t), None).await.json).len(),
        3
    );

    // One expires: its stock comes back and its share of the guest's limit with it, so the guest
    // may order again (from the cart it still has).
    let expired = &orders[0];
    expire_now(expired).await;
    invoke("order-expiry", &expiry_event(expired, 0)).await;
    let id = expired["order_id"].as_str().unwrap();
    let r = call("GET", &format!("/orders/{id}"), Some(&t), None).await;
    assert_eq!(r.json["status"], "cancelled", "{:?}", r.json);
    assert_eq!(stock_available(&p).await, 28);
    let r = guest_checkout(Some(&cart), "g-hold-5", &body).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    // One is paid: the same.
    let paid = deliver_signed(&succeeded(&evt_id(), &orders[1])).await;
    assert_eq!(paid.status, 200);
    let r = call(
        "GET",
        &format!("/orders/{}", orders[1]["order_id"].as_str().unwrap()),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(
        status_history(&r.json)[..2],
        ["pending_payment", "paid"],
        "{:?}",
        r.json
    );
    let r = guest_checkout(Some(&guest_cart(&p).await), "g-hold-6", &body).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    // The account's own limit was never touched: it holds three unpaid orders of its own.
    for i in 0..3 {
        let r = call(
            "POST",
            "/cart/items",
            Some(&t),
            Some(&json!({"product_id": p, "quantity": 1})),
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        let r = checkout(&t, &format!("own-{i}")).await;
        assert_eq!(r.status, 201, "{:?}", r.json);
    }
}

#[tokio::test]
async fn a_guest_cart_merged_at_login_can_no_longer_be_checked_out_as_a_guest() {
    let p = product("merged", 700, 10).await;
    let cart = guest_cart(&p).await;
    let (email, password, _) = new_customer("guest-merged").await;
    let r = send(
        client()
            .post(format!("{}/auth/login", api_url()))
            .header("x-cart-token", &cart)
            .json(&json!({"email": email, "password": password})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let r = guest_checkout(
        Some(&cart),
        "g-merged",
        &json!({"email": unique_email("guest-merged-2"), "shipping_address": address()}),
    )
    .await;
    assert_eq!((r.status, r.code()), (409, "cart_empty"), "{:?}", r.json);
    assert_eq!(stock_available(&p).await, 10);
}

#[tokio::test]
async fn an_unpaid_guest_order_that_lapses_mails_no_one() {
    // Anyone may type any address at a guest checkout: an order nobody paid must not make the
    // shop write to it.
    let p = product("lapses", 600, 5).await;
    let email = unique_email("guest-lapses");
    let order = guest_order(&p, &email).await;
    expire_now(&order).await;
    invoke("order-expiry", &expiry_event(&order, 0)).await;
    let id = OrderId::parse(order["order_id"].as_str().unwrap()).unwrap();
    let store = store().await;
    let start = std::time::Instant::now();
    let record = loop {
        let d = store.get_order_details(&id).await.unwrap().unwrap();
        assert_eq!(d.order.status.to_string(), "cancelled");
        // The record is claimed (`sending`) before the consumer decides; wait for its outcome.
        if let Some(e) = d
            .emails
            .iter()
            .find(|e| e.kind.to_string() == "order_cancelled" && e.status != "sending")
        {
            break e.clone();
        }
        assert!(
            start.elapsed().as_secs() < 30,
            "no settled cancellation email record: {:?}",
            d.emails
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(record.status, "skipped", "{record:?}");
    assert!(emails_to(&email, 1, 2).await.is_empty());
    assert_eq!(stock_available(&p).await, 5);
}
