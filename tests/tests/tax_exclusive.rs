//! A shop whose prices exclude tax: checkout adds the destination's tax, per line and on
//! shipping, each rounded to the minor unit, and charges that total. The setting is the shop's,
//! so this binary (run alone, as every test binary is) switches it for its one test and puts it
//! back however the test ends.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart::selling::tax::TaxSettings;
use ferrocart::store::selling::Saved;
use ferrocart_tests::*;
use serde_json::json;

async fn set_prices_include_tax(included: bool) {
    let s = store().await;
    let (_, _, version) = s.selling_config().await.unwrap();
    let saved = s
        .put_tax_settings(
            TaxSettings {
                prices_include_tax: included,
            },
            version,
            ferrocart::time::now_unix(),
        )
        .await
        .unwrap();
    assert!(matches!(saved, Saved::Saved { .. }), "{saved:?}");
    // Reads are eventually consistent (DynamoDB Local's are not): wait until one sees it.
    for _ in 0..50 {
        let (c, _, _) = s.selling_config().await.unwrap();
        if c.tax.prices_include_tax == included {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("tax setting not visible");
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
async fn a_shop_with_tax_exclusive_prices() {
    set_prices_include_tax(false).await;
    let outcome = tokio::spawn(exclusive_prices_add_tax_per_line()).await;
    set_prices_include_tax(true).await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
