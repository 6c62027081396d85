//! Scheduled sale prices: listings, product pages, the cart and checkout price by the time of
//! the request (a sale applies from `sale_starts_at` until before `sale_ends_at`), checkout charges
//! the price it verified (its transaction requires the product's price and sale as read), and the
//! admin's writes keep the sale's rules.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart::ids::{OrderId, ProductId, UserId};
use ferrocart::keys;
use ferrocart::store::cart::CartOwner;
use ferrocart::store::idempotency::IdempotencyRecord;
use ferrocart::store::orders::{OrderItem, PlaceOrder, PricedLine};
use ferrocart::time::{now_unix, rfc3339};
use ferrocart_tests::*;
use serde_json::{Value, json};

/// A fresh active GBP product at £20.00 with this sale, 10 in stock in London: (id, admin view).
async fn on_sale(name: &str, sale: Value) -> (String, Value) {
    let admin = admin_token().await;
    let mut body = json!({"name": name, "category": "garden", "brand": "tern", "price": 2000,
        "currency": "GBP", "status": "active"});
    body.as_object_mut()
        .unwrap()
        .extend(sale.as_object().unwrap().clone());
    let r = call("POST", "/admin/products", Some(&admin), Some(&body)).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let id = r.json["product_id"].as_str().unwrap().to_string();
    let s = call(
        "PUT",
        &format!("/admin/products/{id}/stock"),
        Some(&admin),
        Some(&json!({"warehouses": [{"warehouse_id": "lon-1", "quantity": 10}]})),
    )
    .await;
    assert_eq!(s.status, 200);
    (id, r.json)
}

async fn shopper() -> String {
    let (_, _, pair) = new_customer("sale").await;
    pair["access_token"].as_str().unwrap().to_string()
}

async fn shopper_with(id: &str) -> String {
    let t = shopper().await;
    fill(&t, id).await;
    t
}

async fn fill(t: &str, id: &str) {
    let r = call(
        "POST",
        "/cart/items",
        Some(t),
        Some(&json!({"product_id": id, "quantity": 2})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
}

async fn page_price(id: &str) -> (i64, Value) {
    let r = call("GET", &format!("/products/{id}"), None, None).await;
    assert_eq!(r.status, 200);
    (
        r.json["price"].as_i64().unwrap(),
        r.json["regular_price"].clone(),
    )
}

async fn cart_unit_price(t: &str) -> i64 {
    let r = call("GET", "/cart", Some(t), None).await;
    r.json["lines"][0]["unit_price"].as_i64().unwrap()
}

async fn checkout(t: &str) -> Resp {
    ferrocart_tests::checkout(t, &format!("sale-{}", uuid::Uuid::new_v4())).await
}

/// A sale running now that ends in a few seconds: the page, the listing and the cart show the
/// sale price until the end, the regular price from the end on, and checkout charges whichever
/// applies when it runs.
#[tokio::test]
async fn a_sale_ends_at_its_end() {
    // Both shoppers first (registering is the slow part), then a sale with a few seconds left.
    let (t, later) = (shopper().await, shopper().await);
    let now = now_unix();
    let ends = now + 6;
    let (id, admin) = on_sale(
        "ZZ sale ending",
        json!({"sale_price": 1500, "sale_starts_at": rfc3339(now - 60), "sale_ends_at": rfc3339(ends)}),
    )
    .await;
    assert_eq!(
        (
            admin["price"].clone(),
            admin["sale_price"].clone(),
            admin["on_sale"].clone()
        ),
        (json!(2000), json!(1500), json!(true))
    );
    let (price, regular) = page_price(&id).await;
    assert_eq!((price, regular), (1500, json!(2000)));
    let r = call("GET", &format!("/products/{id}"), None, None).await;
    assert_eq!(r.json["sale_ends_at"], rfc3339(ends));
    fill(&t, &id).await;
    assert_eq!(cart_unit_price(&t).await, 1500);
    let during = checkout(&t).await;
    assert_eq!(during.status, 201, "{:?}", during.json);
    assert_eq!(during.json["subtotal"], 3000, "two at the sale price");

    // After the end, the same product at its regular price everywhere.
    while now_unix() < ends {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let (price, regular) = page_price(&id).await;
    assert_eq!((price, regular), (2000, Value::Null));
    fill(&later, &id).await;
    assert_eq!(cart_unit_price(&later).await, 2000);
    let after = checkout(&later).await;
    assert_eq!(after.status, 201, "{:?}", after.json);
    assert_eq!(after.json["subtotal"], 4000);
    assert_eq!(after.json["total"], 4000 + 395);
}

/// A sale that has not started is not applied; moving its start into the past applies it at once;
/// `sale_price: null` ends it and its window.
#[tokio::test]
async fn a_sale_starts_at_its_start_and_ends_when_removed() {
    let now = now_unix();
    let (id, _) = on_sale(
        "ZZ sale later",
        json!({"sale_price": 1200, "sale_starts_at": rfc3339(now + 3600)}),
    )
    .await;
    assert_eq!(page_price(&id).await, (2000, Value::Null));
    let t = shopper_with(&id).await;
    assert_eq!(cart_unit_price(&t).await, 2000);

    let admin = admin_token().await;
    let r = call(
        "PATCH",
        &format!("/admin/products/{id}"),
        Some(&admin),
        Some(&json!({"sale_starts_at": rfc3339(now_unix())})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["on_sale"], true);
    assert_eq!(page_price(&id).await, (1200, json!(2000)));
    assert_eq!(cart_unit_price(&t).await, 1200);
    let placed = checkout(&t).await;
    assert_eq!(placed.status, 201, "{:?}", placed.json);
    assert_eq!(placed.json["subtotal"], 2400);
    let pi = stripe_get(&format!(
        "/v1/payment_intents/{}",
        placed.json["payment"]["payment_intent_id"]
            .as_str()
            .unwrap()
    ))
    .await;
    assert_eq!(pi["amount"], 2400 + 395);

    let r = call(
        "PATCH",
        &format!("/admin/products/{id}"),
        Some(&admin),
        Some(&json!({"sale_price": null})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(
        (
            r.json["sale_price"].clone(),
            r.json["sale_starts_at"].clone(),
            r.json["on_sale"].clone()
        ),
        (Value::Null, Value::Null, json!(false))
    );
    assert_eq!(page_price(&id).await, (2000, Value::Null));
}

/// What the schema cannot say is a 422 and changes nothing.
#[tokio::test]
async fn sale_rules_are_kept() {
    let now = now_unix();
    let admin = admin_token().await;
    let base = json!({"name": "ZZ sale rules", "category": "garden", "brand": "tern",
        "price": 2000, "currency": "GBP"});
    for (sale, status, code) in [
        (json!({"sale_price": 2000}), 422, "sale_price_not_lower"),
        (json!({"sale_price": 2500}), 422, "sale_price_not_lower"),
        (
            json!({"sale_price": 1000, "sale_starts_at": rfc3339(now + 10), "sale_ends_at": rfc3339(now + 10)}),
            422,
            "invalid_sale_window",
        ),
        (
            json!({"sale_ends_at": rfc3339(now + 10)}),
            422,
            "sale_price_required",
        ),
        (
            json!({"sale_price": 1000, "sale_ends_at": "next tuesday"}),
            400,
            "invalid_timestamp",
        ),
    ] {
        let mut body = base.clone();
        body.as_object_mut()
            .unwrap()
            .extend(sale.as_object().unwrap().clone());
        let r = call("POST", "/admin/products", Some(&admin), Some(&body)).await;
        assert_eq!((r.status, r.code()), (status, code), "{sale}: {:?}", r.json);
    }
    let (id, _) = on_sale("ZZ sale patch", json!({"sale_price": 1500})).await;
    for (patch, code) in [
        (json!({"price": 1400}), "sale_price_not_lower"),
        (
            json!({"sale_price": null, "sale_ends_at": rfc3339(now + 60)}),
            "sale_price_required",
        ),
    ] {
        let r = call(
            "PATCH",
            &format!("/admin/products/{id}"),
            Some(&admin),
            Some(&patch),
        )
        .await;
        assert_eq!((r.status, r.code()), (422, code), "{patch}: {:?}", r.json);
    }
    assert_eq!(
        page_price(&id).await,
        (1500, json!(2000)),
        "nothing changed"
    );
}

/// The checkout transaction requires the product's price and sale as checkout read them: a sale
/// started (or changed) by an admin between the read and the transaction refuses the line, so an
/// order is never charged a price the product no longer has. (Without the sale conditions the
/// transaction below goes through at the stale £20.00.)
#[tokio::test]
async fn a_sale_changed_after_pricing_refuses_the_checkout_transaction() {
    let (id, _) = on_sale("ZZ sale race", json!({})).await;
    let product_id = ProductId::parse(&id).unwrap();
    let t = shopper_with(&id).await;
    let me = call("GET", "/me", Some(&t), None).await;
    let user = UserId::parse(me.json["user_id"].as_str().unwrap()).unwrap();
    let store = store().await;
    let cart = store.get_cart(&user).await.unwrap();
    let read = store.get_product(&product_id, true).await.unwrap().unwrap();

    // The admin starts a sale after checkout has read the product.
    let admin = admin_token().await;
    let r = call(
        "PATCH",
        &format!("/admin/products/{id}"),
        Some(&admin),
        Some(&json!({"sale_price": 999.0})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);

    let order_id = OrderId::generate();
    let (ok, ik, g) = (
        keys::order(&order_id),
        keys::idempotency(&user, "sale-race"),
        keys::user_orders_gsi1(&user, 1_795_291_080, &order_id),
    );
    let order: OrderItem = serde_json::from_value(json!({
        "pk": ok.pk, "sk": ok.sk, "entity": "Order", "order_id": order_id, "user_id": user,
        "status": "pending_payment", "currency": "GBP", "subtotal": 4000, "shipping": 395,
        "total": 4395, "line_count": 1, "shipping_address": {"name": "A", "line1": "B",
        "city": "C", "postal_code": "MK3 6EB", "country": "GB"},
        "created_at": "2026-12-02T06:00:00Z", "expires_at": 1_795_291_980u64,
        "gsi1pk": g.pk, "gsi1sk": g.sk
    }))
    .unwrap();
    let record: IdempotencyRecord = serde_json::from_value(json!({
        "pk": ik.pk, "sk": ik.sk, "entity": "IdempotencyRecord", "request_hash": "h",
        "status": "in_progress", "order_id": order_id, "created_at": "2026-12-02T06:00:00Z",
        "ttl": 1_795_377_480u64
    }))
    .unwrap();
    let lines = [PricedLine {
        cart_line: cart.lines[0].clone(),
        name: read.name.clone(),
        unit_price: read.price_at(now_unix()),
        pricing: read.pricing(),
        tax_class: read.tax_class,
        weight_grams: read.weight_grams,
        category: read.category.clone(),
        discount: 0,
        tax: Default::default(),
    }];
    let placed = store
        .place_order(
            &record,
            &order,
            &lines,
            (&CartOwner::User(user.clone()), cart.version),
            Default::default(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(placed, PlaceOrder::Unavailable(vec![product_id.clone()]));
    assert!(store.get_order(&order_id).await.unwrap().is_none());
    assert_eq!(stock_available(&id).await, 10, "nothing reserved");

    // Priced again (as the API does on the retry), the sale price is charged.
    let r = checkout(&t).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(r.json["subtotal"], 2 * 999);
}
