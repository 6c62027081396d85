//! The address book through the local HTTP API: save, list, change, default, delete, the limit of
//! 20 under concurrent saves, per-country rules, other customers' ids, and checkout from a saved
//! address (or saving the one it was given, once however often it is retried).

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart_tests::*;
use serde_json::{Value, json};

fn us() -> Value {
    json!({"name": "Ada Lovelace", "line1": "350 Fifth Avenue", "city": "New York",
           "region": "new york", "postal_code": "10118", "country": "us", "phone": "+1 212 736 3100"})
}

fn nl() -> Value {
    json!({"name": "Grace Hopper", "line1": "Keizersgracht 1", "city": "Amsterdam",
           "postal_code": "1015cj", "country": "NL"})
}

async fn token(tag: &str) -> String {
    let (_, _, pair) = new_customer(tag).await;
    pair["access_token"].as_str().unwrap().to_string()
}

async fn book(t: &str) -> Value {
    let r = call("GET", "/me/addresses", Some(t), None).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json
}

#[tokio::test]
async fn a_customer_keeps_an_address_book_with_one_default() {
    let t = token("book").await;
    assert_eq!(
        book(&t).await,
        json!({"addresses": [], "default_address_id": null, "limit": 20})
    );

    // The first address saved is the default, normalised as the country writes it.
    let r = call("POST", "/me/addresses", Some(&t), Some(&us())).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let first = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(
        (
            r.json["region"].as_str(),
            r.json["country"].as_str(),
            r.json["phone"].as_str(),
            r.json["default"].as_bool()
        ),
        (Some("NY"), Some("US"), Some("+12127363100"), Some(true))
    );
    let r = call("POST", "/me/addresses", Some(&t), Some(&nl())).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let second = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(r.json["postal_code"], "1015 CJ");
    assert_eq!(r.json["default"], false);

    let b = book(&t).await;
    assert_eq!(b["default_address_id"], first.as_str());
    assert_eq!(b["addresses"].as_array().unwrap().len(), 2);
    assert_eq!(b["addresses"][0]["id"], first.as_str(), "the default first");

    // Make the second the default: exactly one default.
    let r = call(
        "PATCH",
        &format!("/me/addresses/{second}"),
        Some(&t),
        Some(&json!({"default": true})),
    )
    .await;
    assert_eq!((r.status, r.json["default"].as_bool()), (200, Some(true)));
    let b = book(&t).await;
    assert_eq!(b["default_address_id"], second.as_str());
    let defaults: Vec<bool> = b["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["default"].as_bool().unwrap())
        .collect();
    assert_eq!(defaults, [true, false]);

    // Change fields; null clears an optional one; the whole address is checked again.
    let r = call(
        "PATCH",
        &format!("/me/addresses/{first}"),
        Some(&t),
        Some(&json!({"line2": "Floor 86", "phone": null})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["line2"], "Floor 86");
    assert!(r.json.get("phone").is_none(), "{:?}", r.json);
    assert_eq!(r.json["default"], false);
    // Moving it to Canada without a Canadian region and postal code is refused, and changes nothing.
    let r = call(
        "PATCH",
        &format!("/me/addresses/{first}"),
        Some(&t),
        Some(&json!({"country": "CA"})),
    )
    .await;
    assert_eq!(
        (r.status, r.code(), r.field()),
        (422, "invalid_address", Some("postal_code")),
        "{:?}",
        r.json
    );
    let r = call(
        "PATCH",
        &format!("/me/addresses/{first}"),
        Some(&t),
        Some(&json!({"country": "CA", "postal_code": "K1A 0B1", "region": "Ontario", "city": "Ottawa"})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(
        (r.json["region"].as_str(), r.json["country"].as_str()),
        (Some("ON"), Some("CA"))
    );
    let r = call(
        "PATCH",
        &format!("/me/addresses/{first}"),
        Some(&t),
        Some(&json!({})),
    )
    .await;
    assert_eq!((r.status, r.code()), (400, "empty_patch"));

    // Unsetting the default leaves none; deleting the default leaves none.
    let r = call(
        "PATCH",
        &format!("/me/addresses/{second}"),
        Some(&t),
        Some(&json!({"default": false})),
    )
    .await;
    assert_eq!((r.status, r.json["default"].as_bool()), (200, Some(false)));
    assert_eq!(book(&t).await["default_address_id"], Value::Null);
    call(
        "PATCH",
        &format!("/me/addresses/{second}"),
        Some(&t),
        Some(&json!({"default": true})),
    )
    .await;
    let r = call("DELETE", &format!("/me/addresses/{second}"), Some(&t), None).await;
    assert_eq!(r.status, 204);
    let b = book(&t).await;
    assert_eq!(b["default_address_id"], Value::Null);
    assert_eq!(b["addresses"].as_array().unwrap().len(), 1);
    let r = call("DELETE", &format!("/me/addresses/{second}"), Some(&t), None).await;
    assert_eq!((r.status, r.code()), (404, "not_found"));
}

#[tokio::test]
async fn another_customers_address_is_not_found_and_bad_input_changes_nothing() {
    let owner = token("owner").await;
    let other = token("other").await;
    let r = call("POST", "/me/addresses", Some(&owner), Some(&nl())).await;
    let id = r.json["id"].as_str().unwrap().to_string();
    let path = format!("/me/addresses/{id}");
    let r = call(
        "PATCH",
        &path,
        Some(&other),
        Some(&json!({"city": "Utrecht"})),
    )
    .await;
    assert_eq!((r.status, r.code()), (404, "not_found"));
    let r = call("DELETE", &path, Some(&other), None).await;
    assert_eq!((r.status, r.code()), (404, "not_found"));
    assert_eq!(book(&other).await["addresses"], json!([]));
    for bad in [
        "/me/addresses/not-a-uuid",
        "/me/addresses/01900000-0000-7000-8000-0000000000ff",
    ] {
        let r = call("DELETE", bad, Some(&owner), None).await;
        assert_eq!((r.status, r.code()), (404, "not_found"), "{bad}");
    }
    let r = call("GET", "/me/addresses", None, None).await;
    assert_eq!((r.status, r.code()), (401, "missing_token"));
    let r = call("GET", "/me/addresses?limit=3", Some(&owner), None).await;
    assert_eq!(r.status, 400);

    // Schema breaks are 400; rules the schema cannot state (which countries exist, each one's
    // postal codes and regions) are 422; each names the field.
    for (patch, status, code, field) in [
        (
            json!({"country": "Netherlands"}),
            400,
            "invalid_address",
            "country",
        ),
        (json!({"line1": " "}), 400, "invalid_address", "line1"),
        (json!({"phone": "call me"}), 400, "invalid_phone", "phone"),
        (json!({"color": "red"}), 400, "unknown_field", "color"),
        (json!({"default": null}), 400, "invalid_type", "default"),
        (json!({"country": "ZZ"}), 422, "invalid_address", "country"),
        (
            json!({"postal_code": "1"}),
            422,
            "invalid_address",
            "postal_code",
        ),
        (
            json!({"postal_code": null}),
            400,
            "invalid_type",
            "postal_code",
        ),
        (
            json!({"country": "US", "postal_code": "94103"}),
            422,
            "invalid_address",
            "region",
        ),
        (
            json!({"country": "US", "postal_code": "94103", "region": "Bavaria"}),
            422,
            "invalid_address",
            "region",
        ),
    ] {
        let mut body = nl();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = call("POST", "/me/addresses", Some(&owner), Some(&body)).await;
        assert_eq!(
            (r.status, r.code(), r.field()),
            (status, code, Some(field)),
            "{patch}: {:?}",
            r.json
        );
    }
    assert_eq!(book(&owner).await["addresses"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_book_holds_twenty_however_many_are_saved_at_once() {
    let t = token("full").await;
    let saves = (0..30).map(|i| {
        let t = t.clone();
        async move {
            let mut a = nl();
            a["line1"] = json!(format!("Keizersgracht {i}"));
            call("POST", "/me/addresses", Some(&t), Some(&a)).await
        }
    });
    let answers = futures::future::join_all(saves).await;
    let mut statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    let created = statuses.iter().filter(|s| **s == 201).count();
    assert_eq!(created, 20, "{statuses:?}");
    for r in answers.iter().filter(|r| r.status != 201) {
        assert_eq!(
            (r.status, r.code()),
            (409, "address_book_full"),
            "{:?}",
            r.json
        );
    }
    let b = book(&t).await;
    assert_eq!(b["addresses"].as_array().unwrap().len(), 20);
    let defaults = b["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["default"] == true)
        .count();
    assert_eq!(defaults, 1, "one default, however the saves raced");
    // Deleting one makes room for exactly one.
    let id = b["addresses"][5]["id"].as_str().unwrap();
    assert_eq!(
        call("DELETE", &format!("/me/addresses/{id}"), Some(&t), None)
            .await
            .status,
        204
    );
    assert_eq!(
        call("POST", "/me/addresses", Some(&t), Some(&nl()))
            .await
            .status,
        201
    );
    let r = call("POST", "/me/addresses", Some(&t), Some(&nl())).await;
    assert_eq!((r.status, r.code()), (409, "address_book_full"));
}

async fn checkout_with(t: &str, key: &str, body: &Value) -> Resp {
    send(
        client()
            .post(format!("{}/checkout", api_url()))
            .bearer_auth(t)
            .header("idempotency-key", key)
            .json(body),
    )
    .await
}

#[tokio::test]
async fn checkout_ships_to_a_saved_address_or_saves_the_one_given_once() {
    // From a saved address: the order keeps its own copy.
    let (_, t, _) = shopper_with_cart("ship-saved", 1500).await;
    let r = call("POST", "/me/addresses", Some(&t), Some(&us())).await;
    let saved = r.json["id"].as_str().unwrap().to_string();
    let other = token("ship-other").await;
    let r = call("POST", "/me/addresses", Some(&other), Some(&nl())).await;
    let foreign = r.json["id"].as_str().unwrap().to_string();
    for (body, status, code, field) in [
        (
            json!({"address_id": foreign}),
            422,
            "unknown_address",
            Some("address_id"),
        ),
        (
            json!({"address_id": "x"}),
            400,
            "invalid_address_id",
            Some("address_id"),
        ),
        (json!({}), 400, "address_required", Some("shipping_address")),
        (
            json!({"address_id": saved, "shipping_address": nl()}),
            400,
            "invalid_request",
            Some("address_id"),
        ),
        (
            json!({"address_id": saved, "save_address": true}),
            400,
            "invalid_request",
            Some("save_address"),
        ),
        (
            json!({"shipping_address": {"name": "A", "line1": "B", "city": "C", "country": "US", "postal_code": "10118"}}),
            422,
            "invalid_address",
            Some("shipping_address.region"),
        ),
    ] {
        let r = checkout_with(&t, &format!("k-{}", uuid::Uuid::new_v4()), &body).await;
        assert_eq!(
            (r.status, r.code(), r.field()),
            (status, code, field),
            "{body}: {:?}",
            r.json
        );
    }
    let r = checkout_with(&t, "saved-1", &json!({"address_id": saved})).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let order_id = r.json["order_id"].as_str().unwrap().to_string();
    call("DELETE", &format!("/me/addresses/{saved}"), Some(&t), None).await;
    let r = call("GET", &format!("/orders/{order_id}"), Some(&t), None).await;
    assert_eq!(
        (
            r.json["shipping_address"]["region"].as_str(),
            r.json["shipping_address"]["postal_code"].as_str()
        ),
        (Some("NY"), Some("10118")),
        "{:?}",
        r.json
    );

    // An inline address with save_address: saved once, however often the checkout is retried.
    let (_, t, _) = shopper_with_cart("ship-save", 1500).await;
    let body = json!({"shipping_address": nl(), "save_address": true});
    let r = checkout_with(&t, "save-1", &body).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let again = checkout_with(&t, "save-1", &body).await;
    assert_eq!(
        (again.status, again.json["order_id"].clone()),
        (201, r.json["order_id"].clone())
    );
    let b = book(&t).await;
    assert_eq!(b["addresses"].as_array().unwrap().len(), 1, "{b}");
    assert_eq!(b["addresses"][0]["postal_code"], "1015 CJ");
    assert_eq!(b["addresses"][0]["default"], true);
}

#[tokio::test]
async fn a_full_book_refuses_save_address_before_anything_is_reserved() {
    let (_, t, product) = shopper_with_cart("ship-full", 1500).await;
    for i in 0..20 {
        let mut a = nl();
        a["line1"] = json!(format!("Prinsengracht {i}"));
        assert_eq!(
            call("POST", "/me/addresses", Some(&t), Some(&a))
                .await
                .status,
            201
        );
    }
    let before = stock_available(&product).await;
    let r = checkout_with(
        &t,
        "full-1",
        &json!({"shipping_address": us(), "save_address": true}),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "address_book_full"),
        "{:?}",
        r.json
    );
    assert_eq!(
        stock_available(&product).await,
        before,
        "nothing was reserved"
    );
    assert_eq!(
        call("GET", "/cart", Some(&t), None).await.json["lines"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Without saving, the same shopper checks out.
    let r = checkout_with(&t, "full-2", &json!({"shipping_address": us()})).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
}
