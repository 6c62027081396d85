//! The shop's own settings, through the admin's routes: `GET /admin/selling`, `PUT /admin/tax`
//! and `PUT /admin/shipping` (versioned writes; who may; bad input changes nothing).
//!
//! A shop whose prices exclude tax: checkout adds the destination's tax, per line and on
//! shipping, each rounded to the minor unit, and charges that total. The settings are the
//! shop's, so this binary (run alone, as every test binary is) switches them for its tests and
//! puts them back however a test ends. The shipping test only adds a zone for a country no other
//! test ships to, so the two may run side by side.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart_tests::*;
use serde_json::{Value, json};

async fn selling() -> Value {
    let admin = admin_token().await;
    let r = call("GET", "/admin/selling", Some(&admin), None).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json
}

async fn set_prices_include_tax(included: bool) {
    let admin = admin_token().await;
    let version = selling().await["tax"]["version"].clone();
    let r = call(
        "PUT",
        "/admin/tax",
        Some(&admin),
        Some(&json!({"prices_include_tax": included, "version": version})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["version"], version.as_u64().unwrap() + 1);
    // Reads are eventually consistent (DynamoDB Local's are not): wait until one sees it.
    for _ in 0..50 {
        if selling().await["tax"]["prices_include_tax"] == included {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("tax setting not visible");
}

async fn put_shipping(zones: &Value, version: &Value) -> Resp {
    let admin = admin_token().await;
    call(
        "PUT",
        "/admin/shipping",
        Some(&admin),
        Some(&json!({"zones": zones, "version": version})),
    )
    .await
}

async fn kenya_options() -> Value {
    let r = call(
        "GET",
        "/shipping-options?country=KE&currency=GBP",
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json["options"].clone()
}

async fn an_admin_edits_shipping_at_the_version_read() {
    let start = selling().await;
    let (zones, version) = (&start["shipping"]["zones"], &start["shipping"]["version"]);
    assert!(
        version.as_u64().unwrap() >= 1,
        "the seeded configuration: {start}"
    );
    let mut with_kenya = zones.as_array().unwrap().clone();
    with_kenya.push(
        json!({"zone_id": "ke", "name": "Kenya", "countries": ["KE"],
        "options": [{"option_id": "ke-post", "name": "Posta Kenya", "delivery_days": [5, 9],
            "rates": {"GBP": {"kind": "flat", "amount": 1234}}}]}),
    );
    let with_kenya = Value::Array(with_kenya);

    // Refused, and nothing changes: a country in two zones, an id used twice, the schema
    // broken, a stale version.
    let mut twice = with_kenya.clone();
    twice[zones.as_array().unwrap().len()]["countries"] = json!(["KE", "GB"]);
    let r = put_shipping(&twice, version).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "invalid_shipping"),
        "{:?}",
        r.json
    );
    assert!(
        r.json["error"]["field"]
            .as_str()
            .unwrap()
            .ends_with(".countries"),
        "{:?}",
        r.json
    );
    let mut reused = with_kenya.clone();
    reused[zones.as_array().unwrap().len()]["options"][0]["option_id"] = json!("uk-standard");
    let r = put_shipping(&reused, version).await;
    assert_eq!(
        (r.status, r.code()),
        (422, "invalid_shipping"),
        "{:?}",
        r.json
    );
    let mut unknown = with_kenya.clone();
    unknown[0]["colour"] = json!("red");
    assert_eq!(put_shipping(&unknown, version).await.status, 400);
    assert_eq!(put_shipping(&with_kenya, &json!(-1)).await.status, 400);
    let stale = json!(version.as_u64().unwrap() + 7);
    let r = put_shipping(&with_kenya, &stale).await;
    assert_eq!(
        (r.status, r.code()),
        (409, "version_conflict"),
        "{:?}",
        r.json
    );
    let (_, _, pair) = new_customer("settings").await;
    let t = pair["access_token"].as_str().unwrap().to_string();
    for (method, path) in [
        ("GET", "/admin/selling"),
        ("PUT", "/admin/shipping"),
        ("PUT", "/admin/tax"),
    ] {
        let body = json!({"zones": with_kenya, "version": version});
        assert_eq!(
            call(method, path, None, Some(&body)).await.status,
            401,
            "{path}"
        );
        assert_eq!(
            call(method, path, Some(&t), Some(&body)).await.status,
            403,
            "{path}"
        );
    }
    assert_eq!(selling().await["shipping"], start["shipping"]);
    assert_eq!(kenya_options().await, json!([]));

    // At the version read (JSON's 3.0 is 3): stored, and shoppers see it.
    let r = put_shipping(&with_kenya, &json!(version.as_f64().unwrap())).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let next = json!(version.as_u64().unwrap() + 1);
    assert_eq!(r.json["version"], next);
    let mut seen = json!([]);
    for _ in 0..50 {
        seen = kenya_options().await;
        if seen != json!([]) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen[0]["option_id"], "ke-post", "{seen}");
    assert_eq!(seen[0]["rates"]["GBP"]["amount"], 1234, "{seen}");
    // The version read before is stale now.
    let r = put_shipping(zones, version).await;
    assert_eq!(
        (r.status, r.code()),
        (409, "version_conflict"),
        "{:?}",
        r.json
    );
}

async fn exclusive_prices_add_tax_per_line() {
    let admin = admin_token().await;
    let mut ids = Vec::new();
    for (name, price, class) in [
        ("ZZ net pen", 5, "standard"),
        ("ZZ net pencil", 5, "standard"),
        ("ZZ net atlas", 2999, "reduced"),
    ] {
        let r = call(
            "POST",
            "/admin/products",
            Some(&admin),
            Some(&json!({"name": name,
            "category": "office", "brand": "tern", "price": price, "currency": "EUR",
            "status": "active", "tax_class": class, "weight_grams": 100})),
        )
        .await;
        assert_eq!(r.status, 201, "{:?}", r.json);
        let id = r.json["product_id"].as_str().unwrap().to_string();
        let r = call(
            "PUT",
            &format!("/admin/products/{id}/stock"),
            Some(&admin),
            Some(&json!({"warehouses": [{"warehouse_id": "ber-1", "quantity": 5}]})),
        )
        .await;
        assert_eq!(r.status, 200);
        ids.push(id);
    }
    let (_, _, pair) = new_customer("net").await;
    let t = pair["access_token"].as_str().unwrap().to_string();
    for id in &ids {
        let r = call(
            "POST",
            "/cart/items",
            Some(&t),
            Some(&json!({"product_id": id, "quantity": 1})),
        )
        .await;
        assert_eq!(r.status, 200);
    }
    // To Germany, standard shipping €4.95 net: 19 % of €0.05 is 0.95 cent → 1 cent, per line
    // (on the two pens' sum it would be 1.9 → 2 too, but the pencil and pen are rounded alone:
    // 1 + 1); 7 % of €29.99 = 2.0993 → €2.10; 19 % of €4.95 = 0.9405 → €0.94.
    let estimate = call("GET", "/cart?country=DE", Some(&t), None).await;
    assert_eq!(estimate.json["shipping_estimate"]["tax_included"], false);
    let standard = estimate.json["shipping_estimate"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["option_id"] == "eu-standard")
        .unwrap()
        .clone();
    let tax = 1 + 1 + 210 + 94;
    assert_eq!(standard["tax_total"], tax);
    assert_eq!(standard["total"], 5 + 5 + 2999 + 495 + tax);

    let r = send(
        client()
            .post(format!("{}/checkout", api_url()))
            .bearer_auth(&t)
            .header("idempotency-key", format!("net-{}", uuid::Uuid::new_v4()))
            .json(
                &json!({"shipping_address": {"name": "Emmy Noether", "line1": "Unter den Linden 6",
                "city": "Berlin", "postal_code": "10117", "country": "DE"},
                "shipping_option_id": "eu-standard"}),
            ),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(r.json["tax_included"], false);
    assert_eq!(r.json["subtotal"], 3009);
    assert_eq!(r.json["tax_total"], tax);
    let total = 3009 + 495 + tax;
    assert_eq!(r.json["total"], total);
    let pi = stripe_get(&format!(
        "/v1/payment_intents/{}",
        r.json["payment"]["payment_intent_id"].as_str().unwrap()
    ))
    .await;
    assert_eq!(
        pi["amount"], total,
        "the provider charges net + tax + shipping"
    );
    let o = call(
        "GET",
        &format!("/orders/{}", r.json["order_id"].as_str().unwrap()),
        Some(&t),
        None,
    )
    .await;
    let line_tax: i64 = o.json["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["tax"].as_i64().unwrap())
        .sum();
    assert_eq!(line_tax + o.json["shipping_tax"].as_i64().unwrap(), tax);
    let lines_and_tax: i64 = o.json["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line_total"].as_i64().unwrap() + l["tax"].as_i64().unwrap())
        .sum();
    assert_eq!(
        lines_and_tax + 495 + o.json["shipping_tax"].as_i64().unwrap(),
        total,
        "lines + shipping + tax = total"
    );
}

#[tokio::test]
async fn an_admin_sets_shipping_zones_and_options() {
    let before = selling().await["shipping"]["zones"].clone();
    let outcome = tokio::spawn(an_admin_edits_shipping_at_the_version_read()).await;
    let version = selling().await["shipping"]["version"].clone();
    let r = put_shipping(&before, &version).await;
    assert_eq!(
        r.status, 200,
        "restoring the shipping configuration: {:?}",
        r.json
    );
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test]
async fn a_shop_with_tax_exclusive_prices() {
    set_prices_include_tax(false).await;
    let outcome = tokio::spawn(exclusive_prices_add_tax_per_line()).await;
    set_prices_include_tax(true).await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
