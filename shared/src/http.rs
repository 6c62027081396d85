//! Request parsing and response helpers for HTTP handlers.
//!
//! [`parse_json`] enforces, in order: the body size limit (413), a JSON media type (415),
//! well-formed JSON (400 `malformed_json`), and the target type's shape, where unknown fields
//! (400 `unknown_field`), missing fields (400 `missing_field`) and wrong types (400 `invalid_type`)
//! name the offending field.

use crate::error::ApiError;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use crate::response::json_response;

/// A public, cacheable JSON response with a strong `ETag` (SHA-256 of the body). A request whose
/// `If-None-Match` lists that tag gets 304 with no body. `cache_control` is sent on both.
pub fn cacheable_json<T: Serialize + ?Sized>(
    req: &Request,
    value: &T,
    cache_control: &'static str,
) -> Response<Body> {
    let mut r = json_response(StatusCode::OK, value);
    if r.status() != StatusCode::OK {
        return r;
    }
    let digest = crate::digest::sha256_hex(r.body().as_ref());
    let etag = format!("\"{}\"", &digest[..32]);
    let matches = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*");
    if matches {
        r = Response::new(Body::Empty);
        *r.status_mut() = StatusCode::NOT_MODIFIED;
    }
    let h = r.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    r
}

/// The query-string parameters, rejecting any not in `allowed` (400 `unknown_parameter`) and
/// repeated ones (400 `repeated_parameter`), so a cache never fragments on junk.
pub fn query_params(
    req: &Request,
    allowed: &[&str],
) -> Result<std::collections::HashMap<String, String>, ApiError> {
    use lambda_http::RequestExt;
    let q = req.query_string_parameters();
    let mut out = std::collections::HashMap::new();
    for (k, _) in q.iter() {
        if !allowed.contains(&k) {
            return Err(ApiError::validation(
                "unknown_parameter",
                k,
                format!(
                    "unknown query parameter `{k}`; expected one of {}",
                    allowed.join(", ")
                ),
            ));
        }
        let all = q.all(k).unwrap_or_default();
        if all.len() > 1 {
            return Err(ApiError::validation(
                "repeated_parameter",
                k,
                format!("query parameter `{k}` may appear once"),
            ));
        }
        if let Some(v) = all.first() {
            out.insert(k.to_string(), v.to_string());
        }
    }
    Ok(out)
}

/// A path parameter that must be a UUID-shaped id; anything else is 404 (no such thing here).
pub fn path_id<T>(
    req: &Request,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
    what: &'static str,
) -> Result<T, ApiError> {
    use lambda_http::RequestExt;
    req.path_parameters()
        .first(name)
        .and_then(parse)
        .ok_or(ApiError::NotFound(what))
}

/// An empty response (e.g. 204).
pub fn empty_response(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(Body::Empty);
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn is_json_media_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// `#[serde(deserialize_with = "ferrocart::http::whole")]`: a JSON integer field. JSON (and the
/// JSON Schema `integer` of openapi.yaml) makes no difference between `3` and `3.0`, so both are
/// 3; `3.5` is 400 `invalid_type`, a number out of the field's range 400 `invalid_value`.
pub fn whole<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    d.deserialize_any(Whole(std::marker::PhantomData))
}

/// `#[serde(default, deserialize_with = "ferrocart::http::present")]`: an optional field that, when
/// present, must hold a value: `null` is 400 `invalid_type`, as openapi.yaml (no field is nullable
/// in a request) says. Without it serde reads `null` as absent.
pub fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// `#[serde(default, deserialize_with = "ferrocart::http::nullable")]`: a field a PATCH may clear.
/// Absent is `None` (leave it), `null` is `Some(None)` (clear it), a value `Some(Some(v))`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// [`whole`] for an optional field (`#[serde(default, deserialize_with = ...)]`).
pub fn whole_opt<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    whole(d).map(Some)
}

/// [`whole`] for a field a PATCH may clear ([`nullable`]): absent `None`, `null` `Some(None)`,
/// `3` or `3.0` `Some(Some(3))`.
pub fn whole_nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    struct W<T>(T);
    impl<'de, T: TryFrom<i64> + TryFrom<u64>> serde::Deserialize<'de> for W<T> {
        fn deserialize<D2: serde::Deserializer<'de>>(d: D2) -> Result<Self, D2::Error> {
            whole(d).map(W)
        }
    }
    <Option<W<T>> as serde::Deserialize>::deserialize(d).map(|o| Some(o.map(|w| w.0)))
}

struct Whole<T>(std::marker::PhantomData<T>);

impl<T: TryFrom<i64> + TryFrom<u64>> serde::de::Visitor<'_> for Whole<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a whole number")
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<T, E> {
        use serde::de::Unexpected::Float;
        if !v.is_finite() || v.fract() != 0.0 {
            return Err(E::invalid_type(Float(v), &self));
        }
        // Whole and within ±2^53, where every integer is exactly one f64.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        if v.abs() > EXACT {
            return Err(E::invalid_value(Float(v), &self));
        }
        #[allow(clippy::cast_possible_truncation)] // whole and within ±2^53: exact
        self.visit_i64(v as i64)
    }
}

/// Parses the request body as strict JSON into `T` (which should `#[serde(deny_unknown_fields)]`).
pub fn parse_json<T: DeserializeOwned>(req: &Request, max_bytes: usize) -> Result<T, ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > max_bytes {
        return Err(ApiError::PayloadTooLarge { limit: max_bytes });
    }
    let media_ok = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_json_media_type);
    if !media_ok {
        return Err(ApiError::UnsupportedMediaType {
            expected: "application/json",
        });
    }
    parse_json_bytes(bytes)
}

/// [`parse_json`] for a body whose integers are read by types that know nothing of HTTP (the
/// shop's shipping document, `crate::selling::shipping`): every whole number (`5.0`) is an
/// integer first, as JSON Schema's `integer` says, so only `5.5` is 400 `invalid_type`.
pub fn parse_json_whole<T: DeserializeOwned>(
    req: &Request,
    max_bytes: usize,
) -> Result<T, ApiError> {
    let value: serde_json::Value = parse_json(req, max_bytes)?;
    let bytes = serde_json::to_vec(&integers_whole(value)).map_err(ApiError::internal)?;
    parse_json_bytes(&bytes)
}

/// Every whole number within ±2^53 in `v` as an integer.
fn integers_whole(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            #[allow(clippy::cast_possible_truncation)] // whole and within ±2^53: exact
            Some(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => {
                Value::from(f as i64)
            }
            _ => Value::Number(n),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(integers_whole).collect()),
        Value::Object(o) => {
            Value::Object(o.into_iter().map(|(k, v)| (k, integers_whole(v))).collect())
        }
        other => other,
    }
}

/// The JSON part of [`parse_json`], for bodies that arrived some other way.
pub fn parse_json_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Validation {
            code: "malformed_json",
            message: "request body is empty; expected a JSON object".into(),
            field: None,
        });
    }
    // Syntax first, over the whole body (trailing garbage included), then the shape.
    let result: Result<T, _> = match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        Err(e) => {
            return Err(ApiError::Validation {
                code: "malformed_json",
                message: format!(
                    "request body is not valid JSON: {}",
                    e.to_string().split(" at line ").next().unwrap_or_default()
                ),
                field: None,
            });
        }
        Ok(_) => {
            let de = &mut serde_json::Deserializer::from_slice(bytes);
            serde_path_to_error::deserialize(de)
        }
    };
    let err = match result {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let path = err.path().to_string();
    let inner = err.into_inner();
    let msg = inner.to_string();
    // serde's messages are stable enough to classify; the position suffix is noise to a client.
    let clean = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    let field_of = |p: &str| (p != "." && !p.is_empty()).then(|| p.to_string());
    let backticked = |m: &str| m.split('`').nth(1).map(str::to_string);
    let (code, field) = match inner.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            ("malformed_json", None)
        }
        serde_json::error::Category::Io => ("malformed_json", None),
        serde_json::error::Category::Data => {
            if clean.starts_with("unknown field") {
                // The path already ends with the unknown field's own name.
                let full = field_of(&path).or_else(|| backticked(&clean));
                ("unknown_field", full)
            } else if clean.starts_with("missing field") {
                let name = backticked(&clean).unwrap_or_default();
                let full = match field_of(&path) {
                    Some(parent) => format!("{parent}.{name}"),
                    None => name,
                };
                ("missing_field", Some(full))
            } else if clean.starts_with("invalid type") {
                ("invalid_type", field_of(&path))
            } else {
                ("invalid_value", field_of(&path))
            }
        }
    };
    let message = if code == "malformed_json" {
        format!("request body is not valid JSON: {clean}")
    } else {
        clean
    };
    Err(ApiError::Validation {
        code,
        message,
        field,
    })
}

/// The bearer token of the `Authorization` header, if there is exactly one well-formed one.
pub fn bearer_token(req: &Request) -> Option<&str> {
    let mut values = req.headers().get_all(header::AUTHORIZATION).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let v = value.to_str().ok()?.trim();
    let (scheme, token) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

/// The client's address. Through the API's CloudFront distribution (template.yaml,
/// `ApiDistribution`) API Gateway's `sourceIp` is an edge server shared by everyone near it, so
/// there the address is CloudFront's `CloudFront-Viewer-Address` (`ip:port`, IPv6 unbracketed).
/// That header is believed only beside the distribution's secret `X-Origin-Verify`: a client
/// calling API Gateway directly could send it with any address. Otherwise, `sourceIp`.
pub fn client_address(req: &Request, edge_secret: &crate::settings::Secret) -> String {
    use lambda_http::RequestExt;
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    // Compared as digests: the time taken says nothing about the secret.
    let through_edge = header("x-origin-verify").is_some_and(|v| {
        crate::digest::sha256_hex(v.as_bytes())
            == crate::digest::sha256_hex(edge_secret.expose().as_bytes())
    });
    let viewer = header("cloudfront-viewer-address")
        .and_then(|v| v.rsplit_once(':'))
        .and_then(|(ip, _port)| ip.parse::<std::net::IpAddr>().ok());
    if through_edge && let Some(ip) = viewer {
        return ip.to_string();
    }
    match req.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(c)) => {
            c.http.source_ip.clone().unwrap_or_default()
        }
        _ => String::new(),
    }
}

/// The `limit` query parameter of a listing: `default` when absent, else a whole number from 1
/// to `max` (400 `invalid_limit`).
pub fn limit_param(
    q: &std::collections::HashMap<String, String>,
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    match q.get("limit") {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                ApiError::validation(
                    "invalid_limit",
                    "limit",
                    format!("limit must be a whole number from 1 to {max}"),
                )
            }),
    }
}

/// The `Idempotency-Key` header: required, 1-100 of `A-Z a-z 0-9 - _ . :`.
pub fn idempotency_key(req: &Request) -> Result<String, ApiError> {
    let v = req.headers().get("idempotency-key").ok_or_else(|| {
        ApiError::validation(
            "missing_idempotency_key",
            "Idempotency-Key",
            "an Idempotency-Key header is required",
        )
    })?;
    let key = v.to_str().unwrap_or("").trim();
    let ok = (1..=100).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if !ok {
        return Err(ApiError::validation(
            "invalid_idempotency_key",
            "Idempotency-Key",
            "Idempotency-Key must be 1-100 characters of A-Z, a-z, 0-9, -, _, ., :",
        ));
    }
    Ok(key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_integers_before_the_shape_is_read() {
        let v = integers_whole(
            serde_json::json!({"version": 7.0, "zones": [{"amount": 395.0,
            "ratio": 0.5, "big": 1e300, "n": 3}]}),
        );
        assert_eq!(
            v,
            serde_json::json!({"version": 7, "zones": [{"amount": 395, "ratio": 0.5, "big": 1e300, "n": 3}]})
        );
        assert!(v["version"].is_u64());
    }
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Login {
        email: String,
        password: String,
        profile: Option<Profile>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Profile {
        age: u8,
    }

    fn req(ct: Option<&str>, body: &str) -> Request {
        let mut b = lambda_http::http::Request::builder()
            .method("POST")
            .uri("/x");
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        b.body(Body::Text(body.to_string())).unwrap()
    }

    fn err(ct: Option<&str>, body: &str) -> (u16, String, Option<String>) {
        match parse_json::<Login>(&req(ct, body), 64) {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => {
                let field = match &e {
                    ApiError::Validation { field, .. } => field.clone(),
                    _ => None,
                };
                (e.status().as_u16(), e.code().to_string(), field)
            }
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Counts {
        #[serde(deserialize_with = "whole")]
        n: u8,
        #[serde(default, deserialize_with = "whole_opt")]
        m: Option<i64>,
    }

    #[test]
    fn integers_may_be_written_as_whole_floats_and_nothing_else() {
        let ok = |b: &str| parse_json_bytes::<Counts>(b.as_bytes()).map(|c| (c.n, c.m));
        assert_eq!(ok(r#"{"n": 3}"#).unwrap(), (3, None));
        assert_eq!(ok(r#"{"n": 3.0, "m": -2.0}"#).unwrap(), (3, Some(-2)));
        assert_eq!(
            ok(r#"{"n": 3e0, "m": 1e15}"#).unwrap(),
            (3, Some(1_000_000_000_000_000))
        );
        let code = |b: &str| ok(b).unwrap_err().code().to_string();
        assert_eq!(code(r#"{"n": 3.5}"#), "invalid_type");
        assert_eq!(code(r#"{"n": "3"}"#), "invalid_type");
        assert_eq!(code(r#"{"n": 256}"#), "invalid_value");
        assert_eq!(code(r#"{"n": -1.0}"#), "invalid_value");
        assert_eq!(code(r#"{"n": 1, "m": 1e300}"#), "invalid_value");
        assert_eq!(code(r#"{"n": 1, "m": null}"#), "invalid_type");
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Patch {
        #[serde(default, deserialize_with = "present")]
        name: Option<String>,
    }

    #[test]
    fn an_optional_field_may_be_absent_but_not_null() {
        let parse = |b: &str| parse_json_bytes::<Patch>(b.as_bytes()).map(|p| p.name);
        assert_eq!(parse("{}").unwrap(), None);
        assert_eq!(parse(r#"{"name": "x"}"#).unwrap().as_deref(), Some("x"));
        let e = parse(r#"{"name": null}"#).unwrap_err();
        assert_eq!((e.code(), e.status().as_u16()), ("invalid_type", 400));
    }

    #[test]
    fn classifies_every_bad_body() {
        let j = Some("application/json");
        assert_eq!(err(j, &"x".repeat(65)).0, 413);
        assert_eq!(
            err(None, r#"{"email":"a","password":"b"}"#).1,
            "unsupported_media_type"
        );
        assert_eq!(err(Some("text/plain"), r#"{}"#).0, 415);
        assert_eq!(err(j, "").1, "malformed_json");
        assert_eq!(err(j, "{\"email\":").1, "malformed_json");
        assert_eq!(err(j, "[1,2]").1, "invalid_type");
        assert_eq!(
            err(j, r#"{"email":"a","password":"b"} x"#).1,
            "malformed_json"
        );
        assert_eq!(err(j, r#"{"email":"a"}}"#).1, "malformed_json");
        assert_eq!(
            err(j, r#"{"email":"a"}"#),
            (400, "missing_field".into(), Some("password".into()))
        );
        assert_eq!(
            err(j, r#"{"email":1,"password":"b"}"#),
            (400, "invalid_type".into(), Some("email".into()))
        );
        assert_eq!(
            err(j, r#"{"email":"a","password":"b","role":"admin"}"#),
            (400, "unknown_field".into(), Some("role".into()))
        );
        assert_eq!(
            err(j, r#"{"email":"a","password":"b","profile":{"age":300}}"#),
            (400, "invalid_value".into(), Some("profile.age".into()))
        );
        assert_eq!(
            err(j, r#"{"email":"a","password":"b","profile":{"x":1}}"#)
                .2
                .as_deref(),
            Some("profile.x")
        );
    }

    #[test]
    fn accepts_json_media_types_with_parameters() {
        let ok = parse_json::<Login>(
            &req(
                Some("Application/JSON; charset=utf-8"),
                r#"{"email":"a","password":"b"}"#,
            ),
            64,
        );
        assert!(ok.is_ok());
        assert!(is_json_media_type("application/vnd.api+json"));
        assert!(!is_json_media_type("application/jsonp"));
    }

    #[test]
    fn bearer_parsing() {
        let mk = |v: &str| {
            lambda_http::http::Request::builder()
                .header("authorization", v)
                .body(Body::Empty)
                .unwrap()
        };
        assert_eq!(bearer_token(&mk("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&mk("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(&mk("Basic abc")), None);
        assert_eq!(bearer_token(&mk("Bearer ")), None);
    }
}
