//! Carts through the local HTTP API: prices from the table, limits enforced by the writes (also
//! under concurrency), and one user's cart invisible and untouchable to another.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart_tests::*;
use serde_json::{Value, json};

/// Demo product `n` (see infra/cli/src/seed.rs; every 52nd, from 51, is a draft).
fn demo(n: u32) -> String {
    format!("01900000-0000-7000-8000-{n:012x}")
}

async fn customer() -> String {
    let (_, _, pair) = new_customer("cart").await;
    pair["access_token"].as_str().unwrap().to_string()
}

async fn add(token: &str, product: &str, quantity: i64) -> Resp {
    call(
        "POST",
        "/cart/items",
        Some(token),
        Some(&json!({"product_id": product, "quantity": quantity})),
    )
    .await
}

fn line<'a>(cart: &'a Value, product: &str) -> &'a Value {
    cart["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["product_id"] == product)
        .unwrap()
}

#[tokio::test]
async fn lines_are_priced_from_the_catalog_and_merge() {
    let t = customer().await;
    let price = call("GET", &format!("/products/{}", demo(1)), None, None)
        .await
        .json["price"]
        .as_i64()
        .unwrap();
    let r = add(&t, &demo(1), 2).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let r = add(&t, &demo(1), 3).await;
    let l = line(&r.json, &demo(1));
    assert_eq!(
        (
            l["quantity"].as_i64(),
            l["unit_price"].as_i64(),
            l["line_total"].as_i64()
        ),
        (Some(5), Some(price), Some(5 * price))
    );
    let r = add(&t, &demo(2), 1).await;
    let price2 = line(&r.json, &demo(2))["unit_price"].as_i64().unwrap();
    assert_eq!(r.json["line_count"], 2);
    assert_eq!(r.json["subtotal"].as_i64(), Some(5 * price + price2));
    assert_eq!(r.json["currency"], "EUR");
    let r = call(
        "PATCH",
        &format!("/cart/items/{}", demo(1)),
        Some(&t),
        Some(&json!({"quantity": 1})),
    )
    .await;
    assert_eq!(line(&r.json, &demo(1))["quantity"], 1);
    let r = call(
        "DELETE",
        &format!("/cart/items/{}", demo(2)),
        Some(&t),
        None,
    )
    .await;
    assert_eq!((r.status, r.json["line_count"].as_u64()), (200, Some(1)));
    let r = call(
        "DELETE",
        &format!("/cart/items/{}", demo(2)),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    let r = call(
        "PATCH",
        &format!("/cart/items/{}", demo(3)),
        Some(&t),
        Some(&json!({"quantity": 1})),
    )
    .await;
    assert_eq!(r.status, 404, "not in the cart");
    let r = call("GET", "/cart", Some(&t), None).await;
    assert_eq!(
        (
            r.status,
            r.json["line_count"].as_u64(),
            r.json["subtotal"].as_i64()
        ),
        (200, Some(1), Some(price))
    );
}

#[tokio::test]
async fn bad_additions_are_refused_and_change_nothing() {
    let t = customer().await;
    for (body, status, code) in [
        (
            json!({"product_id": demo(1), "quantity": 0}),
            400,
            "invalid_quantity",
        ),
        (
            json!({"product_id": demo(1), "quantity": 21}),
            400,
            "invalid_quantity",
        ),
        (
            json!({"product_id": demo(1), "quantity": 1.5}),
            400,
            "invalid_type",
        ),
        (
            json!({"product_id": demo(1), "quantity": 1, "price": 1}),
            400,
            "unknown_field",
        ),
        (
            json!({"product_id": "nope", "quantity": 1}),
            400,
            "invalid_product_id",
        ),
        (
            json!({"product_id": demo(0xffff), "quantity": 1}),
            422,
            "unknown_product",
        ),
        (
            json!({"product_id": demo(51), "quantity": 1}),
            422,
            "product_unavailable",
        ),
    ] {
        let r = call("POST", "/cart/items", Some(&t), Some(&body)).await;
        assert_eq!((r.status, r.code()), (status, code), "{body}");
    }
    assert_eq!(add(&t, &demo(4), 15).await.status, 200);
    let r = add(&t, &demo(4), 6).await;
    assert_eq!((r.status, r.code()), (409, "quantity_limit"));
    let r = call("GET", "/cart", Some(&t), None).await;
    assert_eq!(r.json["line_count"], 1);
    assert_eq!(line(&r.json, &demo(4))["quantity"], 15);
}

#[tokio::test]
async fn short_stock_is_flagged() {
    let t = customer().await;
    // A product with exactly 2 units.
    let admin = admin_token().await;
    let p = call("POST", "/admin/products", Some(&admin), Some(&json!({"name": "Scarce", "category": "bath", "brand": "tern", "price": 500, "currency": "EUR", "status": "active"}))).await;
    let pid = p.json["product_id"].as_str().unwrap().to_string();
    call(
        "PUT",
        &format!("/admin/products/{pid}/stock"),
        Some(&admin),
        Some(&json!({"warehouses": [{"warehouse_id": "ams-1", "quantity": 2}]})),
    )
    .await;
    let r = add(&t, &pid, 2).await;
    assert_eq!(line(&r.json, &pid)["short_of_stock"], false);
    let r = add(&t, &pid, 1).await;
    let l = line(&r.json, &pid);
    assert_eq!(
        (l["short_of_stock"].as_bool(), l["availability"].as_str()),
        (Some(true), Some("low_stock"))
    );
    // Taken off sale after it was added: still shown, not purchasable, not in the subtotal.
    call(
        "PATCH",
        &format!("/admin/products/{pid}"),
        Some(&admin),
        Some(&json!({"status": "archived"})),
    )
    .await;
    let r = call("GET", "/cart", Some(&t), None).await;
    let l = line(&r.json, &pid);
    assert_eq!(
        (l["purchasable"].as_bool(), l["availability"].as_str()),
        (Some(false), Some("unavailable"))
    );
    assert_eq!(r.json["subtotal"], 0);
}

#[tokio::test]
async fn a_cart_holds_at_most_25_lines_even_under_a_race() {
    let t = customer().await;
    let products: Vec<String> = (100..130).map(demo).collect(); // 30 active products (103 is a draft)
    let products: Vec<String> = products
        .into_iter()
        .filter(|p| *p != demo(103))
        .take(30)
        .collect();
    let results = futures::future::join_all(products.iter().map(|p| add(&t, p, 1))).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    let full = results
        .iter()
        .filter(|r| r.status == 409 && r.code() == "cart_full")
        .count();
    assert_eq!(
        (ok, full),
        (25, products.len() - 25),
        "{:?}",
        results
            .iter()
            .map(|r| (r.status, r.code().to_string()))
            .collect::<Vec<_>>()
    );
    let r = call("GET", "/cart", Some(&t), None).await;
    assert_eq!(r.json["line_count"], 25);
    // Removing one makes room for exactly one more.
    let first = r.json["lines"][0]["product_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        call("DELETE", &format!("/cart/items/{first}"), Some(&t), None)
            .await
            .status,
        200
    );
    let missing: Vec<&String> = products
        .iter()
        .filter(|p| {
            !r.json["lines"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["product_id"] == p.as_str())
        })
        .collect();
    assert_eq!(add(&t, missing[0], 1).await.status, 200);
    assert_eq!(add(&t, missing[1], 1).await.code(), "cart_full");
}

#[tokio::test]
async fn concurrent_adds_of_one_product_sum_exactly() {
    let t = customer().await;
    let product = demo(7);
    let results = futures::future::join_all((0..8).map(|_| add(&t, &product, 2))).await;
    assert!(
        results.iter().all(|r| r.status == 200),
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let r = call("GET", "/cart", Some(&t), None).await;
    assert_eq!(
        (
            r.json["line_count"].as_u64(),
            line(&r.json, &demo(7))["quantity"].as_i64()
        ),
        (Some(1), Some(16))
    );
}

#[tokio::test]
async fn one_currency_per_cart() {
    let t = customer().await;
    let admin = admin_token().await;
    let p = call("POST", "/admin/products", Some(&admin), Some(&json!({"name": "Pound Shop Item", "category": "bath", "brand": "tern", "price": 100, "currency": "GBP", "status": "active"}))).await;
    let gbp = p.json["product_id"].as_str().unwrap().to_string();
    assert_eq!(add(&t, &demo(5), 1).await.status, 200);
    let r = add(&t, &gbp, 1).await;
    assert_eq!((r.status, r.code()), (409, "currency_mismatch"));
    // Once the cart is empty, another currency is fine.
    call(
        "DELETE",
        &format!("/cart/items/{}", demo(5)),
        Some(&t),
        None,
    )
    .await;
    let r = add(&t, &gbp, 1).await;
    assert_eq!((r.status, r.json["currency"].as_str()), (200, Some("GBP")));
}

#[tokio::test]
async fn another_users_cart_is_invisible_and_untouchable() {
    let alice = customer().await;
    let bob = customer().await;
    assert_eq!(add(&alice, &demo(8), 3).await.status, 200);
    let r = call("GET", "/cart", Some(&bob), None).await;
    assert_eq!((r.status, r.json["line_count"].as_u64()), (200, Some(0)));
    let r = call(
        "PATCH",
        &format!("/cart/items/{}", demo(8)),
        Some(&bob),
        Some(&json!({"quantity": 1})),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = call(
        "DELETE",
        &format!("/cart/items/{}", demo(8)),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    let r = call("GET", "/cart", Some(&alice), None).await;
    assert_eq!(line(&r.json, &demo(8))["quantity"], 3);
    // Without credentials a request is a guest's, with no cart: nothing of Alice's.
    let r = call("GET", "/cart", None, None).await;
    assert_eq!((r.status, r.json["lines"].clone()), (200, json!([])));
    let path = format!("/cart/items/{}", demo(8));
    assert_eq!(call("DELETE", &path, None, None).await.status, 404);
    // A bad access token is still a 401, never a guest.
    for (m, p) in [("GET", "/cart".to_string()), ("DELETE", path)] {
        let r = call(m, &p, Some("not-a-token"), None).await;
        assert_eq!((r.status, r.code()), (401, "invalid_token"));
    }
    let r = call("GET", "/cart", Some(&alice), None).await;
    assert_eq!(line(&r.json, &demo(8))["quantity"], 3);
}
