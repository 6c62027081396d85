//! `GET /admin/stock/low`: one warehouse's products below a number of units on hand, lowest
//! first, kept current by set-stock and by fulfilment's `ADD quantity` through the `stock`
//! index; paged without repeats or gaps; what it refuses changes nothing.
//! (401/403 for every admin route: `admin_actions.rs`.)

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart::store::catalog::WarehouseItem;
use ferrocart_tests::*;
use serde_json::{Value, json};

async fn report(query: &str) -> Resp {
    call(
        "GET",
        &format!("/admin/stock/low?{query}"),
        Some(&admin_token().await),
        None,
    )
    .await
}

/// `(product id, quantity)` of a report page.
fn rows(r: &Resp) -> Vec<(String, i64)> {
    r.json["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{:?}", r.json))
        .iter()
        .map(|i| {
            (
                i["product_id"].as_str().unwrap().to_string(),
                i["quantity"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Every row of the report, page by page at `limit`.
async fn all_pages(wh: &str, below: i64, limit: usize) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    for _ in 0..50 {
        let r = report(&format!(
            "warehouse={wh}&below={below}&limit={limit}&cursor={cursor}"
        ))
        .await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        let page = rows(&r);
        assert!(page.len() <= limit);
        out.extend(page);
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => return out,
        }
    }
    panic!("the report never ended");
}

fn set_stock_body(wh: &str, qty: i64) -> Value {
    json!({"warehouses": [{"warehouse_id": wh, "quantity": qty}]})
}

#[tokio::test]
async fn the_report_lists_what_is_low_lowest_first_and_follows_set_stock_and_fulfilment() {
    // A warehouse of this test's own, so the demo catalog's rows are not in its report.
    let wh = format!("zz-low-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    assert!(
        store()
            .await
            .put_new(&WarehouseItem::new(&wh, "Low-stock test", "GB", 9))
            .await
            .unwrap()
    );
    let empty = stocked_product("ZZ low stock empty", 500, "GBP", &wh, 0).await;
    let three_a = stocked_product("ZZ low stock three a", 500, "GBP", &wh, 3).await;
    let three_b = stocked_product("ZZ low stock three b", 500, "GBP", &wh, 3).await;
    let twelve = stocked_product("ZZ low stock twelve", 500, "GBP", &wh, 12).await;

    let r = report(&format!("warehouse={wh}")).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["below"], 10);
    assert_eq!(r.json["warehouse"]["warehouse_id"], wh.as_str());
    assert_eq!(r.json["warehouse"]["name"], "Low-stock test");
    assert_eq!(r.json["next_cursor"], Value::Null);
    let page = rows(&r);
    assert_eq!(page.len(), 3, "{:?}", r.json);
    assert_eq!(page[0], (empty.clone(), 0));
    let mut threes = vec![page[1].clone(), page[2].clone()];
    threes.sort();
    let mut expected = vec![(three_a.clone(), 3), (three_b.clone(), 3)];
    expected.sort();
    assert_eq!(threes, expected);
    let first = &r.json["items"][0];
    assert_eq!(first["name"], "ZZ low stock empty");
    assert_eq!(first["status"], "active");
    assert_eq!(first["stock_available"], 0);

    // `below` is strict, at both edges.
    assert_eq!(
        rows(&report(&format!("warehouse={wh}&below=1")).await),
        vec![(empty.clone(), 0)]
    );
    assert_eq!(
        rows(&report(&format!("warehouse={wh}&below=3")).await).len(),
        1
    );
    assert_eq!(
        rows(&report(&format!("warehouse={wh}&below=12")).await).len(),
        3
    );
    assert_eq!(
        rows(&report(&format!("warehouse={wh}&below=13")).await).len(),
        4
    );

    // Paged at every size, the same rows in the same order, none twice.
    let whole = rows(&report(&format!("warehouse={wh}&below=13")).await);
    for limit in [1, 2, 3, 100] {
        assert_eq!(all_pages(&wh, 13, limit).await, whole, "limit {limit}");
    }
    // A cursor from a report with a higher `below` is past the end of a lower one's.
    let r = report(&format!("warehouse={wh}&below=13&limit=3")).await;
    let cursor = r.json["next_cursor"].as_str().unwrap().to_string();
    let r = report(&format!("warehouse={wh}&below=3&cursor={cursor}")).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(rows(&r), vec![]);
    assert_eq!(r.json["next_cursor"], Value::Null);

    // Fulfilment ships 5 of the twelve from this warehouse: 7 on hand is low now.
    let (_, _, pair) = new_customer("low-stock").await;
    let t = pair["access_token"].as_str().unwrap().to_string();
    let r = call(
        "POST",
        "/cart/items",
        Some(&t),
        Some(&json!({"product_id": twelve, "quantity": 5})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let order = checkout(&t, &format!("k-{}", uuid::Uuid::new_v4())).await;
    assert_eq!(order.status, 201, "{:?}", order.json);
    let pi = order.json["payment"]["payment_intent_id"].as_str().unwrap();
    assert_eq!(pay_at_stripe_fake(pi, "4242424242424242").await, 200);
    let id = order.json["order_id"].as_str().unwrap();
    wait_for_order(&t, id, 30, |o| o["status"] == "shipped").await;
    let r = report(&format!("warehouse={wh}")).await;
    let page = rows(&r);
    assert_eq!(page.len(), 4, "{:?}", r.json);
    assert_eq!(page[3], (twelve.clone(), 7));
    assert_eq!(r.json["items"][3]["stock_available"], 7);

    // Restocked: off the report.
    let admin = admin_token().await;
    let r = call(
        "PUT",
        &format!("/admin/products/{twelve}/stock"),
        Some(&admin),
        Some(&set_stock_body(&wh, 40)),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let page = rows(&report(&format!("warehouse={wh}")).await);
    assert_eq!(page.len(), 3);
    assert!(page.iter().all(|(p, _)| p != &twelve));

    // An archived product is still listed, with its status.
    let r = call(
        "PATCH",
        &format!("/admin/products/{empty}"),
        Some(&admin),
        Some(&json!({"status": "archived"})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let r = report(&format!("warehouse={wh}&below=1")).await;
    assert_eq!(r.json["items"][0]["status"], "archived", "{:?}", r.json);
}

#[tokio::test]
async fn what_the_report_refuses() {
    for (query, status, code) in [
        ("", 400, "warehouse_required"),
        ("warehouse=", 400, "warehouse_required"),
        ("warehouse=ams-1&below=0", 400, "invalid_below"),
        ("warehouse=ams-1&below=-3", 400, "invalid_below"),
        ("warehouse=ams-1&below=abc", 400, "invalid_below"),
        ("warehouse=ams-1&below=1000000001", 400, "invalid_below"),
        ("warehouse=ams-1&limit=0", 400, "invalid_limit"),
        ("warehouse=ams-1&limit=101", 400, "invalid_limit"),
        ("warehouse=ams-1&colour=red", 400, "unknown_parameter"),
        ("warehouse=ams-1&cursor=nonsense", 422, "invalid_cursor"),
        (
            "warehouse=ams-1&cursor=-1_0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f74",
            422,
            "invalid_cursor",
        ),
        ("warehouse=nowhere", 404, "not_found"),
        ("warehouse=STOCK%23ams-1", 404, "not_found"),
    ] {
        let r = report(query).await;
        assert_eq!(
            (r.status, r.code()),
            (status, code),
            "{query}: {:?}",
            r.json
        );
    }
    // The demo warehouses answer, lowest first.
    let r = report("warehouse=ams-1&below=1000000000&limit=100").await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let q: Vec<i64> = rows(&r).into_iter().map(|(_, q)| q).collect();
    assert!(!q.is_empty());
    assert!(q.windows(2).all(|w| w[0] <= w[1]), "{q:?}");
}
