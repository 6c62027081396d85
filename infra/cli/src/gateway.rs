//! A local API Gateway HTTP API: serves exactly the template's routes, turns each request into a
//! real payload-format-2.0 event (routeKey, pathParameters, query, headers, cookies, body and its
//! base64 flag, requestContext), runs it on that route's function, and maps the function's answer
//! back the way API Gateway does. A second listener offers Lambda's Invoke API
//! (`POST /2015-03-31/functions/{name}/invocations`) for raw events, as `aws lambda invoke` and
//! `cargo lambda invoke` use it, and `GET /__local/routes`.

use crate::lambda::{Outcome, Pool};
use crate::template::{Cors, DEFAULT_ROUTE, Route};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// API Gateway's payload limit.
const MAX_BODY: usize = 10 * 1024 * 1024;

/// The parts of an HTTP request an event is built from.
pub struct Incoming {
    pub method: String,
    pub path: String,
    pub raw_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The TCP peer's address, as API Gateway reports the caller (`requestContext.http.sourceIp`).
    pub source_ip: String,
}

pub struct Gateway {
    pub routes: Vec<Route>,
    pub pools: HashMap<String, Arc<Pool>>,
    pub domain: String,
    /// The API's CORS configuration, applied as API Gateway applies it ([`preflight`],
    /// [`add_cors`]).
    pub cors: Option<Cors>,
}

/// API Gateway answers a CORS preflight (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`) itself, without a route: 204, with the allow headers only if
/// the origin, the method and every requested header are allowed (else the browser refuses).
fn preflight(cors: &Cors, origin: &str, headers: &HeaderMap) -> Response {
    let requested_method = headers
        .get("access-control-request-method")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let requested_headers: Vec<String> = headers
        .get("access-control-request-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    let allowed = allows_origin(cors, origin)
        && cors
            .allow_methods
            .iter()
            .any(|m| m == "*" || m.eq_ignore_ascii_case(requested_method))
        && requested_headers
            .iter()
            .all(|h| cors.allow_headers.iter().any(|a| a == "*" || a == h));
    let mut resp = StatusCode::NO_CONTENT.into_response();
    if allowed {
        let h = resp.headers_mut();
        let mut set = |name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(HeaderName::from_static(name), v);
            }
        };
        set("access-control-allow-origin", origin.to_string());
        set("access-control-allow-methods", cors.allow_methods.join(","));
        if !cors.allow_headers.is_empty() {
            set("access-control-allow-headers", cors.allow_headers.join(","));
        }
        if let Some(age) = cors.max_age {
            set("access-control-max-age", age.to_string());
        }
        if cors.allow_credentials {
            set("access-control-allow-credentials", "true".into());
        }
    }
    resp
}

fn allows_origin(cors: &Cors, origin: &str) -> bool {
    cors.allow_origins.iter().any(|o| o == "*" || o == origin)
}

/// An allowed origin's answer carries `Access-Control-Allow-Origin` and the exposed headers.
fn add_cors(cors: &Cors, origin: &str, resp: &mut Response) {
    if !allows_origin(cors, origin) {
        return;
    }
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(HeaderName::from_static("access-control-allow-origin"), v);
    }
    if !cors.expose_headers.is_empty()
        && let Ok(v) = HeaderValue::from_str(&cors.expose_headers.join(","))
    {
        h.insert(HeaderName::from_static("access-control-expose-headers"), v);
    }
    if cors.allow_credentials {
        h.insert(
            HeaderName::from_static("access-control-allow-credentials"),
            HeaderValue::from_static("true"),
        );
    }
}

/// A route pattern split into segments, `{name}` one segment, `{name+}` the rest.
fn match_route(pattern: &str, path: &str) -> Option<Map<String, Value>> {
    let pat: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut params = Map::new();
    for (i, p) in pat.iter().enumerate() {
        if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
            let rest = segs.get(i..)?.join("/");
            if rest.is_empty() {
                return None;
            }
            params.insert(name.to_string(), Value::String(decode(&rest)));
            return Some(params);
        }
        let seg = segs.get(i)?;
        if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if seg.is_empty() {
                return None;
            }
            params.insert(name.to_string(), Value::String(decode(seg)));
        } else if p != seg {
            return None;
        }
    }
    (pat.len() == segs.len()).then_some(params)
}

/// Percent-decoding of a path segment (API Gateway hands functions decoded path parameters).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Literal segments beat parameters, which beat greedy ones (API Gateway's "most specific").
fn specificity(pattern: &str) -> (usize, usize) {
    let segs: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let literal = segs.iter().filter(|s| !s.starts_with('{')).count();
    let greedy = segs.iter().any(|s| s.ends_with("+}"));
    (literal, if greedy { 0 } else { 1 })
}

fn message(status: StatusCode, msg: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        json!({"message": msg}).to_string(),
    )
        .into_response()
}

fn is_text(content_type: Option<&str>, body: &[u8]) -> bool {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let textual = ct.is_empty()
        || ct.starts_with("text/")
        || ct.contains("json")
        || ct.contains("xml")
        || ct.contains("x-www-form-urlencoded")
        || ct.contains("javascript");
    textual && std::str::from_utf8(body).is_ok()
}

fn query_params(raw: &str) -> Map<String, Value> {
    // Payload 2.0: repeated keys are joined with commas.
    let mut m: Map<String, Value> = Map::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (decode(&k.replace('+', " ")), decode(&v.replace('+', " ")));
        match m.get_mut(&k) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            _ => {
                m.insert(k, Value::String(v));
            }
        }
    }
    m
}

impl Gateway {
    pub fn find(&self, method: &str, path: &str) -> Option<(&Route, Map<String, Value>)> {
        let mut best: Option<(&Route, Map<String, Value>)> = None;
        for r in &self.routes {
            if r.path == DEFAULT_ROUTE {
                continue;
            }
            if r.method != method && r.method != "ANY" {
                continue;
            }
            if let Some(params) = match_route(&r.path, path) {
                let better = match &best {
                    None => true,
                    Some((b, _)) => specificity(&r.path) > specificity(&b.path),
                };
                if better {
                    best = Some((r, params));
                }
            }
        }
        // As API Gateway: what no route matches goes to the `$default` route, if there is one.
        best.or_else(|| {
            self.routes
                .iter()
                .find(|r| r.path == DEFAULT_ROUTE)
                .map(|r| (r, Map::new()))
        })
    }

    pub fn event(&self, route: &Route, params: Map<String, Value>, req: &Incoming) -> Value {
        let Incoming {
            method,
            path,
            raw_query,
            headers,
            body,
            source_ip,
        } = req;
        let (method, path, raw_query) = (method.as_str(), path.as_str(), raw_query.as_str());
        let mut hdrs: Map<String, Value> = Map::new();
        let mut cookies = Vec::new();
        for (name, value) in headers {
            let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
            if name == "cookie" {
                cookies.extend(v.split(';').map(|c| Value::String(c.trim().to_string())));
                continue;
            }
            match hdrs.get_mut(name.as_str()) {
                Some(Value::String(existing)) => {
                    existing.push(',');
                    existing.push_str(&v);
                }
                _ => {
                    hdrs.insert(name.as_str().to_string(), Value::String(v));
                }
            }
        }
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        let (body_value, b64) = if body.is_empty() {
            (Value::Null, false)
        } else if is_text(content_type, body) {
            (
                Value::String(String::from_utf8_lossy(body).into_owned()),
                false,
            )
        } else {
            (Value::String(B64.encode(body)), true)
        };
        let now = time::OffsetDateTime::now_utc();
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let request_time = format!(
            "{:02}/{}/{}:{:02}:{:02}:{:02} +0000",
            now.day(),
            MONTHS[now.month() as usize - 1],
            now.year(),
            now.hour(),
            now.minute(),
            now.second()
        );
        let route_key = if route.path == DEFAULT_ROUTE {
            DEFAULT_ROUTE.to_string()
        } else {
            format!("{} {}", route.method, route.path)
        };
        let mut event = json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": path,
            "rawQueryString": raw_query,
            "headers": hdrs,
            "requestContext": {
                "accountId": "000000000000",
                "apiId": "local",
                "domainName": self.domain,
                "domainPrefix": self.domain.split('.').next().unwrap_or("local"),
                "http": {
                    "method": method,
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": source_ip,
                    "userAgent": headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or(""),
                },
                "requestId": uuid::Uuid::new_v4().to_string(),
                "routeKey": route_key,
                "stage": "$default",
                "time": request_time,
                "timeEpoch": (now.unix_timestamp_nanos() / 1_000_000) as i64,
            },
            "isBase64Encoded": b64,
        });
        let obj = event.as_object_mut().expect("event is an object");
        if !cookies.is_empty() {
            obj.insert("cookies".into(), Value::Array(cookies));
        }
        if !raw_query.is_empty() {
            obj.insert(
                "queryStringParameters".into(),
                Value::Object(query_params(raw_query)),
            );
        }
        if !params.is_empty() {
            obj.insert("pathParameters".into(), Value::Object(params));
        }
        if !body_value.is_null() {
            obj.insert("body".into(), body_value);
        }
        event
    }
}

/// Maps a payload-2.0 function result to an HTTP response as API Gateway does.
pub fn to_http(outcome: Outcome) -> Response {
    let payload = match outcome {
        Outcome::Response(p) => p,
        Outcome::Error(e) => {
            crate::log::say!("[gateway] function error: {}", String::from_utf8_lossy(&e));
            return message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        }
        Outcome::Crashed(why) => {
            crate::log::say!("[gateway] function crashed: {why}");
            return message(StatusCode::BAD_GATEWAY, "Internal Server Error");
        }
        Outcome::TimedOut => {
            return message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable");
        }
    };
    let value: Value = match serde_json::from_slice(&payload) {
        Ok(v) => v,
        Err(_) => return message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
    };
    let Some(obj) = value.as_object().filter(|o| o.contains_key("statusCode")) else {
        // No statusCode: API Gateway returns the payload itself as a 200 JSON body.
        return (
            StatusCode::OK,
            [("content-type", "application/json")],
            payload,
        )
            .into_response();
    };
    let status = obj
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match obj.get("body") {
        Some(Value::String(s)) if obj.get("isBase64Encoded") == Some(&Value::Bool(true)) => {
            B64.decode(s).unwrap_or_default()
        }
        Some(Value::String(s)) => s.clone().into_bytes(),
        _ => Vec::new(),
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    for (k, v) in obj
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let (Ok(k), Some(Ok(v))) = (
            HeaderName::try_from(k.as_str()),
            v.as_str().map(HeaderValue::from_str),
        ) {
            h.append(k, v);
        }
    }
    for (k, vs) in obj
        .get("multiValueHeaders")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for v in vs
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if let (Ok(k), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::from_str(v)) {
                h.append(k, v);
            }
        }
    }
    for c in obj
        .get("cookies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if let Ok(v) = HeaderValue::from_str(c) {
            h.append("set-cookie", v);
        }
    }
    resp
}

async fn handle_api(
    State(gw): State<Arc<Gateway>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    req: Request,
) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let headers = req.headers().clone();
    let origin = headers
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let (Some(cors), Some(o)) = (&gw.cors, &origin)
        && method == "OPTIONS"
        && headers.contains_key("access-control-request-method")
    {
        crate::log::say!("[gateway] OPTIONS {path} -> CORS preflight from {o}");
        return preflight(cors, o, &headers);
    }
    let body = match axum::body::to_bytes(req.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return message(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
    };
    let Some((route, params)) = gw.find(&method, &path) else {
        crate::log::say!("[gateway] {method} {path} -> 404 (no route)");
        return message(StatusCode::NOT_FOUND, "Not Found");
    };
    let Some(pool) = gw.pools.get(&route.function) else {
        return message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };
    let incoming = Incoming {
        method: method.clone(),
        path: path.clone(),
        raw_query: query,
        headers,
        body,
        source_ip: peer.ip().to_string(),
    };
    let event = gw.event(route, params, &incoming);
    let outcome = pool.invoke(Bytes::from(event.to_string())).await;
    let mut resp = to_http(outcome);
    if let (Some(cors), Some(o)) = (&gw.cors, &origin) {
        add_cors(cors, o, &mut resp);
    }
    crate::log::say!(
        "[gateway] {method} {path} -> {} {} ({} ms)",
        route.function,
        resp.status().as_u16(),
        started.elapsed().as_millis()
    );
    resp
}

async fn handle_invoke(
    State(gw): State<Arc<Gateway>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let pool = gw
        .pools
        .get(&name)
        .or_else(|| gw.pools.values().find(|p| p.function.binary == name));
    let Some(pool) = pool else {
        return (
            StatusCode::NOT_FOUND,
            [("x-amzn-errortype", "ResourceNotFoundException")],
            json!({"Type": "User", "message": format!("Function not found: {name}")}).to_string(),
        )
            .into_response();
    };
    match pool.invoke(body).await {
        Outcome::Response(p) => {
            (StatusCode::OK, [("content-type", "application/json")], p).into_response()
        }
        Outcome::Error(e) => (
            StatusCode::OK,
            [
                ("content-type", "application/json"),
                ("x-amz-function-error", "Unhandled"),
            ],
            e,
        )
            .into_response(),
        Outcome::Crashed(why) => (
            StatusCode::OK,
            [
                ("content-type", "application/json"),
                ("x-amz-function-error", "Unhandled"),
            ],
            json!({"errorType": "Runtime.ExitError", "errorMessage": why}).to_string(),
        )
            .into_response(),
        Outcome::TimedOut => (
            StatusCode::OK,
            [
                ("content-type", "application/json"),
                ("x-amz-function-error", "Unhandled"),
            ],
            json!({"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out"}).to_string(),
        )
            .into_response(),
    }
}

/// Invocations per function since the stack started (`{"CheckoutFunction": 3, ...}`).
async fn handle_invocations(State(gw): State<Arc<Gateway>>) -> Response {
    let counts: std::collections::BTreeMap<&String, usize> = gw
        .pools
        .iter()
        .map(|(id, p)| (id, p.invocations.load(std::sync::atomic::Ordering::Relaxed)))
        .collect();
    axum::Json(counts).into_response()
}

async fn handle_routes(State(gw): State<Arc<Gateway>>) -> Response {
    axum::Json(&gw.routes).into_response()
}

/// The local stand-in for CloudFront in front of a private bucket (origin access control): reads
/// the object with credentials and serves it with its stored content type and cache headers.
pub fn cdn_router(s3: aws_sdk_s3::Client, bucket: String) -> Router {
    Router::new().fallback(move |req: Request| {
        let (s3, bucket) = (s3.clone(), bucket.clone());
        async move {
            if req.method() != axum::http::Method::GET && req.method() != axum::http::Method::HEAD {
                return message(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
            }
            let key = decode(req.uri().path().trim_start_matches('/'));
            match s3.get_object().bucket(&bucket).key(&key).send().await {
                Ok(out) => {
                    let mut headers = HeaderMap::new();
                    for (name, value) in [
                        ("content-type", out.content_type().map(str::to_string)),
                        ("cache-control", out.cache_control().map(str::to_string)),
                        ("etag", out.e_tag().map(str::to_string)),
                    ] {
                        if let Some(Ok(v)) = value.map(|v| HeaderValue::from_str(&v)) {
                            headers.insert(name, v);
                        }
                    }
                    match out.body.collect().await {
                        Ok(b) => (StatusCode::OK, headers, b.into_bytes()).into_response(),
                        Err(_) => message(StatusCode::BAD_GATEWAY, "Bad Gateway"),
                    }
                }
                // CloudFront with OAC answers 403 for a missing object (no ListBucket).
                Err(_) => message(StatusCode::FORBIDDEN, "Access Denied"),
            }
        }
    })
}

pub fn api_router(gw: Arc<Gateway>) -> Router {
    Router::new().fallback(handle_api).with_state(gw)
}

pub fn control_router(gw: Arc<Gateway>) -> Router {
    Router::new()
        .route(
            "/2015-03-31/functions/{name}/invocations",
            post(handle_invoke),
        )
        .route("/__local/routes", get(handle_routes))
        .route("/__local/invocations", get(handle_invocations))
        .route(
            "/__local/metrics",
            get(|| async { axum::Json(crate::lambda::emitted_metrics()) }),
        )
        .route("/__local/health", get(|| async { "ok" }))
        .with_state(gw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_routes_and_extracts_parameters() {
        assert!(
            match_route("/auth/login", "/auth/login")
                .unwrap()
                .is_empty()
        );
        assert!(match_route("/auth/login", "/auth/login/x").is_none());
        assert!(match_route("/auth/login", "/auth").is_none());
        let p = match_route("/products/{id}", "/products/abc%20d").unwrap();
        assert_eq!(p["id"], "abc d");
        assert!(match_route("/products/{id}", "/products/").is_none());
        let p = match_route("/media/{proxy+}", "/media/a/b/c.jpg").unwrap();
        assert_eq!(p["proxy"], "a/b/c.jpg");
        assert!(specificity("/products/new") > specificity("/products/{id}"));
    }

    #[test]
    fn query_strings_join_repeated_keys() {
        let q = query_params("a=1&b=x+y&a=2&c");
        assert_eq!(q["a"], "1,2");
        assert_eq!(q["b"], "x y");
        assert_eq!(q["c"], "");
    }

    #[test]
    fn decodes_percent_escapes_safely() {
        assert_eq!(decode("a%2Fb"), "a/b");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("%4"), "%4");
    }
}
