//! Helpers for the integration tests in `tests/tests/`. They talk to the local stack the way a
//! frontend would (HTTP on 127.0.0.1:3000), or to its Lambda invoke API with raw events.
//! Start the stack with the tests: `make test` (see README.md).

pub mod journey;

use serde_json::{Value, json};
use std::path::PathBuf;

pub fn api_url() -> String {
    std::env::var("FERROCART_API_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into())
}

pub fn lambda_url() -> String {
    std::env::var("FERROCART_LAMBDA_URL").unwrap_or_else(|_| "http://127.0.0.1:9001".into())
}

/// The local stack's secret values (`infra/local-secrets.json`, by template logical id), which
/// it stores in its Secrets Manager and the functions read from there.
pub fn local_secrets() -> serde_json::Value {
    let path = repo_root().join("infra/local-secrets.json");
    let text = std::fs::read_to_string(&path).expect("infra/local-secrets.json is readable");
    serde_json::from_str(&text).expect("infra/local-secrets.json is JSON")
}

/// The Stripe webhook signing secret the local payment-webhook function verifies with.
pub fn local_webhook_secret() -> String {
    local_secrets()["StripeWebhookSecret"]["STRIPE_WEBHOOK_SECRET"]
        .as_str()
        .expect("StripeWebhookSecret.STRIPE_WEBHOOK_SECRET in infra/local-secrets.json")
        .to_string()
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

pub fn client() -> reqwest::Client {
    // reqwest is built without a bundled crypto provider (see shared/Cargo.toml); use ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("http client")
}

pub fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// A response with its body parsed as JSON (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
}

impl Resp {
    pub async fn from(r: reqwest::Response) -> Self {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.unwrap_or_default();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            json,
        }
    }

    /// The stable error code of an error body.
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }

    pub fn field(&self) -> Option<&str> {
        self.json["error"]["field"].as_str()
    }
}

fn unreachable(e: reqwest::Error) -> ! {
    panic!(
        "local stack not reachable at {} ({e}); run the tests with `make test`",
        api_url()
    )
}

pub async fn send(req: reqwest::RequestBuilder) -> Resp {
    match req.send().await {
        Ok(r) => Resp::from(r).await,
        Err(e) => unreachable(e),
    }
}

pub async fn post_json(path: &str, body: &Value) -> Resp {
    send(client().post(format!("{}{path}", api_url())).json(body)).await
}

pub async fn get_auth(path: &str, token: &str) -> Resp {
    send(
        client()
            .get(format!("{}{path}", api_url()))
            .bearer_auth(token),
    )
    .await
}

pub async fn register(email: &str, password: &str) -> Resp {
    post_json(
        "/auth/register",
        &serde_json::json!({"email": email, "password": password}),
    )
    .await
}

pub async fn login(email: &str, password: &str) -> Resp {
    post_json(
        "/auth/login",
        &serde_json::json!({"email": email, "password": password}),
    )
    .await
}

/// Registers a fresh customer and logs in; returns (email, password, token pair).
pub async fn new_customer(tag: &str) -> (String, String, Value) {
    let email = unique_email(tag);
    let password = "correct horse battery".to_string();
    let r = register(&email, &password).await;
    assert_eq!(r.status, 202, "register: {:?}", r.json);
    let l = login(&email, &password).await;
    assert_eq!(l.status, 200, "login: {:?}", l.json);
    (email, password, l.json)
}

/// Invokes a function by name with a raw event through the local Lambda invoke API.
pub async fn invoke(function: &str, event: &Value) -> Value {
    let url = format!(
        "{}/2015-03-31/functions/{function}/invocations",
        lambda_url()
    );
    let r = match client().post(url).json(event).send().await {
        Ok(r) => r,
        Err(e) => unreachable(e),
    };
    assert!(
        r.headers().get("x-amz-function-error").is_none(),
        "{function} failed: {:?}",
        r.text().await
    );
    r.json().await.expect("function response is JSON")
}

/// Waits out the last seconds of a fixed login-throttle window (900 s, the template's default),
/// so a test that counts attempts never straddles two windows.
pub async fn avoid_throttle_window_edge() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let left = 900 - now % 900;
    if left < 20 {
        tokio::time::sleep(std::time::Duration::from_secs(left + 1)).await;
    }
}

/// An admin access token (the seeded demo admin), logged in once per test binary.
pub async fn admin_token() -> String {
    static TOKEN: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TOKEN
        .get_or_init(|| async {
            let r = login("admin@ferrocart.local", "ferrocart-admin-demo").await;
            assert_eq!(r.status, 200, "seeded admin login: {:?}", r.json);
            r.json["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .await
        .clone()
}

/// Sends `method path` with a bearer token and an optional JSON body.
pub async fn call(method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Resp {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = client().request(method, format!("{}{path}", api_url()));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    send(req).await
}

/// The local stack's table name (`ferrocart run` sets `FERROCART_TABLE`).
pub fn table_name() -> String {
    std::env::var("FERROCART_TABLE").unwrap_or_else(|_| "ferrocart-table".into())
}

/// The table the local stack uses, for assertions on what was (or was not) written.
pub async fn store() -> ferrocart::store::Store {
    let conf = ferrocart::settings::sdk_config().await;
    ferrocart::store::Store::new(aws_sdk_dynamodb::Client::new(&conf), table_name())
}

/// A photo-like RGB image (gradients plus deterministic noise) so encoders do real work.
pub fn photo(w: u32, h: u32) -> image::RgbImage {
    let mut seed = 0x2545_F491u32;
    image::RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let n = seed & 31;
        image::Rgb([
            ((x * 255 / w.max(1)) + n).min(255) as u8,
            ((y * 255 / h.max(1)) + n).min(255) as u8,
            (((x + y) * 127 / (w + h).max(1)) + n).min(255) as u8,
        ])
    })
}

/// Encodes an image in `format` (JPEG or PNG).
pub fn encoded(img: &image::RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

/// A JSON document from the local stack's control API (`path` under port 9001).
pub async fn control_json(path: &str) -> Value {
    client()
        .get(format!("{}{path}", lambda_url()))
        .send()
        .await
        .expect("control API")
        .json()
        .await
        .expect("JSON")
}

/// Every CloudWatch EMF document the local functions have printed (with `"function"` added).
pub async fn emitted_metrics() -> Vec<Value> {
    control_json("/__local/metrics")
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The bodies of the messages the local functions sent to `queue` (from the local meter's log).
pub async fn sent_messages(queue: &str) -> Vec<Value> {
    let v = control_json("/__local/meter/sent").await;
    v.as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["queue"] == queue)
        .filter_map(|m| serde_json::from_str(m["body"].as_str()?).ok())
        .collect()
}

/// An email the local SES (moto) accepted.
#[derive(Debug, Clone)]
pub struct SentEmail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    /// The HTML body (moto keeps one body; with both parts it keeps the HTML one).
    pub body: String,
}

/// Every email accepted by the local SES so far.
pub async fn sent_emails() -> Vec<SentEmail> {
    // moto builds the dump by walking every backend; while another function writes to S3 (the
    // search indexer publishing) that walk can fail with a 500. Such a dump is asked for again.
    let mut v = Value::Null;
    for attempt in 0..10 {
        let r = client()
            .get("http://127.0.0.1:4566/moto-api/data.json")
            .send()
            .await
            .expect("moto");
        let status = r.status();
        let text = r.text().await.expect("moto's dump");
        match serde_json::from_str::<Value>(&text) {
            Ok(json) if status.is_success() => {
                v = json;
                break;
            }
            _ if attempt < 9 => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
            other => panic!(
                "moto's dump ({status}): {other:?}: {}",
                &text[..text.len().min(300)]
            ),
        }
    }
    // moto's dump: `ses.Message` is a list of every message accepted, oldest first.
    v["ses"]["Message"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| SentEmail {
            from: m["source"].as_str().unwrap_or_default().into(),
            to: m["destinations"]["ToAddresses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect(),
            subject: m["subject"].as_str().unwrap_or_default().into(),
            body: m["body"].as_str().unwrap_or_default().into(),
        })
        .collect()
}

/// Whether an email is one of the account emails (verification, reset, "account exists") rather
/// than one about an order.
pub fn is_account_email(e: &SentEmail) -> bool {
    [
        "confirm your email address",
        "reset your password",
        "you already have an account",
    ]
    .iter()
    .any(|s| e.subject.ends_with(s))
}

/// Order emails to `to`, waiting up to `secs` for at least `at_least` of them.
pub async fn emails_to(to: &str, at_least: usize, secs: u64) -> Vec<SentEmail> {
    let start = std::time::Instant::now();
    loop {
        let mine: Vec<SentEmail> = sent_emails()
            .await
            .into_iter()
            .filter(|e| e.to.iter().any(|t| t == to) && !is_account_email(e))
            .collect();
        if mine.len() >= at_least || start.elapsed().as_secs() >= secs {
            return mine;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Account emails to `to` whose subject ends with `subject_end`, waiting up to `secs` for at least
/// `at_least` of them.
pub async fn account_emails_to(
    to: &str,
    subject_end: &str,
    at_least: usize,
    secs: u64,
) -> Vec<SentEmail> {
    let start = std::time::Instant::now();
    loop {
        let mine: Vec<SentEmail> = sent_emails()
            .await
            .into_iter()
            .filter(|e| e.to.iter().any(|t| t == to) && e.subject.ends_with(subject_end))
            .collect();
        if mine.len() >= at_least || start.elapsed().as_secs() >= secs {
            return mine;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// The code in an account email ("Or use this code in the shop: <43 characters>").
pub fn code_in(mail: &SentEmail) -> String {
    let marker = "use this code in the shop: ";
    let at = mail.body.find(marker).expect("a code in the email") + marker.len();
    mail.body[at..at + 43].to_string()
}

/// Waits for the `n`th email to `to` whose subject ends with `subject_end`; its code.
pub async fn nth_code(to: &str, subject_end: &str, n: usize) -> String {
    let mails = account_emails_to(to, subject_end, n, 30).await;
    assert!(
        mails.len() >= n,
        "{n} emails '{subject_end}' to {to}: {}",
        mails.len()
    );
    code_in(&mails[n - 1])
}

/// `GET /orders/{id}` as its owner, polled until `pred` holds (panics after `secs`).
pub async fn wait_for_order(
    token: &str,
    order_id: &str,
    secs: u64,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let start = std::time::Instant::now();
    loop {
        let r = call("GET", &format!("/orders/{order_id}"), Some(token), None).await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        if pred(&r.json) {
            return r.json;
        }
        assert!(
            start.elapsed().as_secs() < secs,
            "order never got there: {:?}",
            r.json
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The statuses an order went through, oldest first.
pub fn status_history(view: &Value) -> Vec<String> {
    view["status_history"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["status"].as_str().map(str::to_string))
        .collect()
}

/// Pays a PaymentIntent at the local Stripe stand-in as Stripe.js would (what `ferrocart pay`
/// does); the HTTP status of the confirmation (200 paid, 402 declined).
pub async fn pay_at_stripe_fake(pi: &str, card: &str) -> u16 {
    let (base, key) = (STRIPE_FAKE, STRIPE_FAKE_KEY);
    let pm: Value = client()
        .post(format!("{base}/v1/payment_methods"))
        .basic_auth(key, None::<&str>)
        .form(&[
            ("type", "card"),
            ("card[number]", card),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2034"),
            ("card[cvc]", "123"),
        ])
        .send()
        .await
        .expect("stripe fake")
        .json()
        .await
        .expect("JSON");
    let attached = client()
        .post(format!("{base}/v1/payment_intents/{pi}"))
        .basic_auth(key, None::<&str>)
        .form(&[("payment_method", pm["id"].as_str().unwrap_or_default())])
        .send()
        .await
        .expect("stripe fake");
    assert!(attached.status().is_success());
    client()
        .post(format!("{base}/v1/payment_intents/{pi}/confirm"))
        .basic_auth(key, None::<&str>)
        .send()
        .await
        .expect("stripe fake")
        .status()
        .as_u16()
}

/// A placed (unpaid) order of a fresh customer: (email, token, order id).
/// (Named to sort after the demo catalog, so the journey's first page is not disturbed.)
pub async fn unpaid_order(tag: &str) -> (String, String, String) {
    let (email, t, checkout) = placed_order(tag).await;
    (
        email,
        t,
        checkout["order_id"]
            .as_str()
            .expect("test setup")
            .to_string(),
    )
}

/// As [`unpaid_order`], with the whole checkout answer (payment intent, total, currency).
pub async fn placed_order(tag: &str) -> (String, String, Value) {
    let (email, t, _) = shopper_with_cart(tag, 990).await;
    let r = checkout(&t, &format!("k-{}", uuid::Uuid::new_v4())).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    (email, t, r.json)
}

/// A fresh active product (category kitchen, brand tern) at `price` in `currency`, with `stock`
/// units in `warehouse`: its id.
pub async fn stocked_product(
    name: &str,
    price: i64,
    currency: &str,
    warehouse: &str,
    stock: i64,
) -> String {
    let admin = admin_token().await;
    let r = call("POST", "/admin/products", Some(&admin), Some(&json!({"name": name, "category": "kitchen", "brand": "tern", "price": price, "currency": currency, "status": "active"}))).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let id = r.json["product_id"]
        .as_str()
        .expect("test setup")
        .to_string();
    let r = call(
        "PUT",
        &format!("/admin/products/{id}/stock"),
        Some(&admin),
        Some(&json!({"warehouses": [{"warehouse_id": warehouse, "quantity": stock}]})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    id
}

/// A fresh customer with one unit of a fresh product (this price in GBP, 5 in stock) in the
/// cart: (email, token, product id).
pub async fn shopper_with_cart(tag: &str, price: i64) -> (String, String, String) {
    let id = stocked_product(&format!("ZZ pipeline {tag}"), price, "GBP", "lon-1", 5).await;
    let (email, _, pair) = new_customer(tag).await;
    let t = pair["access_token"]
        .as_str()
        .expect("test setup")
        .to_string();
    let r = call(
        "POST",
        "/cart/items",
        Some(&t),
        Some(&json!({"product_id": id, "quantity": 1})),
    )
    .await;
    assert_eq!(r.status, 200);
    (email, t, id)
}

/// `POST /checkout` with this Idempotency-Key, to a British address.
pub async fn checkout(token: &str, key: &str) -> Resp {
    send(
        client()
            .post(format!("{}/checkout", api_url()))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(
                &json!({"shipping_address": {"name": "Alan Turing", "line1": "Bletchley Park",
                "city": "Milton Keynes", "postal_code": "MK3 6EB", "country": "GB"}}),
            ),
    )
    .await
}

/// An SQS event as Lambda's poller hands it to a consumer: one record per (message id, body),
/// received once, from the named queue.
pub fn sqs_event(queue: &str, records: &[(&str, &str)]) -> Value {
    json!({"Records": records.iter().map(|(id, body)| json!({
        "messageId": id, "receiptHandle": format!("rh-{id}"), "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795291080000",
                       "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1795291080001"},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": format!("arn:aws:sqs:us-east-1:123456789012:{queue}"), "awsRegion": "us-east-1"
    })).collect::<Vec<_>>()})
}

/// An SQS client on the local stack's endpoints.
/// An S3 client for the local stack's S3 (moto, path-style).
pub async fn s3_client() -> aws_sdk_s3::Client {
    let conf = ferrocart::settings::sdk_config().await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    )
}

pub async fn sqs_client() -> aws_sdk_sqs::Client {
    let conf = ferrocart::settings::sdk_config().await;
    aws_sdk_sqs::Client::new(&conf)
}

/// The URL of one of the template's queues, by its local name (`ferrocart-<logical id>`).
pub async fn queue_url(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    sqs.get_queue_url()
        .queue_name(name)
        .send()
        .await
        .expect("queue exists on the local stack")
        .queue_url
        .expect("queue URL")
}

/// Reads a dead-letter queue for up to `secs` until a message with body `until` has arrived; the
/// messages whose bodies are in `ours` are deleted (other tests' stay). Every body seen, in order.
pub async fn dead_letters(
    sqs: &aws_sdk_sqs::Client,
    dlq: &str,
    ours: &[&str],
    until: &str,
    secs: u64,
) -> Vec<String> {
    let start = std::time::Instant::now();
    let mut seen: Vec<String> = Vec::new();
    while start.elapsed().as_secs() < secs && !seen.iter().any(|b| b == until) {
        let out = sqs
            .receive_message()
            .queue_url(dlq)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive from the DLQ");
        for m in out.messages.unwrap_or_default() {
            let body = m.body().unwrap_or_default().to_string();
            if ours.contains(&body.as_str())
                && let Some(handle) = m.receipt_handle()
            {
                sqs.delete_message()
                    .queue_url(dlq)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("delete from the DLQ");
            }
            seen.push(body);
        }
    }
    seen
}

/// Reads a stream consumer's dead-letter queue for up to `secs` until the letter (`{"reason",
/// "record"}`) of a record whose partition key is `pk` arrives; deletes and returns it.
pub async fn stream_dead_letter(queue: &str, pk: &str, secs: u64) -> Option<Value> {
    let sqs = sqs_client().await;
    let dlq = queue_url(&sqs, queue).await;
    let start = std::time::Instant::now();
    while start.elapsed().as_secs() < secs {
        let out = sqs
            .receive_message()
            .queue_url(&dlq)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive from the DLQ");
        for m in out.messages.unwrap_or_default() {
            let body: Value =
                serde_json::from_str(m.body().unwrap_or_default()).unwrap_or_default();
            if body["record"]["dynamodb"]["Keys"]["pk"]["S"] == pk
                && let Some(handle) = m.receipt_handle()
            {
                sqs.delete_message()
                    .queue_url(&dlq)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("delete from the DLQ");
                return Some(body);
            }
        }
    }
    None
}

// Stripe webhook events, signed with the local endpoint secret.

/// Posts a body to the payment webhook with this `Stripe-Signature` header (or none).
pub async fn deliver(body: &str, header: Option<String>) -> Resp {
    let mut req = client()
        .post(format!("{}/payments/webhook", api_url()))
        .header("content-type", "application/json; charset=utf-8")
        .body(body.to_string());
    if let Some(h) = header {
        req = req.header("stripe-signature", h);
    }
    send(req).await
}

/// Posts a body to the payment webhook, correctly signed.
pub async fn deliver_signed(body: &str) -> Resp {
    deliver(
        body,
        Some(ferrocart::payments::signature::sign(
            body.as_bytes(),
            local_webhook_secret().as_bytes(),
            ferrocart::time::now_unix(),
        )),
    )
    .await
}

/// A Stripe event of this type about `object`.
pub fn event(id: &str, kind: &str, object: Value) -> String {
    json!({"id": id, "object": "event", "type": kind, "created": ferrocart::time::now_unix(), "livemode": false,
           "data": {"object": object}})
    .to_string()
}

/// `payment_intent.succeeded` for a checkout answer (its PaymentIntent, total and order).
pub fn succeeded(evt: &str, order: &Value) -> String {
    let pi = order["payment"]["payment_intent_id"]
        .as_str()
        .expect("a checkout answer");
    event(
        evt,
        "payment_intent.succeeded",
        json!({"id": pi, "object": "payment_intent", "status": "succeeded",
        "amount": order["total"], "amount_received": order["total"], "currency": order["currency"].as_str().expect("a checkout answer").to_lowercase(),
        "metadata": {"order_id": order["order_id"]}}),
    )
}

/// A fresh event id.
pub fn evt_id() -> String {
    format!("evt_{}", uuid::Uuid::new_v4().simple())
}

// Fault injection in the local stack (infra/cli/src/faults.rs).

/// Installs a fault plan (`{"seed": .., "rules": [..]}`); panics if the stack refuses it.
pub async fn set_faults(plan: &Value) -> Value {
    let r = client()
        .put(format!("{}/__local/faults", lambda_url()))
        .json(plan)
        .send()
        .await
        .expect("control API");
    let status = r.status();
    let v: Value = r.json().await.unwrap_or_default();
    assert!(status.is_success(), "fault plan refused: {v}");
    v
}

/// Stops injecting faults; returns what the plan injected.
pub async fn faults_off() -> Value {
    let report = control_json("/__local/faults").await;
    client()
        .delete(format!("{}/__local/faults", lambda_url()))
        .send()
        .await
        .expect("control API");
    report
}

/// Moves an order's reservation deadline into the past, as if 15 minutes had gone by.
pub async fn expire_now(order: &Value) {
    times_past(
        order["order_id"].as_str().expect("an order"),
        &["expires_at"],
    )
    .await;
}

/// Sets these time attributes of an order (`expires_at`, `dueat`) to a second ago, as if time
/// had passed. `dueat` only on an order still on the due index.
pub async fn times_past(order_id: &str, attributes: &[&str]) {
    use aws_sdk_dynamodb::types::AttributeValue;
    let s = store().await;
    let sets: Vec<String> = attributes.iter().map(|a| format!("{a} = :past")).collect();
    let mut update = s
        .client
        .update_item()
        .table_name(&s.table)
        .key("pk", AttributeValue::S(format!("ORDER#{order_id}")))
        .key("sk", AttributeValue::S("ORDER".into()))
        .update_expression(format!("SET {}", sets.join(", ")))
        .expression_attribute_values(
            ":past",
            AttributeValue::N((ferrocart::time::now_unix() - 1).to_string()),
        );
    if attributes.contains(&"dueat") {
        update = update.condition_expression("attribute_exists(duepk)");
    }
    match update.send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
        Err(e) => panic!("DynamoDB Local: {e:?}"),
    }
}

/// One reconciler run now (besides the local stack's own every few seconds): its report.
pub async fn reconcile() -> Value {
    invoke(
        "reconciler",
        &json!({"version": "0", "id": uuid::Uuid::new_v4().to_string(),
                "detail-type": "Scheduled Event", "source": "aws.events", "account": "000000000000",
                "time": "2026-12-01T00:00:00Z", "region": "us-east-1", "resources": [], "detail": {}}),
    )
    .await
}

/// The SQS event order-expiry receives for this order.
pub fn expiry_event(order: &Value, expires_at: u64) -> Value {
    let body = json!({"order_id": order["order_id"], "expires_at": expires_at}).to_string();
    json!({"Records": [{"messageId": uuid::Uuid::new_v4().to_string(), "receiptHandle": "rh", "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1", "SenderId": "A", "ApproximateFirstReceiveTimestamp": "1"},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:ferrocart-orderexpiryqueue", "awsRegion": "us-east-1"}]})
}

/// The local Stripe stand-in, and the secret key the local stack gives it.
pub const STRIPE_FAKE: &str = "http://127.0.0.1:8420";
pub const STRIPE_FAKE_KEY: &str = "sk_test_ferrocart_local";

/// `GET <path>` at the Stripe stand-in (`/v1/payment_intents/<id>`, `/v1/refunds`), as JSON.
pub async fn stripe_get(path: &str) -> Value {
    client()
        .get(format!("{STRIPE_FAKE}{path}"))
        .basic_auth(STRIPE_FAKE_KEY, None::<&str>)
        .send()
        .await
        .expect("stripe fake")
        .json()
        .await
        .expect("JSON")
}

/// A product's `stock_available`, read strongly from the table.
pub async fn stock_available(product_id: &str) -> i64 {
    store()
        .await
        .get_product(
            &ferrocart::ids::ProductId::parse(product_id).expect("a product id"),
            true,
        )
        .await
        .expect("DynamoDB Local")
        .expect("the product")
        .stock_available
}
