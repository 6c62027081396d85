//! Discount codes through the API: the admin's codes (create, change at a version, list, who may),
//! a code applied to a cart and charged by checkout (covered lines only, tax on what is paid,
//! free shipping measured after the discount), every refusal changing nothing, a code that stops
//! applying refused at checkout before anything is reserved, and the usage limits under
//! concurrency: N checkouts racing for K uses make exactly K orders, an unpaid order that lapses
//! gives its use back, and one customer's limit holds across guest carts.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart_tests::*;
use serde_json::{Value, json};

/// A code name no other test (or run) uses.
fn code(tag: &str) -> String {
    format!("{tag}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]).to_uppercase()
}

/// `PUT /admin/discounts/{code}` as the admin.
async fn put(code: &str, body: &Value) -> Resp {
    let admin = admin_token().await;
    call(
        "PUT",
        &format!("/admin/discounts/{code}"),
        Some(&admin),
        Some(body),
    )
    .await
}

async fn create(code: &str, body: &Value) -> Value {
    let r = put(code, body).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    r.json
}

/// A fresh customer with these (product, quantity) lines: its token.
async fn customer_with(tag: &str, lines: &[(&str, i64)]) -> String {
    let (_, _, pair) = new_customer(tag).await;
    let t = pair["access_token"].as_str().unwrap().to_string();
    for (id, q) in lines {
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

async fn apply(token: &str, code: &str) -> Resp {
    call(
        "POST",
        "/cart/discount",
        Some(token),
        Some(&json!({"code": code})),
    )
    .await
}

async fn uses(code: &str) -> i64 {
    let admin = admin_token().await;
    let mut cursor = String::new();
    loop {
        let r = call(
            "GET",
            &format!("/admin/discounts?limit=100&cursor={cursor}"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        if let Some(d) = r.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == code)
        {
            return d["uses"].as_i64().unwrap();
        }
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => panic!("{code} not listed"),
        }
    }
}

#[tokio::test]
async fn an_admin_creates_changes_and_lists_codes_and_no_one_else_may() {
    let c = code("ADMIN");
    let body = json!({"saving": {"type": "percent", "percent": 15}, "max_uses": 10,
                      "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"});
    // Who may: nobody without a token, no customer.
    let r = call("PUT", &format!("/admin/discounts/{c}"), None, Some(&body)).await;
    assert_eq!(r.status, 401, "{:?}", r.json);
    let (_, _, pair) = new_customer("disc-not-admin").await;
    let customer = pair["access_token"].as_str().unwrap();
    for (method, path, b) in [
        ("PUT", format!("/admin/discounts/{c}"), Some(&body)),
        ("GET", "/admin/discounts".to_string(), None),
    ] {
        let r = call(method, &path, Some(customer), b).await;
        assert_eq!(r.status, 403, "{method} {path}: {:?}", r.json);
        let r = call(method, &path, None, b).await;
        assert_eq!(r.status, 401, "{method} {path}: {:?}", r.json);
    }

    // Created in upper case whatever the path's case; a second create is a conflict.
    let r = put(&c.to_lowercase(), &body).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(r.json["code"], c);
    assert_eq!(
        (r.json["version"].as_i64(), r.json["uses"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(r.json["starts_at"], "2026-01-01T00:00:00Z");
    assert_eq!(put(&c, &body).await.code(), "discount_exists");

    // Changed at its version (uses kept), refused at a stale one, 404 for none.
    let changed = json!({"saving": {"type": "fixed", "amount": 500}, "currency": "GBP", "version": 1, "active": false});
    let r = put(&c, &changed).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["version"], 2);
    assert_eq!(r.json["saving"], json!({"type": "fixed", "amount": 500}));
    assert_eq!(r.json["active"], false);
    assert_eq!(r.json["max_uses"], Value::Null, "a PUT replaces the rules");
    let r = put(&c, &changed).await;
    assert_eq!((r.status, r.code()), (409, "version_conflict"));
    let r = put(&code("NONE"), &changed).await;
    assert_eq!(r.status, 404, "{:?}", r.json);

    // Rules the schema cannot state, and what does not exist: 422, nothing saved.
    for (b, field) in [
        (
            json!({"saving": {"type": "fixed", "amount": 500}}),
            "currency",
        ),
        (
            json!({"saving": {"type": "percent", "percent": 5}, "min_subtotal": 100}),
            "currency",
        ),
        (
            json!({"saving": {"type": "percent", "percent": 5}, "starts_at": "2027-01-01T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"}),
            "ends_at",
        ),
        (
            json!({"saving": {"type": "percent", "percent": 5}, "product_ids": ["01900000-0000-7000-8000-00000000ffff"]}),
            "product_ids",
        ),
        (
            json!({"saving": {"type": "percent", "percent": 5}, "categories": ["no-such-category"]}),
            "categories",
        ),
    ] {
        let other = code("BAD");
        let r = put(&other, &b).await;
        assert_eq!(r.status, 422, "{b}: {:?}", r.json);
        assert_eq!(r.json["error"]["field"], field, "{b}: {:?}", r.json);
        let r = put(
            &other,
            &json!({"saving": {"type": "percent", "percent": 5}, "version": 1}),
        )
        .await;
        assert_eq!(r.status, 404, "{b} saved nothing");
    }
    // Schema breaks: 400.
    for b in [
        json!({"saving": {"type": "percent", "percent": 0}}),
        json!({"saving": {"type": "percent", "percent": 101}}),
        json!({"saving": {"type": "percent", "amount": 5}}),
        json!({"saving": {"type": "percent", "percent": 5}, "max_uses": 0}),
        json!({"saving": {"type": "percent", "percent": 5}, "currency": "XYZ"}),
        json!({"saving": {"type": "percent", "percent": 5}, "surprise": 1}),
    ] {
        let r = put(&code("BAD"), &b).await;
        assert_eq!(r.status, 400, "{b}: {:?}", r.json);
    }
    let r = put("a b", &body).await;
    assert_eq!(r.status, 404, "not a code: {:?}", r.json);

    // Listed, with its uses and version.
    assert_eq!(uses(&c).await, 0);
    let admin = admin_token().await;
    let r = call("GET", "/admin/discounts?limit=1", Some(&admin), None).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["items"].as_array().unwrap().len(), 1);
    let next = r.json["next_cursor"].as_str().unwrap().to_string();
    let r = call(
        "GET",
        &format!("/admin/discounts?limit=1&cursor={next}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert!(
        r.json["items"][0]["code"].as_str().unwrap() > next.as_str(),
        "code order"
    );
    let r = call(
        "GET",
        "/admin/discounts?cursor=not%20a%20code",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(r.status, 422, "{:?}", r.json);
}

/// 10 % off product A only: the cart shows the saving, the free-shipping threshold is measured
/// after it, checkout charges it and the order keeps it per line with the tax on what is paid.
#[tokio::test]
async fn a_code_prices_the_cart_and_checkout_charges_what_it_showed() {
    let a = stocked_product("ZZ disc covered", 2000, "GBP", "lon-1", 10).await;
    let b = stocked_product("ZZ disc other", 1000, "GBP", "lon-1", 10).await;
    let c = code("TEN");
    create(
        &c,
        &json!({"saving": {"type": "percent", "percent": 10}, "product_ids": [a]}),
    )
    .await;
    let t = customer_with("disc-priced", &[(&a, 2), (&b, 1)]).await;
    // Without the code the cart's 50.00 ships free in the UK (free from 50.00).
    let r = call("GET", "/cart?country=GB", Some(&t), None).await;
    let standard = |v: &Value| {
        v["shipping_estimate"]["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["option_id"] == "uk-standard")
            .cloned()
            .unwrap()
    };
    assert_eq!(standard(&r.json)["amount"], 0);

    let r = apply(&t, &c.to_lowercase()).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["discount"]["code"], c);
    assert_eq!(r.json["discount"]["applies"], true);
    assert_eq!(r.json["discount"]["amount"], 400);
    assert_eq!(
        r.json["discount"]["saving"],
        json!({"type": "percent", "percent": 10})
    );
    assert_eq!(
        (
            r.json["subtotal"].as_i64(),
            r.json["discount_total"].as_i64()
        ),
        (Some(5000), Some(400))
    );
    assert_eq!(r.json["total_before_shipping"], 4600);
    // 46.00 after the discount is under the threshold: standard shipping is charged again.
    let r = call("GET", "/cart?country=GB", Some(&t), None).await;
    let est = standard(&r.json);
    assert_eq!(
        (est["amount"].as_i64(), est["total"].as_i64()),
        (Some(395), Some(4995))
    );

    let r = checkout(&t, &format!("disc-{}", uuid::Uuid::new_v4())).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(r.json["subtotal"], 5000);
    assert_eq!(r.json["discount_total"], 400);
    assert_eq!(r.json["discount"]["code"], c);
    assert_eq!(r.json["shipping"], 395);
    assert_eq!(r.json["total"], 4995);
    let pi = r.json["payment"]["payment_intent_id"].as_str().unwrap();
    assert_eq!(
        stripe_get(&format!("/v1/payment_intents/{pi}")).await["amount"],
        4995
    );
    assert_eq!(uses(&c).await, 1);

    let order_id = r.json["order_id"].as_str().unwrap();
    let r = call("GET", &format!("/orders/{order_id}"), Some(&t), None).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["discount"], json!({"code": c, "amount": 400}));
    assert_eq!(r.json["discount_total"], 400);
    let line = |id: &str| {
        r.json["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["product_id"] == id)
            .cloned()
            .unwrap()
    };
    // 20 % VAT included: 36.00 paid for A holds 6.00; 10.00 for B holds 1.67.
    assert_eq!(
        (line(&a)["discount"].as_i64(), line(&a)["tax"].as_i64()),
        (Some(400), Some(600))
    );
    assert_eq!(
        (line(&b)["discount"].as_i64(), line(&b)["tax"].as_i64()),
        (Some(0), Some(167))
    );
    // 3.95 shipping holds 0.66.
    assert_eq!(r.json["tax_total"], 600 + 167 + 66);
}

#[tokio::test]
async fn every_refusal_changes_nothing_and_a_code_that_stops_applying_is_refused_before_anything_is_reserved()
 {
    let p = stocked_product("ZZ disc refusals", 3000, "GBP", "lon-1", 10).await;
    let t = customer_with("disc-refusals", &[(&p, 1)]).await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"saving": {"type": "percent", "percent": 5}, "starts_at": "2099-01-01T00:00:00Z"}),
            "discount_not_started",
        ),
        (
            json!({"saving": {"type": "percent", "percent": 5}, "ends_at": "2026-01-01T00:00:00Z"}),
            "discount_expired",
        ),
        (
            json!({"saving": {"type": "percent", "percent": 5}, "active": false}),
            "discount_inactive",
        ),
        (
            json!({"saving": {"type": "percent", "percent": 5}, "currency": "EUR"}),
            "discount_currency_mismatch",
        ),
        (
            json!({"saving": {"type": "fixed", "amount": 500}, "currency": "GBP", "min_subtotal": 3001}),
            "discount_minimum_not_met",
        ),
        (
            json!({"saving": {"type": "percent", "percent": 5}, "categories": ["garden"]}),
            "discount_not_applicable",
        ),
    ];
    for (rules, want) in cases {
        let c = code("NO");
        create(&c, &rules).await;
        let r = apply(&t, &c).await;
        assert_eq!((r.status, r.code()), (422, want), "{rules}: {:?}", r.json);
    }
    let r = apply(&t, &code("UNKNOWN")).await;
    assert_eq!((r.status, r.code()), (422, "unknown_discount"));
    for bad in [
        json!({"code": "x"}),
        json!({"code": "with space"}),
        json!({"code": 5}),
        json!({}),
    ] {
        let r = call("POST", "/cart/discount", Some(&t), Some(&bad)).await;
        assert_eq!(r.status, 400, "{bad}: {:?}", r.json);
    }
    let r = call("GET", "/cart", Some(&t), None).await;
    assert!(
        r.json.get("discount").is_none(),
        "no refusal applied a code: {:?}",
        r.json
    );
    // An empty cart takes no code.
    let (_, _, pair) = new_customer("disc-empty").await;
    let empty = pair["access_token"].as_str().unwrap();
    let c = code("FIVE");
    create(&c, &json!({"saving": {"type": "fixed", "amount": 500}, "currency": "GBP", "min_subtotal": 3000})).await;
    assert_eq!(apply(empty, &c).await.code(), "cart_empty");

    // Applied at 30.00; the cart then drops under the minimum: the cart says so and checkout
    // refuses before reserving anything.
    let r = apply(&t, &c).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["discount_total"], 500);
    let admin = admin_token().await;
    let r = call(
        "PATCH",
        &format!("/admin/products/{p}"),
        Some(&admin),
        Some(&json!({"sale_price": 2500})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let r = call("GET", "/cart", Some(&t), None).await;
    assert_eq!(r.json["discount"]["applies"], false, "{:?}", r.json);
    assert_eq!(
        r.json["discount"]["problem"]["code"],
        "discount_minimum_not_met"
    );
    assert_eq!(r.json["discount_total"], 0);
    let before = stock_available(&p).await;
    let r = checkout(&t, "disc-min").await;
    assert_eq!(
        (r.status, r.code()),
        (409, "discount_minimum_not_met"),
        "{:?}",
        r.json
    );
    assert_eq!(stock_available(&p).await, before, "nothing reserved");
    assert_eq!(uses(&c).await, 0);
    // Without it, the order goes through at the sale price.
    let r = call("DELETE", "/cart/discount", Some(&t), None).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert!(r.json.get("discount").is_none());
    let r = checkout(&t, "disc-min-2").await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(
        (
            r.json["discount_total"].as_i64(),
            r.json["subtotal"].as_i64()
        ),
        (Some(0), Some(2500))
    );
}

/// The money path: a code limited to 3 uses, 10 customers checking out with it at once: exactly 3
/// orders use it, the other 7 are told (409 `discount_used_up`) with nothing reserved. An unpaid
/// order that lapses gives its use back, and the next customer gets it. (Without the `uses <
/// max` condition in checkout's transaction all 10 go through.)
#[tokio::test]
async fn a_code_limited_to_k_uses_makes_exactly_k_orders_however_many_race_for_it() {
    let p = stocked_product("ZZ disc race", 2000, "GBP", "lon-1", 50).await;
    let c = code("RACE");
    create(
        &c,
        &json!({"saving": {"type": "percent", "percent": 50}, "max_uses": 3}),
    )
    .await;
    let mut shoppers = Vec::new();
    for i in 0..10 {
        let t = customer_with(&format!("disc-race-{i}"), &[(&p, 1)]).await;
        let r = apply(&t, &c).await;
        assert_eq!(
            r.status, 200,
            "every cart may hold the code before anyone checks out: {:?}",
            r.json
        );
        shoppers.push(t);
    }
    let keys: Vec<String> = (0..shoppers.len()).map(|i| format!("race-{i}")).collect();
    let answers =
        futures::future::join_all(shoppers.iter().zip(&keys).map(|(t, k)| checkout(t, k))).await;
    let placed: Vec<&Resp> = answers.iter().filter(|r| r.status == 201).collect();
    let refused: Vec<&Resp> = answers.iter().filter(|r| r.status != 201).collect();
    assert_eq!(
        placed.len(),
        3,
        "{:?}",
        answers
            .iter()
            .map(|r| (r.status, r.code()))
            .collect::<Vec<_>>()
    );
    for r in &refused {
        assert_eq!(
            (r.status, r.code()),
            (409, "discount_used_up"),
            "{:?}",
            r.json
        );
    }
    for r in &placed {
        assert_eq!(
            (r.json["discount_total"].as_i64(), r.json["total"].as_i64()),
            (Some(1000), Some(1395))
        );
    }
    assert_eq!(uses(&c).await, 3);
    assert_eq!(stock_available(&p).await, 47, "only the 3 orders reserved");

    // One lapses unpaid: its use comes back, and a refused customer now gets it.
    expire_now(&placed[0].json).await;
    invoke("order-expiry", &expiry_event(&placed[0].json, 0)).await;
    assert_eq!(uses(&c).await, 2);
    let late = shoppers
        .iter()
        .zip(&answers)
        .find(|(_, r)| r.status != 201)
        .map(|(t, _)| t)
        .unwrap();
    let r = checkout(late, "race-late").await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(r.json["discount_total"], 1000);
    assert_eq!(uses(&c).await, 3);
}

/// Once per customer: a customer's second cart is refused at once, and a guest's limit (by its
/// email) holds in checkout's transaction even from two carts that both took the code.
#[tokio::test]
async fn a_per_customer_limit_holds_for_customers_and_for_guests_across_carts() {
    let p = stocked_product("ZZ disc once", 2000, "GBP", "lon-1", 20).await;
    let c = code("ONCE");
    create(&c, &json!({"saving": {"type": "fixed", "amount": 300}, "currency": "GBP", "max_uses_per_customer": 1})).await;
    let t = customer_with("disc-once", &[(&p, 1)]).await;
    assert_eq!(apply(&t, &c).await.status, 200);
    let r = checkout(&t, "once-1").await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(r.json["discount"]["per_customer"], true);
    let r = call(
        "POST",
        "/cart/items",
        Some(&t),
        Some(&json!({"product_id": p, "quantity": 1})),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = apply(&t, &c).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "discount_limit_reached"),
        "{:?}",
        r.json
    );

    // A guest: two carts, both take the code (the email is not known until checkout).
    let email = unique_email("disc-guest");
    let mut carts = Vec::new();
    for _ in 0..2 {
        let r = send(
            client()
                .post(format!("{}/cart/items", api_url()))
                .json(&json!({"product_id": p, "quantity": 1})),
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        let cart = r.headers["x-cart-token"].to_str().unwrap().to_string();
        let r = send(
            client()
                .post(format!("{}/cart/discount", api_url()))
                .header("x-cart-token", &cart)
                .json(&json!({"code": c})),
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        carts.push(cart);
    }
    let guest = |cart: &str, key: &str| {
        send(
            client()
                .post(format!("{}/checkout", api_url()))
                .header("x-cart-token", cart)
                .header("idempotency-key", key)
                .json(&json!({"email": email, "shipping_address": {"name": "Ada Lovelace",
                    "line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"}})),
        )
    };
    let first = guest(&carts[0], "guest-once-1").await;
    assert_eq!(first.status, 201, "{:?}", first.json);
    let before = stock_available(&p).await;
    let second = guest(&carts[1], "guest-once-2").await;
    assert_eq!(
        (second.status, second.code()),
        (409, "discount_limit_reached"),
        "{:?}",
        second.json
    );
    assert_eq!(stock_available(&p).await, before, "nothing reserved");
    assert_eq!(uses(&c).await, 2, "the customer's and the guest's");
}
