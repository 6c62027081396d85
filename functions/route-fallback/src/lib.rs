//! The HTTP API's `$default` route: every request no other route matches lands here.
//!
//! A path the API has, asked with a method it does not have (`TRACE /cart`, `PUT /products`), is
//! 405 `method_not_allowed` with an `Allow` header listing the path's methods, as RFC 9110 asks;
//! `OPTIONS` on such a path is 204 with the same `Allow`. Any other path is 404 `not_found`. Both
//! in the API's error shape, where API Gateway alone would answer `404 {"message":"Not Found"}`
//! whatever the method. [`ROUTES`] is the API's route table; a test keeps it equal to
//! template.yaml's routes.

use ferrocart::ApiError;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};

/// Every route of the API as `(method, path)`, `{name}` standing for one path segment.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/auth/register"),
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/logout"),
    ("POST", "/auth/password-reset"),
    ("POST", "/auth/password-reset/confirm"),
    ("POST", "/auth/verify-email"),
    ("POST", "/me/email-verification"),
    ("GET", "/me"),
    ("GET", "/me/addresses"),
    ("POST", "/me/addresses"),
    ("PATCH", "/me/addresses/{id}"),
    ("DELETE", "/me/addresses/{id}"),
    ("GET", "/products"),
    ("GET", "/products/{id}"),
    ("GET", "/products/{id}/recommendations"),
    ("GET", "/search"),
    ("GET", "/search/suggest"),
    ("GET", "/p/{id}"),
    ("GET", "/c/{slug}"),
    ("GET", "/categories"),
    ("GET", "/shipping-options"),
    ("POST", "/admin/products"),
    ("GET", "/admin/products/{id}"),
    ("PATCH", "/admin/products/{id}"),
    ("PUT", "/admin/products/{id}/stock"),
    ("POST", "/admin/products/{id}/images"),
    ("GET", "/admin/orders"),
    ("GET", "/admin/orders/{id}"),
    ("POST", "/admin/orders/{id}/refunds"),
    ("POST", "/admin/orders/{id}/cancel"),
    ("POST", "/admin/orders/{id}/emails/{kind}"),
    ("PUT", "/admin/tax"),
    ("PUT", "/admin/shipping"),
    ("GET", "/admin/selling"),
    ("GET", "/admin/images"),
    ("GET", "/admin/stock/low"),
    ("GET", "/admin/discounts"),
    ("PUT", "/admin/discounts/{code}"),
    ("GET", "/cart"),
    ("POST", "/cart/items"),
    ("PATCH", "/cart/items/{product_id}"),
    ("DELETE", "/cart/items/{product_id}"),
    ("POST", "/cart/discount"),
    ("DELETE", "/cart/discount"),
    ("POST", "/checkout"),
    ("POST", "/payments/webhook"),
    ("GET", "/orders"),
    ("GET", "/orders/{id}"),
];

/// Nothing to build: the route table is compiled in.
pub struct Context;

impl FunctionContext for Context {
    fn from_startup(_: &Startup) -> Result<Self, ConfigError> {
        Ok(Self)
    }
}

/// Whether `path` is an instance of the route `pattern`.
fn matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return true,
            (Some(w), Some(g)) => {
                let param = w.starts_with('{') && w.ends_with('}');
                if (param && g.is_empty()) || (!param && w != g) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The methods the API has for `path`, in [`ROUTES`] order; empty if it has no such path.
pub fn allowed(path: &str) -> Vec<&'static str> {
    let mut methods: Vec<&'static str> = Vec::new();
    for (method, pattern) in ROUTES {
        if matches(pattern, path) && !methods.contains(method) {
            methods.push(method);
        }
    }
    methods
}

pub async fn handle(_: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let methods = allowed(req.uri().path());
    if methods.is_empty() {
        return Err(ApiError::NotFound("route"));
    }
    let allow = format!("{}, OPTIONS", methods.join(", "));
    if req.method() == Method::OPTIONS {
        let mut r = Response::new(Body::Empty);
        *r.status_mut() = StatusCode::NO_CONTENT;
        if let Ok(v) = HeaderValue::from_str(&allow) {
            r.headers_mut().insert(header::ALLOW, v);
        }
        return Ok(r);
    }
    Err(ApiError::MethodNotAllowed { allow })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_matched_segment_by_segment() {
        assert_eq!(allowed("/cart"), ["GET"]);
        assert_eq!(allowed("/cart/items/abc"), ["PATCH", "DELETE"]);
        assert_eq!(allowed("/products/anything"), ["GET"]);
        assert!(
            allowed("/cart/items/").is_empty(),
            "an empty segment is no id"
        );
        assert!(allowed("/cart/items/a/b").is_empty());
        assert!(allowed("/carts").is_empty());
        assert!(allowed("/").is_empty());
        assert!(allowed("").is_empty());
    }
}
