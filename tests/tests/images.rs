//! Product photos end to end: presigned upload into moto's S3, its notification through SQS to the
//! image-resize function, variants in the media bucket (served by the local CDN), the product
//! showing them; duplicates, renamed files, truncated and non-images, bombs, poison messages.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart::ids::{ImageId, ProductId};
use ferrocart::store::catalog::{ImageRecord, ImageStatus};
use ferrocart_tests::*;
use image::ImageFormat;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The local name of template.yaml's UploadBucket.
const UPLOAD_BUCKET: &str = "ferrocart-uploadbucket";

async fn new_product(name: &str) -> String {
    let body = json!({"name": name, "category": "office", "brand": "tern", "price": 999, "currency": "EUR", "status": "active"});
    let r = call(
        "POST",
        "/admin/products",
        Some(&admin_token().await),
        Some(&body),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    r.json["product_id"].as_str().unwrap().to_string()
}

/// Asks for an upload declaring `content_type`, PUTs `bytes` to it; returns the image id.
async fn upload(product: &str, content_type: &str, bytes: Vec<u8>) -> String {
    let body = json!({"content_type": content_type, "content_length": bytes.len()});
    let r = call(
        "POST",
        &format!("/admin/products/{product}/images"),
        Some(&admin_token().await),
        Some(&body),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let up = &r.json["upload"];
    let mut put = client().put(up["url"].as_str().unwrap()).body(bytes);
    for (k, v) in up["headers"].as_object().unwrap() {
        put = put.header(k, v.as_str().unwrap());
    }
    let resp = put.send().await.unwrap();
    assert!(resp.status().is_success(), "upload PUT: {}", resp.status());
    r.json["image_id"].as_str().unwrap().to_string()
}

async fn wait_for_record(product: &str, image: &str) -> ImageRecord {
    let store = store().await;
    let (p, i) = (
        ProductId::parse(product).unwrap(),
        ImageId::parse(image).unwrap(),
    );
    let start = Instant::now();
    loop {
        if let Some(r) = store.get_image_record(&p, &i).await.unwrap() {
            return r;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "image {image} was never processed"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn s3_notification(key: &str, size: usize) -> String {
    let encoded = key.replace('/', "%2F");
    json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": UPLOAD_BUCKET, "arn": format!("arn:aws:s3:::{UPLOAD_BUCKET}")},
               "object": {"key": encoded, "size": size}}}]})
    .to_string()
}

fn sqs_event(bodies: &[(&str, String)]) -> Value {
    json!({"Records": bodies.iter().map(|(id, body)| json!({
        "messageId": id, "receiptHandle": format!("rh-{id}"), "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795291080000",
                       "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1795291080000"},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:ferrocart-imageuploadqueue", "awsRegion": "us-east-1"
    })).collect::<Vec<_>>()})
}

#[tokio::test]
async fn an_upload_becomes_variants_that_the_product_shows() {
    let product = new_product("Photo Probe").await;
    let jpeg = encoded(&photo(1600, 1000), ImageFormat::Jpeg);
    let image = upload(&product, "image/jpeg", jpeg).await;
    let record = wait_for_record(&product, &image).await;
    assert_eq!(record.status, ImageStatus::Ready, "{:?}", record.reason);

    let p = call("GET", &format!("/products/{product}"), None, None).await;
    let images = p.json["images"].as_array().unwrap();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0]["image_id"], image.as_str());
    let variants = images[0]["variants"].as_array().unwrap();
    let shape: Vec<(u64, u64, &str)> = variants
        .iter()
        .map(|v| {
            (
                v["width"].as_u64().unwrap(),
                v["height"].as_u64().unwrap(),
                v["format"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (1200, 750, "webp"),
            (1200, 750, "jpeg"),
            (480, 300, "webp"),
            (480, 300, "jpeg"),
            (160, 100, "webp"),
            (160, 100, "jpeg")
        ]
    );
    // Each variant exists in the media bucket, behind the CDN, with the right size and format.
    for v in variants {
        let resp = client()
            .get(v["url"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{}", v["url"]);
        let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert_eq!(ct, format!("image/{}", v["format"].as_str().unwrap()));
        assert!(
            resp.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        let bytes = resp.bytes().await.unwrap();
        let fmt = image::guess_format(&bytes).unwrap();
        assert_eq!(
            fmt,
            if v["format"] == "jpeg" {
                ImageFormat::Jpeg
            } else {
                ImageFormat::WebP
            }
        );
        if fmt == ImageFormat::Jpeg {
            let img = image::load_from_memory(&bytes).unwrap();
            assert_eq!(
                (img.width() as u64, img.height() as u64),
                (v["width"].as_u64().unwrap(), v["height"].as_u64().unwrap())
            );
        }
    }
    // The listing shows the first image too.
    let l = call(
        "GET",
        "/products?category=office&brand=tern&limit=100",
        None,
        None,
    )
    .await;
    let item = l.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["product_id"] == product.as_str())
        .unwrap()
        .clone();
    assert_eq!(item["image"]["image_id"], image.as_str());

    // The same event again, twice in one batch: nothing new happens, nothing fails.
    let key = format!("uploads/{product}/{image}");
    let event = sqs_event(&[
        ("dup-1", s3_notification(&key, 10)),
        ("dup-2", s3_notification(&key, 10)),
    ]);
    let resp = invoke("image-resize", &event).await;
    assert_eq!(resp, json!({"batchItemFailures": []}));
    let again = call("GET", &format!("/products/{product}"), None, None).await;
    assert_eq!(
        again.json["images"], p.json["images"],
        "one set of variants per uploaded object"
    );
}

#[tokio::test]
async fn the_format_comes_from_the_content_not_the_name() {
    let product = new_product("Renamed PNG").await;
    // PNG bytes declared as image/jpeg (the .jpg-named PNG).
    let png = encoded(&photo(640, 480), ImageFormat::Png);
    let image = upload(&product, "image/jpeg", png).await;
    let record = wait_for_record(&product, &image).await;
    assert_eq!(record.status, ImageStatus::Ready, "{:?}", record.reason);
    assert_eq!(
        record.variants.iter().map(|v| v.width).collect::<Vec<_>>(),
        [480, 480, 160, 160]
    );
}

#[tokio::test]
async fn bad_objects_are_recorded_as_rejected_and_not_retried() {
    let product = new_product("Bad Uploads").await;
    let jpeg = encoded(&photo(800, 600), ImageFormat::Jpeg);
    let truncated = jpeg[..jpeg.len() / 2].to_vec();
    let text = b"This is not an image, whatever its name says.".to_vec();
    // A PNG whose header claims 60000 x 60000 pixels (a decompression bomb).
    let mut bomb = encoded(&photo(1, 1), ImageFormat::Png);
    bomb[16..20].copy_from_slice(&60_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&60_000u32.to_be_bytes());
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    let cases = [
        ("image/jpeg", truncated, "corrupt"),
        ("image/jpeg", text, "not_an_image"),
        ("image/png", bomb, "too_large"),
    ];
    let mut ids = Vec::new();
    for (ct, bytes, _) in &cases {
        ids.push(upload(&product, ct, bytes.clone()).await);
    }
    for ((_, _, code), image) in cases.iter().zip(&ids) {
        let record = wait_for_record(&product, image).await;
        assert_eq!(record.status, ImageStatus::Rejected, "{code}");
        assert!(
            record.reason.as_deref().unwrap().starts_with(code),
            "{code}: {:?}",
            record.reason
        );
        assert!(record.variants.is_empty());
    }
    let p = call("GET", &format!("/products/{product}"), None, None).await;
    assert_eq!(p.json["images"], json!([]));
    // The admin finds them, with why, among the rejected uploads, newest first, page by page.
    let admin = admin_token().await;
    let mut found = Vec::new();
    let mut cursor = String::new();
    let mut last_at = "9999".to_string();
    for _ in 0..100 {
        let r = call(
            "GET",
            &format!("/admin/images?status=rejected&limit=2&cursor={cursor}"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        for item in r.json["items"].as_array().unwrap() {
            assert_eq!(item["status"], "rejected");
            let at = item["processed_at"].as_str().unwrap().to_string();
            assert!(at <= last_at, "newest first: {at} after {last_at}");
            last_at = at;
            if item["product_id"] == product.as_str() {
                found.push(item.clone());
            }
        }
        match r.json["next_cursor"].as_str() {
            Some(c) if found.len() < ids.len() => cursor = c.to_string(),
            _ => break,
        }
    }
    assert_eq!(found.len(), ids.len(), "{found:?}");
    for ((_, _, code), image) in cases.iter().zip(&ids) {
        let item = found
            .iter()
            .find(|i| i["image_id"] == image.as_str())
            .unwrap();
        assert!(item["reason"].as_str().unwrap().starts_with(code), "{item}");
    }
    for (query, status) in [
        ("", 400),
        ("?status=pending", 400),
        ("?status=rejected&cursor=2026-12-02T17:00:00Z_x_y", 422),
    ] {
        let r = call("GET", &format!("/admin/images{query}"), Some(&admin), None).await;
        assert_eq!(r.status, status, "{query}: {:?}", r.json);
    }
    // Delivered again, a rejected object stays rejected and the message succeeds (no retry loop).
    let key = format!("uploads/{product}/{}", ids[0]);
    let resp = invoke(
        "image-resize",
        &sqs_event(&[("again", s3_notification(&key, 10))]),
    )
    .await;
    assert_eq!(resp, json!({"batchItemFailures": []}));
}

#[tokio::test]
async fn an_object_over_the_byte_limit_is_rejected_without_being_read() {
    let product = new_product("Oversized").await;
    let image = ImageId::generate().to_string();
    let key = format!("uploads/{product}/{image}");
    // The event says 16 MiB (over the 15 MiB limit); no object needs to exist for the check.
    let resp = invoke(
        "image-resize",
        &sqs_event(&[("big", s3_notification(&key, 16 * 1024 * 1024))]),
    )
    .await;
    assert_eq!(resp, json!({"batchItemFailures": []}));
    let record = wait_for_record(&product, &image).await;
    assert_eq!(record.status, ImageStatus::Rejected);
    assert!(record.reason.unwrap().starts_with("too_many_bytes"));
}

#[tokio::test]
async fn a_poison_message_fails_alone() {
    let product = new_product("Poison Neighbour").await;
    let image = upload(
        &product,
        "image/png",
        encoded(&photo(300, 300), ImageFormat::Png),
    )
    .await;
    wait_for_record(&product, &image).await;
    let good = s3_notification(&format!("uploads/{product}/{image}"), 10);
    let test_event =
        json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": UPLOAD_BUCKET})
            .to_string();
    let event = sqs_event(&[
        ("ok-1", good),
        ("poison", "{not json at all".to_string()),
        ("test-event", test_event),
        ("empty", json!({"Records": []}).to_string()),
    ]);
    let resp = invoke("image-resize", &event).await;
    assert_eq!(
        resp,
        json!({"batchItemFailures": [{"itemIdentifier": "poison"}, {"itemIdentifier": "empty"}]})
    );
}

/// PNG chunk CRC (so the bomb's header is valid and only its size is wrong).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test]
async fn a_product_takes_at_most_twenty_images() {
    use ferrocart::store::catalog::{ImageVariant, RecordImage};
    let product = new_product("Many Photos").await;
    let store = store().await;
    let pid = ProductId::parse(&product).unwrap();
    for n in 0..20 {
        let image_id = ImageId::generate();
        let k = ferrocart::keys::product_image(&pid, &image_id);
        let record = ImageRecord {
            pk: k.pk,
            sk: k.sk,
            entity: "ProductImage".into(),
            product_id: pid.clone(),
            image_id: image_id.clone(),
            source_key: format!("uploads/{product}/{image_id}"),
            status: ImageStatus::Ready,
            reason: None,
            variants: vec![ImageVariant {
                width: 160,
                height: 120,
                format: "webp".into(),
                key: format!("media/x/{n}.webp"),
                bytes: 1,
            }],
            processed_at: "2026-11-21T19:58:00Z".into(),
        };
        assert_eq!(
            store.record_image(&record).await.unwrap(),
            RecordImage::Recorded
        );
    }
    let body = json!({"content_type": "image/png", "content_length": 100});
    let r = call(
        "POST",
        &format!("/admin/products/{product}/images"),
        Some(&admin_token().await),
        Some(&body),
    )
    .await;
    assert_eq!((r.status, r.code()), (409, "too_many_images"));
    let p = call("GET", &format!("/products/{product}"), None, None).await;
    assert_eq!(p.json["images"].as_array().unwrap().len(), 20);
}
