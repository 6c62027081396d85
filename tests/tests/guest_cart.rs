//! The guest cart through the local HTTP API: a cart without an account on a token the server
//! issues, kept by the client in `X-Cart-Token`, expiring, and merged into the account's cart at
//! login within the cart's limits, with what did not fit reported, once however often (and however
//! concurrently) the login is retried.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use aws_sdk_dynamodb::types::AttributeValue;
use ferrocart_tests::*;
use serde_json::{Value, json};

/// A fresh active product at `price` (GBP) with stock; its id.
async fn product(tag: &str, price: i64) -> String {
    stocked_product(&format!("ZZ guest {tag}"), price, "GBP", "lon-1", 50).await
}

/// A cart request as a guest (no Authorization), with this cart token if any.
async fn guest(method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Resp {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = client().request(method, format!("{}{path}", api_url()));
    if let Some(t) = token {
        req = req.header("x-cart-token", t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    send(req).await
}

fn token_of(r: &Resp) -> String {
    r.headers["x-cart-token"].to_str().unwrap().to_string()
}

fn quantities(cart: &Value) -> Vec<(String, i64)> {
    cart["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["product_id"].as_str().unwrap().to_string(),
                l["quantity"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_guest_fills_a_cart_on_a_token_the_server_issues() {
    let a = product("a", 1200).await;
    let b = product("b", 800).await;
    // No token, no cart: an empty one, and no token until something is added.
    let r = guest("GET", "/cart", None, None).await;
    assert_eq!((r.status, r.json["lines"].clone()), (200, json!([])));
    assert!(r.headers.get("x-cart-token").is_none());
    let r = guest(
        "POST",
        "/cart/items",
        None,
        Some(&json!({"product_id": a, "quantity": 2})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let t = token_of(&r);
    assert_eq!(t.len(), 43);
    let r = guest(
        "POST",
        "/cart/items",
        Some(&t),
        Some(&json!({"product_id": b, "quantity": 1})),
    )
    .await;
    assert_eq!(token_of(&r), t, "the same cart");
    let r = guest(
        "PATCH",
        &format!("/cart/items/{a}"),
        Some(&t),
        Some(&json!({"quantity": 3})),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = guest("DELETE", &format!("/cart/items/{b}"), Some(&t), None).await;
    assert_eq!(r.status, 200);
    let r = guest("GET", "/cart", Some(&t), None).await;
    assert_eq!(quantities(&r.json), [(a.clone(), 3)]);
    assert_eq!(r.json["subtotal"], 3600);

    // Without the token it is not reachable; a token this server never issued is no cart, and
    // adding with it starts a new cart under a new, issued token.
    let r = guest(
        "PATCH",
        &format!("/cart/items/{a}"),
        None,
        Some(&json!({"quantity": 1})),
    )
    .await;
    assert_eq!(r.status, 404);
    let made_up = "A".repeat(43);
    let r = guest("GET", "/cart", Some(&made_up), None).await;
    assert_eq!(r.json["lines"], json!([]));
    let r = guest(
        "POST",
        "/cart/items",
        Some(&made_up),
        Some(&json!({"product_id": a, "quantity": 1})),
    )
    .await;
    assert_ne!(token_of(&r), made_up);
    for bad in ["short", "not a token at all, with spaces and !!!"] {
        let r = guest("GET", "/cart", Some(bad), None).await;
        assert_eq!((r.status, r.code()), (400, "invalid_cart_token"), "{bad}");
    }
    // An access token wins over a cart token: a customer's cart is its own.
    let (_, _, pair) = new_customer("guest-vs-account").await;
    let access = pair["access_token"].as_str().unwrap();
    let r = send(
        client()
            .get(format!("{}/cart", api_url()))
            .bearer_auth(access)
            .header("x-cart-token", &t),
    )
    .await;
    assert_eq!(r.json["lines"], json!([]));
    assert!(r.headers.get("x-cart-token").is_none());
}

#[tokio::test]
async fn a_guest_cart_expires() {
    let a = product("expiring", 500).await;
    let r = guest(
        "POST",
        "/cart/items",
        None,
        Some(&json!({"product_id": a, "quantity": 1})),
    )
    .await;
    let t = token_of(&r);
    // Thirty days later (its expiry moved into the past; DynamoDB's TTL removes it in time).
    let s = store().await;
    let key = ferrocart::keys::guest_cart(&ferrocart::store::tokens::hash(&t));
    s.client
        .update_item()
        .table_name(&s.table)
        .key("pk", AttributeValue::S(key.pk))
        .key("sk", AttributeValue::S(key.sk))
        .update_expression("SET expires_at = :past")
        .expression_attribute_values(":past", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    let r = guest("GET", "/cart", Some(&t), None).await;
    assert_eq!(r.json["lines"], json!([]));
    let r = guest(
        "PATCH",
        &format!("/cart/items/{a}"),
        Some(&t),
        Some(&json!({"quantity": 2})),
    )
    .await;
    assert_eq!(r.status, 404, "an expired cart changes no more");
    let r = guest(
        "POST",
        "/cart/items",
        Some(&t),
        Some(&json!({"product_id": a, "quantity": 1})),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_ne!(token_of(&r), t, "a new cart, under a new token");
}

async fn login_with_cart(email: &str, password: &str, cart_token: &str) -> Resp {
    send(
        client()
            .post(format!("{}/auth/login", api_url()))
            .header("x-cart-token", cart_token)
            .json(&json!({"email": email, "password": password})),
    )
    .await
}

#[tokio::test]
async fn login_merges_the_guest_cart_once_within_the_limits_and_reports_the_rest() {
    let a = product("merge-a", 1000).await;
    let b = product("merge-b", 2000).await;
    let (email, password, pair) = new_customer("merge").await;
    let access = pair["access_token"].as_str().unwrap().to_string();
    let r = call(
        "POST",
        "/cart/items",
        Some(&access),
        Some(&json!({"product_id": a, "quantity": 15})),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = guest(
        "POST",
        "/cart/items",
        None,
        Some(&json!({"product_id": a, "quantity": 10})),
    )
    .await;
    let t = token_of(&r);
    guest(
        "POST",
        "/cart/items",
        Some(&t),
        Some(&json!({"product_id": b, "quantity": 2})),
    )
    .await;

    // Three tries of the same login at once (a client retrying): one merge, the same report for
    // all.
    let tries = (0..3).map(|_| login_with_cart(&email, &password, &t));
    let answers = futures::future::join_all(tries).await;
    let expected = json!({
        "merged": [{"product_id": a, "quantity": 5}, {"product_id": b, "quantity": 2}],
        "not_merged": [{"product_id": a, "quantity": 5, "reason": "quantity_limit"}],
    });
    let sorted = |v: &Value| {
        let mut v = v.clone();
        for k in ["merged", "not_merged"] {
            v[k].as_array_mut()
                .unwrap()
                .sort_by_key(|l| l["product_id"].as_str().unwrap().to_string());
        }
        v
    };
    let expected = sorted(&expected);
    for r in &answers {
        assert_eq!(r.status, 200, "{:?}", r.json);
        assert_eq!(sorted(&r.json["cart_merge"]), expected, "{:?}", r.json);
    }
    let r = call("GET", "/cart", Some(&access), None).await;
    let mut q = quantities(&r.json);
    q.sort();
    let mut want = vec![(a.clone(), 20), (b.clone(), 2)];
    want.sort();
    assert_eq!(q, want, "summed once, capped at 20");
    // Again later: the same report, and nothing added twice.
    let again = login_with_cart(&email, &password, &t).await;
    assert_eq!(sorted(&again.json["cart_merge"]), expected);
    let r = call("GET", "/cart", Some(&access), None).await;
    let mut q2 = quantities(&r.json);
    q2.sort();
    assert_eq!(q2, want);
    // The guest cart is closed: it reads empty, and another account gets nothing from it.
    assert_eq!(
        guest("GET", "/cart", Some(&t), None).await.json["lines"],
        json!([])
    );
    let (other, other_pw, _) = new_customer("merge-other").await;
    let r = login_with_cart(&other, &other_pw, &t).await;
    assert_eq!(r.status, 200);
    assert!(r.json.get("cart_merge").is_none(), "{:?}", r.json);
    // A wrong password merges nothing; a malformed cart token is a 400 before anything is tried.
    let r = login_with_cart(&email, "not the password", &"B".repeat(43)).await;
    assert_eq!(r.status, 401);
    let r = login_with_cart(&email, &password, "bad").await;
    assert_eq!((r.status, r.code()), (400, "invalid_cart_token"));
}

#[tokio::test]
async fn a_guest_cart_in_another_currency_or_past_the_line_limit_is_reported_not_dropped() {
    let gbp = product("cur-gbp", 1000).await;
    let admin = admin_token().await;
    let r = call("POST", "/admin/products", Some(&admin), Some(&json!({"name": "ZZ guest eur", "category": "kitchen", "brand": "tern", "price": 900, "currency": "EUR", "status": "active"}))).await;
    let eur = r.json["product_id"].as_str().unwrap().to_string();
    call(
        "PUT",
        &format!("/admin/products/{eur}/stock"),
        Some(&admin),
        Some(&json!({"warehouses": [{"warehouse_id": "ams-1", "quantity": 10}]})),
    )
    .await;
    let (email, password, pair) = new_customer("merge-currency").await;
    let access = pair["access_token"].as_str().unwrap().to_string();
    call(
        "POST",
        "/cart/items",
        Some(&access),
        Some(&json!({"product_id": gbp, "quantity": 1})),
    )
    .await;
    let r = guest(
        "POST",
        "/cart/items",
        None,
        Some(&json!({"product_id": eur, "quantity": 3})),
    )
    .await;
    let t = token_of(&r);
    let r = login_with_cart(&email, &password, &t).await;
    assert_eq!(
        r.json["cart_merge"],
        json!({"merged": [], "not_merged": [{"product_id": eur, "quantity": 3, "reason": "currency_mismatch"}]})
    );
    let r = call("GET", "/cart", Some(&access), None).await;
    assert_eq!(quantities(&r.json), [(gbp, 1)]);
}
