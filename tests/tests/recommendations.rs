//! The data lake and the recommendations job against the local stack: paid orders reach S3 as
//! NDJSON by day (order-archiver, fed by the table's stream), a twice-delivered batch writes its
//! object again unchanged, a failed read retries the batch until the order is there, and the job
//! turns the orders into "frequently bought together" lists that the API serves.

#![allow(clippy::unwrap_used)]

use ferrocart::lake::{self, OrderPaid};
use ferrocart_tests::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const LAKE_BUCKET: &str = "ferrocart-lakebucket";
const PREFIX: &str = "orders/";
/// The local stream poller's batching window is 1 s and the archiver is quick.
const ARCHIVED_WITHIN: Duration = Duration::from_secs(20);

/// Every object of the lake's days from yesterday (UTC) on, by key, with its lines.
async fn lake_objects() -> BTreeMap<String, Vec<OrderPaid>> {
    let s3 = s3_client().await;
    let yesterday = lake::day_of_unix(ferrocart::time::now_unix() - 86_400);
    let mut out = BTreeMap::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(LAKE_BUCKET)
            .prefix(PREFIX)
            .start_after(lake::day_prefix(PREFIX, &yesterday))
            .set_continuation_token(token.take())
            .send()
            .await
            .unwrap();
        for o in page.contents() {
            let key = o.key().unwrap().to_string();
            let body = s3
                .get_object()
                .bucket(LAKE_BUCKET)
                .key(&key)
                .send()
                .await
                .unwrap()
                .body
                .collect()
                .await
                .unwrap()
                .into_bytes();
            let lines = String::from_utf8(body.to_vec())
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            out.insert(key, lines);
        }
        match page.next_continuation_token() {
            Some(t) => token = Some(t.to_string()),
            None => return out,
        }
    }
}

/// The objects holding `order`, once it is archived.
async fn archived(order: &str) -> Vec<(String, OrderPaid)> {
    let since = Instant::now();
    loop {
        let found: Vec<(String, OrderPaid)> = lake_objects()
            .await
            .into_iter()
            .flat_map(|(k, lines)| lines.into_iter().map(move |l| (k.clone(), l)))
            .filter(|(_, l)| l.order_id.as_str() == order)
            .collect();
        if !found.is_empty() {
            return found;
        }
        assert!(
            since.elapsed() < ARCHIVED_WITHIN,
            "{order} not in the lake within {ARCHIVED_WITHIN:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A fresh customer puts one unit of each product in the cart and checks out: (token, the
/// checkout's answer).
async fn placed(products: &[&str]) -> (String, Value) {
    let (_, _, pair) = new_customer("lake").await;
    let token = pair["access_token"].as_str().unwrap().to_string();
    for p in products {
        let r = call(
            "POST",
            "/cart/items",
            Some(&token),
            Some(&json!({"product_id": p, "quantity": 1})),
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", r.json);
    }
    let r = checkout(&token, &format!("k-{}", uuid::Uuid::new_v4())).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    (token, r.json)
}

/// Pays a placed order with the test card and waits until it is paid: its id.
async fn pay((token, placed): &(String, Value)) -> String {
    let order = placed["order_id"].as_str().unwrap().to_string();
    let pi = placed["payment"]["payment_intent_id"].as_str().unwrap();
    assert_eq!(pay_at_stripe_fake(pi, "4242424242424242").await, 200);
    wait_for_order(token, &order, 20, |o| o["status"] != "pending_payment").await;
    order
}

/// A fresh customer buys one unit of each product in one order and pays: the order id.
async fn paid_order(products: &[&str]) -> String {
    pay(&placed(products).await).await
}

/// Runs the job now over the last two days (so a run just after midnight still sees today's).
async fn recommend() -> Value {
    let today = lake::day_of_unix(ferrocart::time::now_unix());
    invoke(
        "RecommendationsFunction",
        &json!({"until": today, "window_days": 2}),
    )
    .await
}

async fn recommendations(product: &str) -> Value {
    let r = call(
        "GET",
        &format!("/products/{product}/recommendations"),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json
}

#[tokio::test]
async fn paid_orders_become_lists_that_damp_bestsellers_and_rerun_unchanged() {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let mut ids = Vec::new();
    for name in ["Anvil", "Bellows", "Charcoal", "Dross"] {
        ids.push(stocked_product(&format!("ZZ lake {name} {tag}"), 500, "GBP", "lon-1", 50).await);
    }
    let [a, b, c, d] = [&ids[0], &ids[1], &ids[2], &ids[3]].map(String::as_str);
    // A is bought with C twice and with B once; but C is in 6 orders, B in just that one:
    // B (1/sqrt 1 = 1) comes before C (2/sqrt 6 = 0.82).
    let mut orders = vec![
        paid_order(&[a, b]).await,
        paid_order(&[a, c]).await,
        paid_order(&[a, c]).await,
    ];
    for _ in 0..4 {
        orders.push(paid_order(&[c, d]).await);
    }
    // Each paid order is archived once, with its lines, in its day's partition.
    for o in &orders {
        let found = archived(o).await;
        assert_eq!(found.len(), 1, "{o} archived once: {found:?}");
        let (key, line) = &found[0];
        assert_eq!(lake::day_of_key(PREFIX, key), Some(line.day()));
        assert_eq!((line.schema, line.kind.as_str()), (1, "order.paid"));
        assert_eq!(
            line.lines.iter().map(|l| l.quantity).sum::<i64>(),
            line.lines.len() as i64
        );
        assert!(line.total > 0 && line.currency == "GBP" && line.country == "GB");
    }

    let report = recommend().await;
    assert!(report["orders"].as_u64().unwrap() >= 7, "{report}");
    let list = |v: &Value| -> Vec<(String, String)> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["product_id"].as_str().unwrap().to_string(),
                    i["why"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let for_a = recommendations(a).await;
    let got = list(&for_a);
    assert_eq!(
        got[..2],
        [
            (b.into(), "bought_together".into()),
            (c.into(), "bought_together".into())
        ],
        "{for_a}"
    );
    // the rest fill from the category's bestsellers, never A itself, at most 10
    assert!(
        got.len() <= 10
            && got[2..]
                .iter()
                .all(|(p, w)| p != a && w == "category_bestseller")
    );
    assert!(for_a["items"][0]["price"].is_i64() && for_a["computed_at"].is_string());
    // D was only ever bought with C
    assert_eq!(
        list(&recommendations(d).await)[0],
        (c.to_string(), "bought_together".to_string())
    );

    // The same window again: the same lists, not even rewritten.
    let again = recommend().await;
    assert!(again["unchanged"].as_u64().unwrap() > 0, "{again}");
    let for_a_again = recommendations(a).await;
    assert_eq!(for_a_again["computed_at"], for_a["computed_at"]);
    assert_eq!(list(&for_a_again), got);

    // A product archived since is left out of the lists it is on.
    let admin = admin_token().await;
    let r = call(
        "PATCH",
        &format!("/admin/products/{b}"),
        Some(&admin),
        Some(&json!({"status": "archived"})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let without_b = list(&recommendations(a).await);
    assert_eq!(without_b[0], (c.to_string(), "bought_together".to_string()));
    assert!(without_b.iter().all(|(p, _)| p != b));
    // and an archived product has none to show
    let r = call("GET", &format!("/products/{b}/recommendations"), None, None).await;
    assert_eq!(r.status, 404);
}

/// The stream record the table writes when `order` turned paid, built from the order as it is
/// now (paid or later), with this sequence number.
async fn paid_record(order: &str, sequence: &str) -> Value {
    let store = store().await;
    let id = ferrocart::ids::OrderId::parse(order).unwrap();
    let mut item = store.get_order(&id).await.unwrap().unwrap();
    item.status = ferrocart::state::OrderStatus::Paid;
    let new: serde_dynamo::Item = serde_dynamo::to_item(&item).unwrap();
    let new: Value = serde_json::to_value(new).unwrap();
    let mut old = new.clone();
    old["status"] = json!({"S": "pending_payment"});
    json!({
        "eventID": format!("test-{sequence}"),
        "eventName": "MODIFY",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "Keys": {"pk": new["pk"], "sk": new["sk"]},
            "NewImage": new,
            "OldImage": old,
            "SequenceNumber": sequence,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    })
}

#[tokio::test]
async fn a_redelivered_batch_rewrites_its_object_unchanged_and_the_job_counts_each_order_once() {
    let p = stocked_product(
        &format!("ZZ lake twice {}", uuid::Uuid::new_v4().simple()),
        700,
        "GBP",
        "lon-1",
        5,
    )
    .await;
    let order = paid_order(&[&p]).await;
    let original = archived(&order).await;
    // Lambda delivers the same batch again (a retry after a timeout, say), twice.
    let sequence = format!("9{:020}", ferrocart::time::now_unix_ms());
    let event = json!({"Records": [paid_record(&order, &sequence).await]});
    for _ in 0..2 {
        let r = invoke("OrderArchiverFunction", &event).await;
        assert_eq!(r["batchItemFailures"], json!([]), "{r}");
    }
    let found = archived(&order).await;
    // the stream's own object and the redelivered batch's one, each holding the order once
    assert_eq!(found.len(), 2, "{found:?}");
    let day = original[0].1.day().to_string();
    let key = lake::object_key(PREFIX, &day, &sequence);
    assert!(found.iter().any(|(k, _)| *k == key), "{found:?}");
    assert_eq!(found[0].1, found[1].1, "the same line either way");
    // The job reads both and counts the order once.
    let report = recommend().await;
    assert!(
        report["duplicate_orders"].as_u64().unwrap() >= 1,
        "{report}"
    );
}

#[tokio::test]
async fn a_failed_read_retries_the_batch_until_the_order_is_archived() {
    let p = stocked_product(
        &format!("ZZ lake fault {}", uuid::Uuid::new_v4().simple()),
        800,
        "GBP",
        "lon-1",
        5,
    )
    .await;
    // The archiver's reads of the order's lines fail five times: more than the SDK's own
    // retries, so the batch fails and the poller delivers it again.
    let order = placed(&[&p]).await;
    let id = order.1["order_id"].as_str().unwrap().to_string();
    set_faults(
        &json!({"seed": 7, "rules": [{"target": "dynamodb", "kind": "server_error",
        "op": "Query", "function": "OrderArchiverFunction", "matching": id, "times": 5}]}),
    )
    .await;
    let order = pay(&order).await;
    let found = archived(&order).await;
    let report = faults_off().await;
    assert_eq!(report["injected"][0], 5, "{report}");
    assert_eq!(found.len(), 1, "archived once: {found:?}");
    assert_eq!(found[0].1.lines.len(), 1);
    assert_eq!(found[0].1.lines[0].product_id.as_str(), p);
}

#[tokio::test]
async fn a_poison_record_goes_to_the_dead_letter_queue_with_its_reason() {
    let id = ferrocart::ids::OrderId::generate();
    let pk = ferrocart::keys::order(&id);
    let poison = json!({"Records": [{
        "eventID": "poison-1",
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": {"pk": {"S": pk.pk}, "sk": {"S": pk.sk}},
            "OldImage": {"status": {"S": "pending_payment"}},
            "NewImage": {"pk": {"S": pk.pk}, "sk": {"S": pk.sk}, "status": {"S": "paid"}},
            "SequenceNumber": "1",
        },
    }]});
    let r = invoke("OrderArchiverFunction", &poison).await;
    assert_eq!(r["batchItemFailures"], json!([]), "{r}");
    let letter = stream_dead_letter("ferrocart-orderarchiverdlq", &pk.pk, 20)
        .await
        .expect("the poison record reached the dead-letter queue");
    assert!(
        letter["reason"]
            .as_str()
            .unwrap()
            .starts_with("new image is not an order"),
        "{letter}"
    );
}
