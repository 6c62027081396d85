//! Search over the demo catalog through the stack as deployed: the table's stream feeds
//! search-indexer, which publishes to S3; `GET /search` and `GET /search/suggest` read it.
//!
//! - Relevance: a fixed list of queries with the products that must come first.
//! - Filters and facets equal to a client-side filter of the whole `GET /products` listing.
//! - A new product is searchable, and an archived one gone, within 10 s of the write.
//! - The indexer: the same records delivered twice change nothing; a poison record (a product
//!   item that is not readable) goes to the dead-letter queue and takes the product out of search,
//!   without holding up the records after it; the rebuild gives the same answers.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart_tests::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The demo catalog's product ids (`seed::catalog::product_id`) all begin so.
const DEMO_ID_PREFIX: &str = "01900000-0000-7000-8000-";
/// The demo catalog has 204 active products.
const ACTIVE_DEMO_PRODUCTS: u64 = 204;
/// The promise: a product change is searchable within this long.
const SEARCHABLE_WITHIN: Duration = Duration::from_secs(10);

async fn search(query: &str) -> Resp {
    call("GET", &format!("/search?{query}"), None, None).await
}

fn names(r: &Resp) -> Vec<String> {
    r.json["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{:?}", r.json))
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect()
}

/// Waits until the index holds what the listing does (the demo catalog arrives through the
/// stream after the seed, at stack start; other tests add products meanwhile).
async fn demo_catalog_indexed() {
    let start = Instant::now();
    loop {
        let listed = all_listed().await.len() as u64;
        let r = search("limit=1").await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        let indexed = r.json["total"].as_u64().unwrap();
        if indexed == listed && indexed >= ACTIVE_DEMO_PRODUCTS {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the catalog was not indexed: {indexed} of {listed}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Polls `query` until `done` holds for its answer, for at most [`SEARCHABLE_WITHIN`] from `since`.
/// The table key of a product's item (`keys::product`), by its id as the API answers it.
fn product_key(id: &str) -> ferrocart::keys::Key {
    ferrocart::keys::product(&ferrocart::ids::ProductId::parse(id).unwrap())
}

async fn within_deadline(since: Instant, query: &str, done: impl Fn(&Resp) -> bool) -> Resp {
    loop {
        let r = search(query).await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        if done(&r) {
            return r;
        }
        assert!(
            since.elapsed() < SEARCHABLE_WITHIN,
            "not searchable within {SEARCHABLE_WITHIN:?}: {query} -> {:?}",
            r.json
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_demo_catalog_is_found_by_name_brand_misspelling_prefix_and_plural() {
    demo_catalog_indexed().await;
    // (query, what must come first)
    for (q, first) in [
        ("studio desk lamp", "Studio Desk Lamp"),
        ("classic watering can", "Classic Watering Can"),
        ("wheelbarow", "Classic Wheelbarrow"), // one letter short
        ("fountian pen", "Classic Fountain Pen"), // two letters swapped
        ("mointor stand", "Classic Monitor Stand"),
        ("fount", "Classic Fountain Pen"), // typed so far
        ("pepper mi", "Classic Pepper Mill"),
    ] {
        let r = search(&format!("q={}", q.replace(' ', "+"))).await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        let got = names(&r);
        // Classic and Studio of a noun score alike; the one asked for by name must lead.
        let lead: Vec<&String> = got.iter().take(2).collect();
        assert!(
            lead.iter().any(|n| *n == first),
            "{q:?}: {first:?} should lead, got {got:?}"
        );
        if q.starts_with("studio") || q.starts_with("classic") {
            assert_eq!(got[0], first, "{q:?}: exact name first, got {got:?}");
        }
    }
    // brand + type: only that brand's kettles, and both words highlighted
    let listing = all_listed().await;
    let brand_of = |name: &str| {
        listing
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["brand"].as_str().unwrap().to_string())
            .unwrap()
    };
    let brand = brand_of("Classic Kettle");
    let r = search(&format!("q={brand}+kettle")).await;
    assert!(
        names(&r).contains(&"Classic Kettle".to_string()),
        "{:?}",
        r.json
    );
    for item in r.json["items"].as_array().unwrap() {
        assert_eq!(item["brand"], brand.as_str(), "{item}");
    }
    // plural and singular find the same products (of the demo catalog: other tests add kettles)
    let (plural, singular) = (
        search("q=kettles&limit=50").await,
        search("q=kettle&limit=50").await,
    );
    let demo_names = |r: &Resp| -> Vec<String> {
        let mut v: Vec<String> = r.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| {
                i["product_id"]
                    .as_str()
                    .unwrap()
                    .starts_with(DEMO_ID_PREFIX)
            })
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(demo_names(&plural), ["Classic Kettle", "Studio Kettle"]);
    assert_eq!(demo_names(&plural), demo_names(&singular));
    assert_eq!(names(&plural).len(), names(&singular).len());
    let hit = &singular.json["items"][0];
    assert!(
        hit["highlights"]["name"]
            .as_str()
            .unwrap()
            .contains("<b>Kettle</b>"),
        "{hit:?}"
    );
    // drafts are never found (the demo catalog's drafts are every 52nd product: Studio Seed Tray)
    let r = search("q=seed+tray").await;
    assert_eq!(names(&r), ["Classic Seed Tray"]);
    // suggestions: categories, then products
    let s = call("GET", "/search/suggest?q=kett", None, None).await;
    assert_eq!(s.status, 200, "{:?}", s.json);
    assert_eq!(s.json["suggestions"][0]["type"], "category", "{:?}", s.json);
    assert_eq!(
        s.json["suggestions"][0]["category"], "kitchen",
        "{:?}",
        s.json
    );
    assert!(s.json["suggestions"][0]["count"].as_u64().unwrap() >= 2);
    let products: Vec<&str> = s.json["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["type"] == "product")
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert!(
        products.contains(&"Classic Kettle") && products.contains(&"Studio Kettle"),
        "{:?}",
        s.json
    );
}

/// Every product of the public listing, page by page.
async fn all_listed() -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = call(
            "GET",
            &format!("/products?limit=100&cursor={cursor}"),
            None,
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        out.extend(r.json["items"].as_array().unwrap().iter().cloned());
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => return out,
        }
    }
}

/// Every item of a search, page by page, with the facets (the same on every page, unless the
/// index changed while paging: then `Err`).
async fn all_found(query: &str, limit: usize) -> Result<(Vec<Value>, Value), String> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    let mut facets = Value::Null;
    loop {
        let r = search(&format!("{query}&limit={limit}&cursor={cursor}")).await;
        assert_eq!(r.status, 200, "{query}: {:?}", r.json);
        if facets.is_null() {
            facets = r.json["facets"].clone();
        }
        if r.json["facets"] != facets {
            return Err(format!("{query}: the facets changed while paging"));
        }
        out.extend(r.json["items"].as_array().unwrap().iter().cloned());
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => return Ok((out, facets)),
        }
    }
}

fn counts(items: &[&Value], key: &str) -> Value {
    let mut m: BTreeMap<String, u64> = BTreeMap::new();
    for p in items {
        *m.entry(p[key].as_str().unwrap().to_string()).or_default() += 1;
    }
    let mut v: Vec<(String, u64)> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Value::Array(
        v.into_iter()
            .map(|(value, count)| json!({"value": value, "count": count}))
            .collect(),
    )
}

/// One filter set's comparison: the search's items and facets against the listing's, or why not.
async fn compare(
    listing: &[Value],
    (category, brand, min, max, in_stock): (
        Option<&str>,
        Option<&str>,
        Option<u64>,
        Option<u64>,
        bool,
    ),
) -> Result<(), String> {
    let price = |p: &Value| p["price"].as_u64().unwrap();
    let mut query = String::from("q=");
    for (k, v) in [("category", category), ("brand", brand)] {
        if let Some(v) = v {
            query.push_str(&format!("&{k}={v}"));
        }
    }
    for (k, v) in [("min_price", min), ("max_price", max)] {
        if let Some(v) = v {
            query.push_str(&format!("&{k}={v}"));
        }
    }
    if in_stock {
        query.push_str("&in_stock=true");
    }
    query.push_str("&sort=price_asc");
    let (found, facets) = all_found(&query, 37).await?;
    let ok_cat = |p: &Value| category.is_none_or(|c| p["category"] == c);
    let ok_brand = |p: &Value| brand.is_none_or(|b| p["brand"] == b);
    let ok_price =
        |p: &Value| min.is_none_or(|m| price(p) >= m) && max.is_none_or(|m| price(p) <= m);
    let ok_stock = |p: &Value| !in_stock || p["availability"] != "out_of_stock";
    let ids = |v: &mut dyn Iterator<Item = &Value>| {
        let mut ids: Vec<String> = v
            .map(|p| p["product_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let want = ids(&mut listing
        .iter()
        .filter(|p| ok_cat(p) && ok_brand(p) && ok_price(p) && ok_stock(p)));
    if ids(&mut found.iter()) != want {
        return Err(format!("{query}: items differ"));
    }
    let prices: Vec<u64> = found.iter().map(price).collect();
    assert!(
        prices.windows(2).all(|w| w[0] <= w[1]),
        "{query}: {prices:?}"
    );
    let facet = |key: &str, pred: &dyn Fn(&Value) -> bool| {
        counts(&listing.iter().filter(|p| pred(p)).collect::<Vec<_>>(), key)
    };
    let brands = facet("brand", &|p| ok_cat(p) && ok_price(p) && ok_stock(p));
    let categories = facet("category", &|p| ok_brand(p) && ok_price(p) && ok_stock(p));
    if facets["brands"] != brands || facets["categories"] != categories {
        return Err(format!(
            "{query}: facets {facets} differ from brands {brands} categories {categories}"
        ));
    }
    let banded: Vec<&Value> = listing
        .iter()
        .filter(|p| ok_cat(p) && ok_brand(p) && ok_stock(p))
        .collect();
    for band in facets["price_bands"].as_array().unwrap() {
        let (lo, hi) = (band["min"].as_u64().unwrap(), band["max"].as_u64());
        let n = banded
            .iter()
            .filter(|p| price(p) >= lo && hi.is_none_or(|h| price(p) < h))
            .count() as u64;
        if band["count"] != n {
            return Err(format!("{query}: band {band} is {n} in the listing"));
        }
    }
    let in_bands: u64 = facets["price_bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    if in_bands != banded.len() as u64 {
        return Err(format!(
            "{query}: bands hold {in_bands} of {}",
            banded.len()
        ));
    }
    Ok(())
}

#[tokio::test]
async fn filters_and_facets_equal_a_client_side_filter_of_the_whole_listing() {
    demo_catalog_indexed().await;
    for filters in [
        (None, None, None, None, false),
        (Some("kitchen"), None, None, None, false),
        (Some("garden"), Some("tern"), None, None, false),
        (None, Some("fjord"), Some(5_000u64), None, true),
        (None, None, Some(2_500), Some(10_000), true),
        (Some("office"), None, None, Some(7_500), false),
    ] {
        // Other tests in this binary add products meanwhile: the index follows the listing
        // within seconds, so the two must agree within the promise's deadline.
        let start = Instant::now();
        loop {
            let listing = all_listed().await;
            match compare(&listing, filters).await {
                Ok(()) => break,
                Err(e) if start.elapsed() < SEARCHABLE_WITHIN => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
}

/// A word no product has: letters only, so it is one token, and unique to this run.
fn unique_word(tag: &str) -> String {
    let letters: String = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .chars()
        .take(10)
        .map(|c| (b'a' + (c.to_digit(16).unwrap() as u8)) as char)
        .collect();
    format!("zz{tag}{letters}")
}

async fn new_product(name: &str) -> String {
    let admin = admin_token().await;
    let r = call(
        "POST",
        "/admin/products",
        Some(&admin),
        Some(&json!({"name": name, "description": "A product of the search tests.", "category": "garden", "brand": "tern", "price": 1234, "currency": "EUR", "status": "active"})),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    r.json["product_id"].as_str().unwrap().to_string()
}

async fn patch_product(id: &str, body: Value) {
    let admin = admin_token().await;
    let r = call(
        "PATCH",
        &format!("/admin/products/{id}"),
        Some(&admin),
        Some(&body),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
}

fn total(r: &Resp) -> u64 {
    r.json["total"].as_u64().unwrap()
}

#[tokio::test]
async fn a_change_is_searchable_within_10_s_and_an_archived_product_disappears() {
    demo_catalog_indexed().await;
    let word = unique_word("new");
    let since = Instant::now();
    let id = new_product(&format!("ZZ {word} Lantern")).await;
    let r = within_deadline(since, &format!("q={word}"), |r| total(r) == 1).await;
    assert_eq!(r.json["items"][0]["product_id"], id.as_str());
    // a misspelling of it too (one edit in a word of 5+ letters)
    let typo = format!("{}x{}", &word[..6], &word[7..]);
    within_deadline(since, &format!("q={typo}"), |r| total(r) == 1).await;
    // renamed: found by the new name, not the old
    let renamed = unique_word("renamed");
    let since = Instant::now();
    patch_product(&id, json!({"name": format!("ZZ {renamed} Lantern")})).await;
    within_deadline(since, &format!("q={renamed}"), |r| total(r) == 1).await;
    // (each warm sandbox of search refreshes on its own, so the old name may linger in one for
    // a moment: within the same deadline)
    within_deadline(since, &format!("q={word}"), |r| total(r) == 0).await;
    // archived: gone
    let since = Instant::now();
    patch_product(&id, json!({"status": "archived"})).await;
    within_deadline(since, &format!("q={renamed}"), |r| total(r) == 0).await;
    // answers are cacheable, and revalidate with their ETag (a query whose answer no other test
    // changes: warm sandboxes may hold different versions of the index for a moment)
    let stable = format!("{}/search?q=classic+kettle", api_url());
    let r = client().get(&stable).send().await.unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=10")
    );
    let again = client()
        .get(&stable)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}

/// A DynamoDB stream record of a product item, as Lambda delivers it, with this new image.
fn stream_event(seq: &str, new_image: &Value, old_image: Option<&Value>) -> Value {
    let mut dynamodb = json!({
        "Keys": {"pk": new_image["pk"], "sk": new_image["sk"]},
        "NewImage": new_image,
        "SequenceNumber": seq,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    });
    if let Some(old) = old_image {
        dynamodb["OldImage"] = old.clone();
    }
    json!({"Records": [{
        "eventID": uuid::Uuid::new_v4().to_string(),
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": dynamodb,
    }]})
}

async fn product_image(id: &str) -> Value {
    let item = ddb()
        .await
        .get_item()
        .table_name(table_name())
        .set_key(Some(ferrocart::store::key_item(&product_key(id))))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let item: serde_dynamo::Item = item.into();
    serde_json::to_value(&item).unwrap()
}

async fn ddb() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&ferrocart::settings::sdk_config().await)
}

#[tokio::test]
async fn the_indexer_is_safe_twice_and_sets_a_poison_record_aside_without_stopping() {
    demo_catalog_indexed().await;
    let word = unique_word("twice");
    let since = Instant::now();
    let id = new_product(&format!("ZZ {word} Planter")).await;
    within_deadline(since, &format!("q={word}"), |r| total(r) == 1).await;

    // A rename, whose record is then delivered again, twice (as a retried batch would be):
    // still one document, the renamed one. (A fake record would not do: a rebuild running
    // meanwhile indexes the table as it is.)
    let old = product_image(&id).await;
    let other = unique_word("again");
    patch_product(&id, json!({"name": format!("ZZ {other} Planter")})).await;
    let new = product_image(&id).await;
    let event = stream_event("900000000000000000001", &new, Some(&old));
    for _ in 0..2 {
        let out = invoke("SearchIndexerFunction", &event).await;
        assert_eq!(out, json!({"batchItemFailures": []}));
    }
    let since = Instant::now();
    let r = within_deadline(since, &format!("q={other}"), |r| total(r) == 1).await;
    assert_eq!(r.json["items"][0]["product_id"], id.as_str());
    within_deadline(since, &format!("q={word}"), |r| total(r) == 0).await;
    // and the index holds it once, however many deliveries (every warm sandbox, once refreshed)
    for _ in 0..10 {
        let r = within_deadline(since, &format!("q={other}+planter"), |r| total(r) >= 1).await;
        assert_eq!(total(&r), 1, "{:?}", r.json);
    }

    // A poison through the real stream: the product's item made unreadable (a price that is not
    // a number) and out of the listings' indexes, so only search sees it.
    let client = ddb().await;
    let mut bad = aws_sdk_dynamodb::Client::get_item(&client)
        .table_name(table_name())
        .set_key(Some(ferrocart::store::key_item(&product_key(&id))))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    bad.insert(
        "price".into(),
        aws_sdk_dynamodb::types::AttributeValue::S("lots".into()),
    );
    for k in ["gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk"] {
        bad.remove(k);
    }
    client
        .put_item()
        .table_name(table_name())
        .set_item(Some(bad))
        .send()
        .await
        .unwrap();
    // ... and a good change right after it, which must not be held up.
    let after = unique_word("after");
    let since = Instant::now();
    let next = new_product(&format!("ZZ {after} Planter")).await;
    within_deadline(since, &format!("q={after}"), |r| total(r) == 1).await;
    within_deadline(since, &format!("q={other}"), |r| total(r) == 0).await;

    let found = stream_dead_letter("ferrocart-searchindexerdlq", &product_key(&id).pk, 20).await;
    let body = found.expect("the poison record reached the dead-letter queue");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .starts_with("new image is not a product: price:"),
        "{body}"
    );
    // The item is put right again (deleted), for the tests that read the catalog after this one.
    client
        .delete_item()
        .table_name(table_name())
        .set_key(Some(ferrocart::store::key_item(&product_key(&id))))
        .send()
        .await
        .unwrap();
    patch_product(&next, json!({"status": "archived"})).await;
}

#[tokio::test]
async fn the_rebuild_indexes_every_active_product_and_answers_alike() {
    demo_catalog_indexed().await;
    let before = search("q=classic+kettle").await;
    let report = invoke("SearchIndexerFunction", &json!({"rebuild": true})).await;
    assert_eq!(report["rebuilt"], true, "{report}");
    let listed = all_listed().await.len() as u64;
    // Other tests may add or archive a product meanwhile: the rebuild saw the listing of its moment.
    let products = report["products"].as_u64().unwrap();
    assert!(
        products.abs_diff(listed) <= 3,
        "{products} rebuilt, {listed} listed"
    );
    let since = Instant::now();
    within_deadline(since, "q=classic+kettle", |r| {
        r.json["items"] == before.json["items"]
    })
    .await;
}

/// The publication protocol against S3 itself (moto enforces S3's conditional writes), under a
/// prefix of this test's own: a second writer starting from a stale pointer is refused, not
/// allowed to overwrite; a reader follows the versions; retired files outlive one publication.
#[tokio::test]
async fn a_stale_writer_cannot_overwrite_the_index_and_readers_follow_each_version() {
    use ferrocart_search::live::LiveIndex;
    use ferrocart_search::publish::IndexStore;
    use ferrocart_search::{Catalog, Change, Language, SearchDoc, SearchError};

    let s3 = s3_client().await;
    let bucket = "ferrocart-searchindexbucket".to_string();
    let prefix = format!("test-{}/", uuid::Uuid::new_v4().simple());
    let store = IndexStore::new(s3.clone(), bucket.clone(), prefix.clone());
    let dir = std::env::temp_dir().join(format!("publish-{}", uuid::Uuid::new_v4().simple()));
    let mut catalog = Catalog::create(&dir, Language::English).unwrap();
    let product = |name: &str| {
        let mut p = ferrocart::store::catalog::ProductItem::new(
            ferrocart::ids::ProductId::derived(name),
            ferrocart::store::catalog::NewProduct {
                name: name.into(),
                description: String::new(),
                category: "garden".into(),
                brand: "tern".into(),
                price: 100,
                currency: "EUR".into(),
                weight_grams: 0,
                tax_class: Default::default(),
                status: ferrocart::store::catalog::ProductStatus::Active,
            },
            1_800_000_000,
        );
        p.stock_available = 3;
        p
    };
    let add = |catalog: &mut Catalog, name: &str| {
        let p = product(name);
        let doc = SearchDoc::of(&p).unwrap();
        catalog
            .apply(&[(p.product_id.clone(), Change::Upsert(Box::new(doc)))])
            .unwrap();
    };
    add(&mut catalog, "Publication Alpha");
    let v1 = store
        .publish(&catalog.index, &dir, "en", None, 1)
        .await
        .unwrap();
    assert_eq!(v1.pointer.version, 1);
    // a second "first" publication is refused
    let again = store.publish(&catalog.index, &dir, "en", None, 2).await;
    assert!(matches!(again, Err(SearchError::Superseded)), "{again:?}");

    let reader_root =
        std::env::temp_dir().join(format!("reader-{}", uuid::Uuid::new_v4().simple()));
    let live = LiveIndex::new(store.clone(), reader_root, Duration::ZERO);
    assert_eq!(live.current().await.unwrap().version(), 1);

    add(&mut catalog, "Publication Beta");
    let v2 = store
        .publish(&catalog.index, &dir, "en", Some(&v1), 3)
        .await
        .unwrap();
    assert_eq!(v2.pointer.version, 2);
    // a writer still holding v1 cannot publish over v2
    let stale = store
        .publish(&catalog.index, &dir, "en", Some(&v1), 4)
        .await;
    assert!(matches!(stale, Err(SearchError::Superseded)), "{stale:?}");

    let loaded = live.current().await.unwrap();
    assert_eq!(loaded.version(), 2);
    assert_eq!(loaded.catalog.len(), 2);

    // v2 retired v1's segment files that merges replaced (if any); they go only with v3
    add(&mut catalog, "Publication Gamma");
    let v3 = store
        .publish(&catalog.index, &dir, "en", Some(&v2), 5)
        .await
        .unwrap();
    let listed: Vec<String> = s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix(format!("{prefix}files/"))
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(|k| k.rsplit('/').next().unwrap().to_string()))
        .collect();
    for f in &v3.pointer.files {
        assert!(listed.contains(f), "{f} of v3 is on S3");
    }
    for f in &v3.pointer.retired {
        assert!(
            listed.contains(f),
            "{f}, retired by v3, is kept for v2's readers"
        );
    }
    for f in v2
        .pointer
        .retired
        .iter()
        .filter(|f| !v3.pointer.files.contains(f))
    {
        assert!(!listed.contains(f), "{f}, retired by v2, is deleted by v3");
    }
    assert_eq!(live.current().await.unwrap().catalog.len(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}
