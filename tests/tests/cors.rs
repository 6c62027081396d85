//! CORS as the deployed HTTP API applies it (template.yaml's `CorsConfiguration`), through the
//! local gateway: exactly the storefront's origin (`StorefrontOrigin`; locally
//! http://127.0.0.1:3002, where `make dev` serves the storefront) may call the API from a page.

#![allow(clippy::unwrap_used)]

use ferrocart_tests::*;
use reqwest::Method;

const STOREFRONT: &str = "http://127.0.0.1:3002";

async fn preflight(path: &str, origin: &str, method: &str, headers: &str) -> reqwest::Response {
    client()
        .request(Method::OPTIONS, format!("{}{path}", api_url()))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", headers)
        .send()
        .await
        .unwrap()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn the_storefront_origin_passes_preflight_and_no_other_does() {
    let ok = preflight(
        "/cart/items",
        STOREFRONT,
        "POST",
        "content-type, X-Cart-Token",
    )
    .await;
    assert_eq!(ok.status(), 204);
    assert_eq!(header(&ok, "access-control-allow-origin"), Some(STOREFRONT));
    let methods = header(&ok, "access-control-allow-methods").unwrap();
    assert!(methods.split(',').any(|m| m == "POST"), "{methods}");
    let allowed = header(&ok, "access-control-allow-headers").unwrap();
    for h in [
        "authorization",
        "content-type",
        "idempotency-key",
        "x-cart-token",
    ] {
        assert!(allowed.split(',').any(|a| a == h), "{h} in {allowed}");
    }
    assert_eq!(header(&ok, "access-control-max-age"), Some("600"));
    assert_eq!(header(&ok, "access-control-allow-credentials"), None);

    // another origin, a header the API does not take, a method it does not allow: no grant
    for r in [
        preflight(
            "/cart/items",
            "https://evil.example",
            "POST",
            "content-type",
        )
        .await,
        preflight("/cart/items", STOREFRONT, "POST", "x-admin-override").await,
        preflight("/cart/items", STOREFRONT, "TRACE", "").await,
        preflight(
            "/cart/items",
            "http://127.0.0.1:3002.evil.example",
            "GET",
            "",
        )
        .await,
    ] {
        assert_eq!(r.status(), 204);
        assert_eq!(header(&r, "access-control-allow-origin"), None);
    }
}

#[tokio::test]
async fn answers_to_the_storefront_expose_what_it_reads_and_others_get_no_grant() {
    let r = client()
        .get(format!("{}/products?limit=1", api_url()))
        .header("origin", STOREFRONT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "access-control-allow-origin"), Some(STOREFRONT));
    let exposed = header(&r, "access-control-expose-headers").unwrap();
    for h in ["etag", "x-cart-token", "retry-after"] {
        assert!(exposed.split(',').any(|e| e == h), "{h} in {exposed}");
    }
    let other = client()
        .get(format!("{}/products?limit=1", api_url()))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    assert_eq!(header(&other, "access-control-allow-origin"), None);
    // an OPTIONS that is not a preflight still reaches the API's own answer (204 + Allow)
    let plain = client()
        .request(Method::OPTIONS, format!("{}/products", api_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 204);
    assert!(header(&plain, "allow").unwrap().contains("GET"));
}
