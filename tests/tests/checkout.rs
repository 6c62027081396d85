//! Checkout through the local HTTP API against DynamoDB Local and the Stripe stand-in: prices from
//! the table, all-or-nothing reservation, idempotency, and no overselling under a flash sale.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart::ids::{OrderId, UserId};
use ferrocart::keys;
use ferrocart::store::cart::CartOwner;
use ferrocart::store::idempotency::IdempotencyRecord;
use ferrocart::store::orders::{OrderItem, PlaceOrder, PricedLine};
use ferrocart_tests::*;
use serde_json::{Value, json};

fn address() -> Value {
    json!({"shipping_address": {"name": "Ada Lovelace", "line1": "Damrak 1", "city": "Amsterdam",
                                "postal_code": "1012 LG", "country": "nl", "phone": "+31 20 123 4567"}})
}

async fn checkout(token: &str, key: &str, body: &Value) -> Resp {
    send(
        client()
            .post(format!("{}/checkout", api_url()))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(body),
    )
    .await
}

/// A fresh active product with `stock` units in one warehouse; returns (id, price).
async fn product(name: &str, price: i64, stock: i64) -> (String, i64) {
    (
        stocked_product(name, price, "EUR", "ams-1", stock).await,
        price,
    )
}

async fn shopper_with(items: &[(&str, i64)]) -> String {
    let (_, _, pair) = new_customer("buyer").await;
    let t = pair["access_token"].as_str().unwrap().to_string();
    for (id, q) in items {
        let r = call(
            "POST",
            "/cart/items",
            Some(&t),
            Some(&json!({"product_id": id, "quantity": q})),
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", r.json);
    }
    t
}

#[tokio::test]
async fn checkout_reserves_stock_places_the_order_and_starts_the_payment() {
    let (a, pa) = product("Checkout A", 1250, 5).await;
    let (b, pb) = product("Checkout B", 399, 9).await;
    let t = shopper_with(&[(&a, 2), (&b, 3)]).await;
    let r = checkout(&t, "k-1", &address()).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(r.json["status"], "pending_payment");
    assert_eq!(
        r.json["total"].as_i64(),
        Some(2 * pa + 3 * pb + 495),
        "priced from the table, with standard shipping to the Netherlands (€4.95)"
    );
    assert_eq!(r.json["shipping"], 495);
    assert_eq!(r.json["currency"], "EUR");
    assert_eq!(r.json["payment"]["provider"], "stripe");
    assert!(
        r.json["payment"]["payment_intent_id"]
            .as_str()
            .unwrap()
            .starts_with("pi_")
    );
    assert!(
        r.json["payment"]["client_secret"]
            .as_str()
            .unwrap()
            .contains("_secret_")
    );
    assert_eq!(
        (stock_available(&a).await, stock_available(&b).await),
        (3, 6)
    );
    let cart = call("GET", "/cart", Some(&t), None).await;
    assert_eq!(cart.json["line_count"], 0, "the cart is emptied");
    let order = store()
        .await
        .get_order(&OrderId::parse(r.json["order_id"].as_str().unwrap()).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (order.status.as_str(), order.total, order.line_count),
        ("pending_payment", 2 * pa + 3 * pb + 495, 2)
    );
    assert_eq!(order.shipping_address.country, "NL");
    assert_eq!(
        order.payment.unwrap().payment_intent_id,
        r.json["payment"]["payment_intent_id"].as_str().unwrap()
    );
}

#[tokio::test]
async fn the_same_key_replays_and_another_body_is_422() {
    let (a, _) = product("Idempotent", 500, 5).await;
    let t = shopper_with(&[(&a, 1)]).await;
    let first = checkout(&t, "same-key", &address()).await;
    assert_eq!(first.status, 201);
    let again = checkout(&t, "same-key", &address()).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.json, first.json);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(stock_available(&a).await, 4, "one order, one reservation");
    let mut other = address();
    other["shipping_address"]["city"] = json!("Rotterdam");
    let r = checkout(&t, "same-key", &other).await;
    assert_eq!((r.status, r.code()), (422, "idempotency_key_reused"));
    // A new key on the now empty cart.
    let r = checkout(&t, "another-key", &address()).await;
    assert_eq!((r.status, r.code()), (409, "cart_empty"));
}

#[tokio::test]
async fn concurrent_requests_with_one_key_make_one_order() {
    // Several rounds, three requests each: the twins may see the key before, during or after the
    // winner's transaction (and the cart the winner emptied); each must answer as the winner's
    // twin (its 201 replayed, or a retryable 409), never `cart_empty`.
    for round in 0..5 {
        let (a, _) = product(&format!("Double Click {round}"), 700, 5).await;
        let t = shopper_with(&[(&a, 1)]).await;
        let body = address();
        let results =
            futures::future::join_all((0..3).map(|_| checkout(&t, "double-click", &body))).await;
        let seen: Vec<_> = results
            .iter()
            .map(|r| (r.status, r.code().to_string()))
            .collect();
        let ok: Vec<&Resp> = results.iter().filter(|r| r.status == 201).collect();
        let busy = results
            .iter()
            .filter(|r| r.status == 409 && r.code() == "request_in_progress")
            .count();
        assert!(!ok.is_empty(), "round {round}: {seen:?}");
        assert_eq!(ok.len() + busy, 3, "round {round}: {seen:?}");
        assert!(ok.iter().all(|r| r.json == ok[0].json), "one order");
        assert_eq!(stock_available(&a).await, 4);
        let replay = checkout(&t, "double-click", &body).await;
        assert_eq!(replay.json, ok[0].json);
    }
}

#[tokio::test]
async fn short_stock_is_a_409_naming_the_product_and_writes_nothing() {
    let (plenty, _) = product("Plenty", 100, 50).await;
    let (scarce, _) = product("Scarce Item", 100, 1).await;
    let t = shopper_with(&[(&plenty, 2), (&scarce, 2)]).await;
    let r = checkout(&t, "short", &address()).await;
    assert_eq!((r.status, r.code()), (409, "out_of_stock"), "{:?}", r.json);
    assert!(
        r.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Scarce Item")
    );
    assert!(
        !r.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Plenty")
    );
    assert_eq!(
        (
            stock_available(&plenty).await,
            stock_available(&scarce).await
        ),
        (50, 1),
        "no partial reservation"
    );
    assert_eq!(
        call("GET", "/cart", Some(&t), None).await.json["line_count"],
        2,
        "the cart is kept"
    );
    // The key was not consumed by the failed attempt: fix the cart and use it again.
    call(
        "PATCH",
        &format!("/cart/items/{scarce}"),
        Some(&t),
        Some(&json!({"quantity": 1})),
    )
    .await;
    assert_eq!(checkout(&t, "short", &address()).await.status, 201);
    assert_eq!(stock_available(&scarce).await, 0);
}

#[tokio::test]
async fn a_flash_sale_never_oversells() {
    let (hot, _) = product("Flash Sale Item", 999, 10).await;
    let items = [(hot.as_str(), 1)];
    let shoppers = futures::future::join_all((0..50).map(|_| shopper_with(&items))).await;
    let body = address();
    let results = futures::future::join_all(shoppers.iter().enumerate().map(|(i, t)| {
        let body = body.clone();
        async move { checkout(t, &format!("flash-{i}"), &body).await }
    }))
    .await;
    let placed = results.iter().filter(|r| r.status == 201).count();
    let refused = results.iter().filter(|r| r.status == 409).count();
    let codes: std::collections::BTreeSet<String> = results
        .iter()
        .filter(|r| r.status == 409)
        .map(|r| r.code().to_string())
        .collect();
    assert_eq!((placed, refused), (10, 40), "codes: {codes:?}");
    assert_eq!(
        stock_available(&hot).await,
        0,
        "stock is exactly S - min(N, S)"
    );
    // Losers keep their cart and hold no reservation.
    for (t, r) in shoppers.iter().zip(&results) {
        let lines = call("GET", "/cart", Some(t), None).await.json["line_count"]
            .as_u64()
            .unwrap();
        assert_eq!(lines, if r.status == 201 { 0 } else { 1 });
    }
}

#[tokio::test]
async fn bad_checkout_requests_are_refused() {
    let (a, _) = product("Validation", 100, 5).await;
    let t = shopper_with(&[(&a, 1)]).await;
    let r = send(
        client()
            .post(format!("{}/checkout", api_url()))
            .bearer_auth(&t)
            .json(&address()),
    )
    .await;
    assert_eq!((r.status, r.code()), (400, "missing_idempotency_key"));
    let r = checkout(&t, "bad key with spaces", &address()).await;
    assert_eq!((r.status, r.code()), (400, "invalid_idempotency_key"));
    for (patch, code, field) in [
        (
            json!({"country": "Netherlands"}),
            "invalid_address",
            "shipping_address.country",
        ),
        (
            json!({"line1": ""}),
            "invalid_address",
            "shipping_address.line1",
        ),
        (
            json!({"phone": "call me"}),
            "invalid_phone",
            "shipping_address.phone",
        ),
        (
            json!({"total": 1}),
            "unknown_field",
            "shipping_address.total",
        ),
    ] {
        let mut body = address();
        for (k, v) in patch.as_object().unwrap() {
            body["shipping_address"][k] = v.clone();
        }
        let r = checkout(&t, "validation", &body).await;
        assert_eq!(
            (r.status, r.code(), r.field()),
            (400, code, Some(field)),
            "{patch}"
        );
    }
    let mut body = address();
    body["price"] = json!(1);
    assert_eq!(
        checkout(&t, "validation", &body).await.code(),
        "unknown_field"
    );
    assert_eq!(stock_available(&a).await, 5, "nothing was reserved");
    let r = send(
        client()
            .post(format!("{}/checkout", api_url()))
            .header("idempotency-key", "x")
            .json(&address()),
    )
    .await;
    assert_eq!(r.status, 401);
}

/// The checkout transaction empties the cart only if it is still the version that was priced: a
/// cart changed in between (a line added from another tab) fails the whole transaction, so there
/// is no order, no reservation, the idempotency key is not used up, and the cart keeps both lines.
#[tokio::test]
async fn a_cart_changed_after_it_was_priced_places_nothing() {
    let (kettle, price) = product("Stale cart kettle", 2500, 5).await;
    let (mug, _) = product("Stale cart mug", 900, 5).await;
    let t = shopper_with(&[(&kettle, 1)]).await;
    let me = call("GET", "/me", Some(&t), None).await;
    let user = UserId::parse(me.json["user_id"].as_str().unwrap()).unwrap();
    let store = store().await;
    let priced_cart = store.get_cart(&user).await.unwrap();
    assert_eq!(priced_cart.lines.len(), 1);
    let r = call(
        "POST",
        "/cart/items",
        Some(&t),
        Some(&json!({"product_id": mug, "quantity": 1})),
    )
    .await;
    assert_eq!(r.status, 200);

    // What checkout would write for the cart it priced (one kettle).
    let order_id = OrderId::generate();
    let (ok, ik, g) = (
        keys::order(&order_id),
        keys::idempotency(&user, "stale-key"),
        keys::user_orders_gsi1(&user, 1_795_291_080, &order_id),
    );
    let order: OrderItem = serde_json::from_value(json!({
        "pk": ok.pk, "sk": ok.sk, "entity": "Order", "order_id": order_id, "user_id": user,
        "status": "pending_payment", "currency": "EUR", "subtotal": price, "shipping": 0,
        "total": price, "line_count": 1, "shipping_address": address()["shipping_address"],
        "created_at": "2026-11-22T06:00:00Z", "expires_at": 1_795_291_980u64,
        "gsi1pk": g.pk, "gsi1sk": g.sk
    }))
    .unwrap();
    let record: IdempotencyRecord = serde_json::from_value(json!({
        "pk": ik.pk, "sk": ik.sk, "entity": "IdempotencyRecord", "request_hash": "h",
        "status": "in_progress", "order_id": order_id, "created_at": "2026-11-22T06:00:00Z",
        "ttl": 1_795_377_480u64
    }))
    .unwrap();
    let lines = [PricedLine {
        cart_line: priced_cart.lines[0].clone(),
        name: "Stale cart kettle".into(),
        unit_price: price,
        pricing: ferrocart::store::catalog::Pricing {
            price,
            sale_price: None,
            sale_starts_at: None,
            sale_ends_at: None,
        },
        tax_class: Default::default(),
        weight_grams: 0,
        category: "kitchen".into(),
        discount: 0,
        tax: Default::default(),
    }];
    assert_eq!(
        store
            .place_order(
                &record,
                &order,
                &lines,
                (&CartOwner::User(user.clone()), priced_cart.version),
                Default::default(),
                None,
            )
            .await
            .unwrap(),
        PlaceOrder::CartChanged
    );
    assert!(store.get_order(&order_id).await.unwrap().is_none());
    assert!(
        store
            .get_idempotency(&user, "stale-key")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(stock_available(&kettle).await, 5, "nothing reserved");
    let cart = store.get_cart(&user).await.unwrap();
    assert_eq!(cart.lines.len(), 2);
    // At the version as it is now, the same transaction goes through: the version refused it.
    assert_eq!(
        store
            .place_order(
                &record,
                &order,
                &lines,
                (&CartOwner::User(user.clone()), cart.version),
                Default::default(),
                None,
            )
            .await
            .unwrap(),
        PlaceOrder::Placed
    );
    assert_eq!(stock_available(&kettle).await, 4);
    assert!(store.get_cart(&user).await.unwrap().lines.is_empty());
}

/// Hole 7 of issue 12: a total Stripe refuses (a free product, a few pence, more than
/// 99,999,999 minor units) became a 500 after the order was placed, with its stock reserved.
/// Now it is a 422 before anything is written: no order, stock and cart as they were. (Since
/// shipping is charged, a free product is no longer below Stripe's minimum: every demo option
/// to the UK costs at least £3.95 under £50, so only the too-large total is left to try here;
/// the minimums are `payments::stripe::payable`'s unit test.)
#[tokio::test]
async fn totals_the_provider_refuses_are_refused_before_anything_is_reserved() {
    for (price, quantity) in [(10_000_000, 10)] {
        let (_, token, product) = shopper_with_cart(&format!("unpayable-{price}"), price).await;
        if quantity > 1 {
            let r = call(
                "PATCH",
                &format!("/cart/items/{product}"),
                Some(&token),
                Some(&serde_json::json!({"quantity": quantity})),
            )
            .await;
            assert_eq!(r.status, 200, "{:?}", r.json);
        }
        let r = ferrocart_tests::checkout(&token, &format!("unpayable-{price}")).await;
        assert_eq!(r.status, 422, "price {price}: {:?}", r.json);
        assert_eq!(r.code(), "amount_not_payable");
        let orders = call("GET", "/orders", Some(&token), None).await;
        assert_eq!(orders.json["items"].as_array().unwrap().len(), 0);
        let cart = call("GET", "/cart", Some(&token), None).await;
        assert_eq!(
            cart.json["lines"][0]["quantity"], quantity,
            "{:?}",
            cart.json
        );
        assert_eq!(stock_available(&product).await, 5);
    }
}

/// Hole 10 of issue 12: any account could hold any number of unpaid orders, each reserving up
/// to 25 × 20 units for 15 minutes, so a script could empty a flash sale without paying. Now a
/// customer holds at most 3 unpaid orders and 20 units of one product across them, taken in
/// checkout's transaction and given back when an order is paid or expires.
#[tokio::test]
async fn one_customer_cannot_hoard_stock_in_unpaid_orders() {
    let (_, token, hot) = shopper_with_cart("hoarder", 990).await;
    let admin = admin_token().await;
    call(
        "PUT",
        &format!("/admin/products/{hot}/stock"),
        Some(&admin),
        Some(&json!({"warehouses": [{"warehouse_id": "lon-1", "quantity": 100}]})),
    )
    .await;
    let (_, _, other) = shopper_with_cart("hoarder-other", 990).await;
    let add = |product: String, quantity: i64| {
        let token = token.clone();
        async move {
            let r = call(
                "POST",
                "/cart/items",
                Some(&token),
                Some(&json!({"product_id": product, "quantity": quantity})),
            )
            .await;
            assert_eq!(r.status, 200, "{:?}", r.json);
        }
    };
    // The cart holds 1 unit already; 14 more: 15 of the hot product in the first order.
    add(hot.clone(), 14).await;
    let first = ferrocart_tests::checkout(&token, "hoard-1").await;
    assert_eq!(first.status, 201, "{:?}", first.json);
    // 10 more of it would make 25 unpaid.
    add(hot.clone(), 10).await;
    let r = ferrocart_tests::checkout(&token, "hoard-2").await;
    assert_eq!(r.status, 409, "{:?}", r.json);
    assert_eq!(r.code(), "hold_limit");
    assert_eq!(
        stock_available(&hot).await,
        85,
        "nothing reserved by the refused checkout"
    );
    call("DELETE", &format!("/cart/items/{hot}"), Some(&token), None).await;
    // Two more orders of another product: three unpaid, the limit.
    for key in ["hoard-3", "hoard-4"] {
        add(other.clone(), 1).await;
        let r = ferrocart_tests::checkout(&token, key).await;
        assert_eq!(r.status, 201, "{:?}", r.json);
    }
    add(other.clone(), 1).await;
    let r = ferrocart_tests::checkout(&token, "hoard-5").await;
    assert_eq!(r.status, 409, "{:?}", r.json);
    assert_eq!(r.code(), "hold_limit");
    // Paying the first gives its share back: the fourth order goes through.
    let paid = deliver_signed(&succeeded(&evt_id(), &first.json)).await;
    assert_eq!(paid.status, 200);
    let r = ferrocart_tests::checkout(&token, "hoard-5").await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    // An expired order gives its share back too.
    expire_now(&r.json).await;
    invoke("order-expiry", &expiry_event(&r.json, 0)).await;
    add(other.clone(), 1).await;
    let r = ferrocart_tests::checkout(&token, "hoard-6").await;
    assert_eq!(r.status, 201, "{:?}", r.json);
}
