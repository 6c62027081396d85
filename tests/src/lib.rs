//! Helpers for the integration tests in `tests/tests/`. They talk to the local stack the way a
//! frontend would (HTTP on 127.0.0.1:3000), or to its Lambda invoke API with raw events.
//! Start the stack with the tests: `make test` (see README.md).

use serde_json::Value;
use std::path::PathBuf;

pub fn api_url() -> String {
    std::env::var("FERROCART_API_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into())
}

pub fn lambda_url() -> String {
    std::env::var("FERROCART_LAMBDA_URL").unwrap_or_else(|_| "http://127.0.0.1:9001".into())
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

pub fn client() -> reqwest::Client {
    // reqwest is built without a bundled crypto provider (see shared/Cargo.toml); use aws-lc-rs.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
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
    assert_eq!(r.status, 201, "register: {:?}", r.json);
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

/// The table the local stack uses, for assertions on what was (or was not) written.
pub async fn store() -> ferrocart::store::Store {
    let conf = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let table = std::env::var("FERROCART_TABLE").unwrap_or_else(|_| "ferrocart-table".into());
    ferrocart::store::Store::new(aws_sdk_dynamodb::Client::new(&conf), table)
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
