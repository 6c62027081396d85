//! Admin catalog endpoints: authorisation, validation, updates, stock.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart_tests::*;
use serde_json::{Value, json};

fn product_body(name: &str) -> Value {
    json!({"name": name, "description": "Test product", "category": "kitchen", "brand": "tern",
           "price": 1999, "currency": "EUR", "status": "active"})
}

async fn create(name: &str) -> Value {
    let r = call(
        "POST",
        "/admin/products",
        Some(&admin_token().await),
        Some(&product_body(name)),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert!(
        r.headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/products/")
    );
    r.json
}

#[tokio::test]
async fn admin_routes_need_an_admin() {
    let (_, _, customer) = new_customer("not-admin").await;
    let customer = customer["access_token"].as_str().unwrap().to_string();
    let pid = create("Authz Probe").await["product_id"]
        .as_str()
        .unwrap()
        .to_string();
    let routes = [
        ("POST", "/admin/products".to_string(), product_body("x")),
        (
            "PATCH",
            format!("/admin/products/{pid}"),
            json!({"price": 1}),
        ),
        (
            "PUT",
            format!("/admin/products/{pid}/stock"),
            json!({"warehouses": [{"warehouse_id": "ams-1", "quantity": 1}]}),
        ),
        (
            "POST",
            format!("/admin/products/{pid}/images"),
            json!({"content_type": "image/jpeg", "content_length": 10}),
        ),
    ];
    for (method, path, body) in &routes {
        let r = call(method, path, None, Some(body)).await;
        assert_eq!(
            (r.status, r.code()),
            (401, "missing_token"),
            "{method} {path}"
        );
        let r = call(method, path, Some(&customer), Some(body)).await;
        assert_eq!((r.status, r.code()), (403, "forbidden"), "{method} {path}");
    }
    // Nothing changed by the refused calls.
    let p = call("GET", &format!("/products/{pid}"), None, None).await;
    assert_eq!(p.json["price"], 1999);
    assert_eq!(p.json["availability"], "out_of_stock");
}

#[tokio::test]
async fn create_validates_every_field() {
    let token = admin_token().await;
    let mut cases: Vec<(Value, &str, &str)> = Vec::new();
    let with = |k: &str, v: Value| {
        let mut b = product_body("Valid Name");
        b[k] = v;
        b
    };
    cases.push((with("price", json!(12.5)), "invalid_type", "price"));
    cases.push((with("price", json!(-1)), "invalid_price", "price"));
    cases.push((with("price", json!("1999")), "invalid_type", "price"));
    cases.push((with("price", json!(100_000_001)), "invalid_price", "price"));
    cases.push((
        with("currency", json!("EURO")),
        "invalid_currency",
        "currency",
    ));
    cases.push((
        with("category", json!("Bad Slug")),
        "invalid_slug",
        "category",
    ));
    cases.push((with("status", json!("deleted")), "invalid_value", "status"));
    cases.push((with("name", json!("")), "invalid_name", "name"));
    cases.push((
        with("stock_available", json!(5)),
        "unknown_field",
        "stock_available",
    ));
    // Valid by the schema, naming a category or brand the shop does not have: 422.
    for (body, code, field) in [
        (
            with("category", json!("no-such")),
            "unknown_category",
            "category",
        ),
        (with("brand", json!("no-such")), "unknown_brand", "brand"),
    ] {
        let r = call("POST", "/admin/products", Some(&token), Some(&body)).await;
        assert_eq!(
            (r.status, r.code(), r.field()),
            (422, code, Some(field)),
            "{body}"
        );
    }
    for (body, code, field) in cases {
        let r = call("POST", "/admin/products", Some(&token), Some(&body)).await;
        assert_eq!(
            (r.status, r.code(), r.field()),
            (400, code, Some(field)),
            "{body}"
        );
    }
}

#[tokio::test]
async fn patch_renames_reprices_and_hides() {
    let token = admin_token().await;
    let p = create("Aaaa Patch Probe").await;
    let id = p["product_id"].as_str().unwrap();
    let path = format!("/admin/products/{id}");
    let r = call(
        "PATCH",
        &path,
        Some(&token),
        Some(&json!({"name": "Zzzz Patch Probe", "price": 2500})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(
        (
            r.json["name"].as_str(),
            r.json["price"].as_i64(),
            r.json["version"].as_u64()
        ),
        (Some("Zzzz Patch Probe"), Some(2500), Some(2))
    );
    let listing = call(
        "GET",
        "/products?category=kitchen&brand=tern&limit=100",
        None,
        None,
    )
    .await;
    let names: Vec<&str> = listing.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Zzzz Patch Probe") && !names.contains(&"Aaaa Patch Probe"));
    let r = call(
        "PATCH",
        &path,
        Some(&token),
        Some(&json!({"status": "draft"})),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        call("GET", &format!("/products/{id}"), None, None)
            .await
            .status,
        404
    );
    let listing = call(
        "GET",
        "/products?category=kitchen&brand=tern&limit=100",
        None,
        None,
    )
    .await;
    assert!(
        !listing.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["product_id"] == id)
    );
    let r = call("PATCH", &path, Some(&token), Some(&json!({}))).await;
    assert_eq!((r.status, r.code()), (400, "empty_patch"));
    let r = call(
        "PATCH",
        "/admin/products/01900000-0000-7000-8000-00000000ffff",
        Some(&token),
        Some(&json!({"price": 1})),
    )
    .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn stock_is_set_per_warehouse_and_moves_availability() {
    let token = admin_token().await;
    let id = create("Stock Probe").await["product_id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/admin/products/{id}/stock");
    let set = |body: Value| {
        let (token, path) = (token.clone(), path.clone());
        async move { call("PUT", &path, Some(&token), Some(&body)).await }
    };
    let r = set(json!({"warehouses": [{"warehouse_id": "ams-1", "quantity": 4}]})).await;
    assert_eq!(
        (r.status, r.json["stock_available"].as_i64()),
        (200, Some(4)),
        "{:?}",
        r.json
    );
    assert_eq!(
        call("GET", &format!("/products/{id}"), None, None)
            .await
            .json["availability"],
        "low_stock"
    );
    let r = set(json!({"warehouses": [{"warehouse_id": "lon-1", "quantity": 10}, {"warehouse_id": "ams-1", "quantity": 1}]})).await;
    assert_eq!(r.json["stock_available"], 11);
    assert_eq!(
        r.json["warehouses"],
        json!([{"warehouse_id": "ams-1", "quantity": 1}, {"warehouse_id": "lon-1", "quantity": 10}])
    );
    for (body, status, code) in [
        (
            json!({"warehouses": [{"warehouse_id": "nowhere", "quantity": 5}]}),
            422,
            "unknown_warehouse",
        ),
        (
            json!({"warehouses": [{"warehouse_id": "ams-1", "quantity": -5}]}),
            400,
            "invalid_quantity",
        ),
        (
            json!({"warehouses": [{"warehouse_id": "ams-1", "quantity": 1.5}]}),
            400,
            "invalid_type",
        ),
        (
            json!({"warehouses": [{"warehouse_id": "ams-1", "quantity": 1}, {"warehouse_id": "ams-1", "quantity": 2}]}),
            422,
            "duplicate_warehouse",
        ),
        (json!({"warehouses": []}), 400, "invalid_warehouses"),
        // 1.0 is the integer 1 (JSON Schema's `integer`); the stock is as before.
        (
            json!({"warehouses": [{"warehouse_id": "ams-1", "quantity": 1.0}, {"warehouse_id": "lon-1", "quantity": 10}]}),
            200,
            "",
        ),
    ] {
        let r = set(body.clone()).await;
        assert_eq!((r.status, r.code()), (status, code), "{body}");
    }
    // A mix with one unknown warehouse changes nothing at all.
    let r = set(json!({"warehouses": [{"warehouse_id": "ams-1", "quantity": 50}, {"warehouse_id": "nowhere", "quantity": 5}]})).await;
    assert_eq!(r.status, 422);
    let r = set(json!({"warehouses": [{"warehouse_id": "ber-1", "quantity": 0}]})).await;
    assert_eq!(
        r.json["stock_available"], 11,
        "the refused request must not have written ams-1"
    );
}

#[tokio::test]
async fn concurrent_stock_updates_keep_the_total_consistent() {
    let token = admin_token().await;
    let id = create("Stock Race").await["product_id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/admin/products/{id}/stock");
    let calls = (0..6).map(|i| {
        let warehouse = ["ams-1", "lon-1", "ber-1"][i % 3];
        let body = json!({"warehouses": [{"warehouse_id": warehouse, "quantity": 10 + i}]});
        let (token, path) = (token.clone(), path.clone());
        async move { call("PUT", &path, Some(&token), Some(&body)).await }
    });
    let results = futures::future::join_all(calls).await;
    assert!(
        results
            .iter()
            .all(|r| r.status == 200 || (r.status == 409 && r.code() == "concurrent_update"))
    );
    // Whatever order they landed in, available stock equals the sum of the warehouses.
    let r = call(
        "PUT",
        &path,
        Some(&token),
        Some(&json!({"warehouses": [{"warehouse_id": "ams-1", "quantity": 1}]})),
    )
    .await;
    let sum: i64 = r.json["warehouses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["quantity"].as_i64().unwrap())
        .sum();
    assert_eq!(r.json["stock_available"].as_i64(), Some(sum));
}

#[tokio::test]
async fn image_upload_requests_are_validated() {
    let token = admin_token().await;
    let id = create("Upload Probe").await["product_id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/admin/products/{id}/images");
    for (body, code) in [
        (
            json!({"content_type": "image/gif", "content_length": 100}),
            "unsupported_image_type",
        ),
        (
            json!({"content_type": "text/plain", "content_length": 100}),
            "unsupported_image_type",
        ),
        (
            json!({"content_type": "image/jpeg", "content_length": 15 * 1024 * 1024 + 1}),
            "invalid_content_length",
        ),
        (
            json!({"content_type": "image/jpeg", "content_length": 0}),
            "invalid_content_length",
        ),
        (
            json!({"content_type": "image/jpeg", "content_length": -1}),
            "invalid_value",
        ),
    ] {
        let r = call("POST", &path, Some(&token), Some(&body)).await;
        assert_eq!((r.status, r.code()), (400, code), "{body}");
    }
    let r = call(
        "POST",
        "/admin/products/01900000-0000-7000-8000-00000000ffff/images",
        Some(&token),
        Some(&json!({"content_type": "image/png", "content_length": 10})),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = call(
        "POST",
        &path,
        Some(&token),
        Some(&json!({"content_type": "image/png", "content_length": 1234})),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let up = &r.json["upload"];
    assert_eq!(up["method"], "PUT");
    assert_eq!(
        up["headers"],
        json!({"content-type": "image/png", "content-length": "1234"})
    );
    let url = up["url"].as_str().unwrap();
    assert!(
        url.contains(&format!(
            "uploads/{id}/{}",
            r.json["image_id"].as_str().unwrap()
        )),
        "{url}"
    );
    assert!(
        url.contains("X-Amz-Signature=") && url.contains("content-length%3Bcontent-type"),
        "size and type are signed: {url}"
    );
}

/// The `ferrocart` command the tests run against (the local stack's own build).
fn ferrocart_cli() -> std::process::Command {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target"));
    let mut c = std::process::Command::new(target.join("debug/ferrocart"));
    c.current_dir(repo_root());
    c
}

/// Issue 12 hole 13: `create-admin` promoted an account that already had the email and kept its
/// password, so whoever registered the operator's email first became an admin. Now it refuses;
/// with `--promote-existing` the account takes the operator's password and is signed out.
#[tokio::test]
async fn create_admin_never_hands_a_squatted_account_the_admin_role() {
    let email = unique_email("squatter");
    let squatter_password = "i registered it first";
    assert_eq!(register(&email, squatter_password).await.status, 202);
    let squatter = login(&email, squatter_password).await;
    let squatter_token = squatter.json["access_token"].as_str().unwrap().to_string();

    let out = ferrocart_cli()
        .args([
            "create-admin",
            "--email",
            &email,
            "--password",
            "the operator's own passphrase",
        ])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--promote-existing"));
    let me = get_auth("/me", &squatter_token).await;
    assert_eq!(me.json["role"], "customer", "{:?}", me.json);

    let out = ferrocart_cli()
        .args([
            "create-admin",
            "--email",
            &email,
            "--password",
            "the operator's own passphrase",
            "--promote-existing",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The squatter is out: its session is revoked and its password no longer works.
    assert_eq!(get_auth("/me", &squatter_token).await.status, 401);
    assert_eq!(login(&email, squatter_password).await.status, 401);
    let operator = login(&email, "the operator's own passphrase").await;
    assert_eq!(operator.status, 200);
    let me = get_auth("/me", operator.json["access_token"].as_str().unwrap()).await;
    assert_eq!(me.json["role"], "admin");
}

#[tokio::test]
async fn the_editor_reads_any_product_with_its_stock_in_every_warehouse() {
    let admin = admin_token().await;
    let mut body = product_body("Editor Draft");
    body["status"] = json!("draft");
    let r = call("POST", "/admin/products", Some(&admin), Some(&body)).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let pid = r.json["product_id"].as_str().unwrap().to_string();
    let path = format!("/admin/products/{pid}");

    // A draft: hidden from the shop, read whole by the admin, never stocked anywhere.
    assert_eq!(
        call("GET", &format!("/products/{pid}"), None, None)
            .await
            .status,
        404
    );
    let r = call("GET", &path, Some(&admin), None).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["status"], "draft");
    assert_eq!(r.json["name"], "Editor Draft");
    assert_eq!(r.json["stock_available"], 0);
    let quantities = |v: &Value| -> Vec<(String, i64)> {
        v["warehouses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                (
                    w["warehouse_id"].as_str().unwrap().to_string(),
                    w["quantity"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        quantities(&r.json),
        vec![
            ("ams-1".into(), 0),
            ("lon-1".into(), 0),
            ("ber-1".into(), 0)
        ]
    );

    // Stock set in one warehouse and the product archived: the editor reads both at once.
    let r = call(
        "PUT",
        &format!("{path}/stock"),
        Some(&admin),
        Some(&json!({"warehouses": [{"warehouse_id": "lon-1", "quantity": 7}]})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let r = call(
        "PATCH",
        &path,
        Some(&admin),
        Some(&json!({"status": "archived"})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let r = call("GET", &path, Some(&admin), None).await;
    assert_eq!(r.json["status"], "archived");
    assert_eq!(r.json["stock_available"], 7);
    assert_eq!(
        quantities(&r.json),
        vec![
            ("ams-1".into(), 0),
            ("lon-1".into(), 7),
            ("ber-1".into(), 0)
        ]
    );

    // Only an admin; an unknown product is 404; a query is refused.
    let (_, _, customer) = new_customer("editor-probe").await;
    let customer = customer["access_token"].as_str().unwrap().to_string();
    let r = call("GET", &path, Some(&customer), None).await;
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    let r = call("GET", &path, None, None).await;
    assert_eq!((r.status, r.code()), (401, "missing_token"));
    let r = call(
        "GET",
        "/admin/products/01900000-0000-7000-8000-00000000ffff",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    let r = call("GET", &format!("{path}?x=1"), Some(&admin), None).await;
    assert_eq!(r.status, 400, "{:?}", r.json);
}
