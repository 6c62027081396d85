//! Shipping and tax through the API, on the demo configuration the stack seeds
//! (`infra/demo-shipping.json`; prices include tax, the default): the shipping options of a
//! country, the cart's estimate at the free-shipping threshold and the weight bands' edges, and
//! checkout charging items + shipping with the destination's tax per line, the option validated
//! against the address. (Exclusive prices: tests/tests/shop_settings.rs, a binary of its own,
//! since the setting is the shop's.)

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart_tests::*;
use serde_json::{Value, json};

/// A fresh active product with this weight and tax class, 10 in stock at `warehouse`.
async fn product(name: &str, price: i64, currency: &str, weight: i64, class: &str) -> String {
    let admin = admin_token().await;
    let r = call(
        "POST",
        "/admin/products",
        Some(&admin),
        Some(&json!({"name": name,
        "category": "kitchen", "brand": "tern", "price": price, "currency": currency,
        "status": "active", "weight_grams": weight, "tax_class": class})),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(r.json["weight_grams"], weight);
    assert_eq!(r.json["tax_class"], class);
    let id = r.json["product_id"].as_str().unwrap().to_string();
    let warehouse = if currency == "GBP" { "lon-1" } else { "ber-1" };
    let r = call(
        "PUT",
        &format!("/admin/products/{id}/stock"),
        Some(&admin),
        Some(&json!({"warehouses": [{"warehouse_id": warehouse, "quantity": 10}]})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    id
}

/// A fresh customer with these (product, quantity) lines in the cart: its token.
async fn cart_of(tag: &str, lines: &[(&str, i64)]) -> String {
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

/// The cart's estimate to `country`: option id → the option's estimate.
async fn estimate(token: &str, country: &str) -> Vec<(String, Value)> {
    let r = call(
        "GET",
        &format!("/cart?country={country}"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json["shipping_estimate"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["option_id"].as_str().unwrap().to_string(), o.clone()))
        .collect()
}

fn amount_of(estimate: &[(String, Value)], option: &str) -> Option<i64> {
    estimate
        .iter()
        .find(|(id, _)| id == option)
        .map(|(_, o)| o["amount"].as_i64().unwrap())
}

async fn checkout_to(token: &str, address: Value, option: Option<&str>) -> Resp {
    let mut body = json!({ "shipping_address": address });
    if let Some(o) = option {
        body["shipping_option_id"] = json!(o);
    }
    send(
        client()
            .post(format!("{}/checkout", api_url()))
            .bearer_auth(token)
            .header("idempotency-key", format!("sell-{}", uuid::Uuid::new_v4()))
            .json(&body),
    )
    .await
}

fn london() -> Value {
    json!({"name": "Alan Turing", "line1": "Bletchley Park", "city": "Milton Keynes",
        "postal_code": "MK3 6EB", "country": "GB"})
}

fn berlin() -> Value {
    json!({"name": "Emmy Noether", "line1": "Unter den Linden 6", "city": "Berlin",
        "postal_code": "10117", "country": "DE"})
}

#[tokio::test]
async fn a_countrys_options_rates_and_tax() {
    let r = call("GET", "/shipping-options?country=gb", None, None).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["country"], "GB");
    assert_eq!(r.json["zone"]["zone_id"], "uk");
    assert_eq!(r.json["tax_included"], true);
    assert_eq!(
        r.json["tax_rates"],
        json!({"standard_bp": 2000, "reduced_bp": 500})
    );
    let ids: Vec<&str> = r.json["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["option_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["uk-standard", "uk-express"]);
    assert_eq!(
        r.json["options"][0]["rates"]["GBP"],
        json!({"kind": "flat", "amount": 395, "free_from": 5000})
    );
    assert!(r.headers.contains_key("etag"));

    let r = call(
        "GET",
        "/shipping-options?country=US&currency=USD",
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let rates = r.json["options"][0]["rates"].as_object().unwrap();
    assert_eq!(
        rates.keys().collect::<Vec<_>>(),
        ["USD"],
        "only the currency asked"
    );

    // A country the shop does not ship to: no zone, no options; its tax rates still shown.
    let r = call("GET", "/shipping-options?country=BR", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["zone"], Value::Null);
    assert_eq!(r.json["options"], json!([]));

    for (q, status, code) in [
        ("", 400, "country_required"),
        ("?country=G1", 400, "invalid_country"),
        ("?country=GBR", 400, "invalid_country"),
        ("?country=XX", 422, "unknown_country"),
        ("?country=GB&currency=XYZ", 400, "invalid_currency"),
        ("?country=GB&weight=3", 400, "unknown_parameter"),
    ] {
        let r = call("GET", &format!("/shipping-options{q}"), None, None).await;
        assert_eq!((r.status, r.code()), (status, code), "{q}: {:?}", r.json);
    }
}

/// Free shipping from £50: £49.99 pays the standard rate, £50.00 ships free; express (weight
/// bands) is never free.
#[tokio::test]
async fn free_shipping_from_the_threshold() {
    let p = product("ZZ threshold teapot", 4999, "GBP", 200, "standard").await;
    let cent = product("ZZ threshold penny", 1, "GBP", 0, "standard").await;
    let t = cart_of("threshold", &[(&p, 1)]).await;
    let e = estimate(&t, "GB").await;
    assert_eq!(amount_of(&e, "uk-standard"), Some(395));
    assert_eq!(e[0].1["free"], false);
    assert_eq!(e[0].1["total"], 4999 + 395);
    let r = call(
        "POST",
        "/cart/items",
        Some(&t),
        Some(&json!({"product_id": cent, "quantity": 1})),
    )
    .await;
    assert_eq!(r.status, 200);
    let e = estimate(&t, "GB").await;
    assert_eq!(amount_of(&e, "uk-standard"), Some(0), "{e:?}");
    assert_eq!(e[0].1["free"], true);
    assert_eq!(e[0].1["total"], 5000);
    assert_eq!(amount_of(&e, "uk-express"), Some(695));

    // Checkout charges what the estimate said: free standard shipping, the default (cheapest).
    let r = checkout_to(&t, london(), None).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(r.json["shipping"], 0);
    assert_eq!(r.json["shipping_option"]["option_id"], "uk-standard");
    assert_eq!(r.json["total"], 5000);
}

/// Express to the UK by weight: up to 1,000 g £6.95 (1,000 g exactly included), up to 5,000 g
/// £9.95, up to 30,000 g £14.95; heavier, express is not offered (standard, flat, still is).
#[tokio::test]
async fn weight_band_edges() {
    let exactly = product("ZZ band 1000 g", 500, "GBP", 1000, "standard").await;
    let over = product("ZZ band 1001 g", 500, "GBP", 1001, "standard").await;
    let heavy = product("ZZ band 15 kg", 500, "GBP", 15_000, "standard").await;
    for (lines, express) in [
        (vec![(exactly.as_str(), 1)], Some(695)),
        (vec![(over.as_str(), 1)], Some(995)),
        (vec![(exactly.as_str(), 5)], Some(995)),
        (vec![(exactly.as_str(), 5), (over.as_str(), 1)], Some(1495)),
        (vec![(heavy.as_str(), 2)], Some(1495)),
        (vec![(heavy.as_str(), 2), (exactly.as_str(), 1)], None),
    ] {
        let t = cart_of("bands", &lines).await;
        let e = estimate(&t, "GB").await;
        assert_eq!(amount_of(&e, "uk-express"), express, "{lines:?}: {e:?}");
        assert_eq!(amount_of(&e, "uk-standard"), Some(395), "{lines:?}");
        if express.is_none() {
            // Too heavy for express: checkout with it is refused, nothing reserved.
            let r = checkout_to(&t, london(), Some("uk-express")).await;
            assert_eq!((r.status, r.code()), (422, "unknown_shipping_option"));
            assert_eq!(stock_available(&heavy).await, 10);
        }
    }
}

/// Checkout prices shipping and tax on the server: 20 % VAT in a UK order's prices, per line
/// and on shipping, rounded per line; the PaymentIntent charges the total; GET /orders/{id}
/// shows it all.
#[tokio::test]
async fn checkout_charges_items_shipping_and_the_destinations_tax() {
    let kettle = product("ZZ tax kettle", 1999, "GBP", 800, "standard").await;
    let book = product("ZZ tax cookbook", 1250, "GBP", 150, "reduced").await;
    let seeds = product("ZZ tax seeds", 333, "GBP", 50, "zero").await;
    let t = cart_of("tax", &[(&kettle, 1), (&book, 2), (&seeds, 3)]).await;
    let r = checkout_to(&t, london(), Some("uk-express")).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    // 19.99 + 25.00 + 9.99 = 54.98: standard is free, express by weight (1,250 g) £9.95.
    assert_eq!(r.json["subtotal"], 5498);
    assert_eq!(r.json["shipping"], 995);
    assert_eq!(r.json["shipping_option"]["option_id"], "uk-express");
    assert_eq!(r.json["tax_included"], true);
    assert_eq!(r.json["total"], 5498 + 995);
    // In the prices: 19.99 × 20/120 = 3.3317 → 3.33; 25.00 × 5/105 = 1.1905 → 1.19; zero-rated 0;
    // shipping 9.95 × 20/120 = 1.6583 → 1.66.
    assert_eq!(r.json["tax_total"], 333 + 119 + 166);
    let pi = stripe_get(&format!(
        "/v1/payment_intents/{}",
        r.json["payment"]["payment_intent_id"].as_str().unwrap()
    ))
    .await;
    assert_eq!(pi["amount"], 6493, "the provider charges the total");

    let o = call(
        "GET",
        &format!("/orders/{}", r.json["order_id"].as_str().unwrap()),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(o.status, 200);
    let o = o.json;
    assert_eq!(
        (o["shipping"].clone(), o["shipping_tax"].clone()),
        (json!(995), json!(166))
    );
    assert_eq!(o["tax_total"], 618);
    assert_eq!(o["shipping_option"]["name"], "Express");
    let mut lines: Vec<(i64, String, i64, i64)> = o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["line_total"].as_i64().unwrap(),
                l["tax_class"].as_str().unwrap().to_string(),
                l["tax_rate_bp"].as_i64().unwrap(),
                l["tax"].as_i64().unwrap(),
            )
        })
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            (999, "zero".into(), 0, 0),
            (1999, "standard".into(), 2000, 333),
            (2500, "reduced".into(), 500, 119)
        ]
    );
}

/// The option must be one the address's zone offers in the cart's currency; a country no zone
/// ships to is refused; either way nothing is reserved and the cart stays.
#[tokio::test]
async fn the_option_is_validated_against_the_address() {
    let mug = product("ZZ zone mug", 1200, "EUR", 300, "reduced").await;
    let t = cart_of("zones", &[(&mug, 1)]).await;
    for (address, option, code) in [
        (london(), Some("eu-standard"), "unknown_shipping_option"),
        (berlin(), Some("uk-express"), "unknown_shipping_option"),
        (berlin(), Some("no-such-option"), "unknown_shipping_option"),
        (
            json!({"name": "A", "line1": "Av. Paulista 1", "city": "São Paulo",
                "postal_code": "01310-100", "country": "BR"}),
            None,
            "no_shipping_to_country",
        ),
    ] {
        let r = checkout_to(&t, address, option).await;
        assert_eq!(
            (r.status, r.code()),
            (422, code),
            "{option:?}: {:?}",
            r.json
        );
    }
    let r = checkout_to(&t, berlin(), Some(&"x".repeat(41))).await;
    assert_eq!((r.status, r.code()), (400, "invalid_shipping_option_id"));
    assert_eq!(stock_available(&mug).await, 10, "nothing reserved");
    let orders = call("GET", "/orders", Some(&t), None).await;
    assert_eq!(orders.json["items"], json!([]));

    // To Germany at the reduced rate (7 %): 12.00 holds 0.79; standard shipping 4.95 at 19 %
    // holds 0.79 too.
    let r = checkout_to(&t, berlin(), Some("eu-standard")).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(r.json["total"], 1200 + 495);
    assert_eq!(r.json["tax_total"], 79 + 79);
}

#[tokio::test]
async fn cart_estimate_input_is_checked() {
    let r = call("GET", "/cart?country=XX", None, None).await;
    assert_eq!((r.status, r.code()), (422, "unknown_country"));
    let r = call("GET", "/cart?country=G", None, None).await;
    assert_eq!((r.status, r.code()), (400, "invalid_country"));
    // An empty cart has nothing to ship: no options, and no error.
    let r = call("GET", "/cart?country=GB", None, None).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["shipping_estimate"]["options"], json!([]));
    // Without country, no estimate at all.
    let r = call("GET", "/cart", None, None).await;
    assert!(r.json.get("shipping_estimate").is_none(), "{:?}", r.json);
}
