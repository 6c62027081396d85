//! The local stand-in for the storefront's CloudFront distribution: `web/dist` (the built
//! storefront, `npm run build` in `web/`) served on 127.0.0.1:3002 with the SPA fallback (a path
//! that is no file answers `index.html`, as the distribution's 404 → `/index.html` rule does).
//! Nothing is served if the storefront was not built.
//!
//! As the distribution sends `/p/*` and `/c/*` to the API (the product-page and category-page
//! functions), so does this: those paths go to the local API, and the built `index.html` is put in
//! the local storefront bucket first (as `aws s3 sync` does at deploy), whenever it changed.

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Mutex;

/// Where the indexable pages come from: the local API, and the bucket their functions read
/// `index.html` from.
#[derive(Clone)]
pub struct Pages {
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    pub api: String,
    pub http: reqwest::Client,
    /// The (modified time, length) of the `index.html` last put in the bucket.
    pub synced: Arc<Mutex<Option<(std::time::SystemTime, u64)>>>,
}

/// `/p/<id>` and `/c/<slug>`: the paths the distribution sends to the page functions.
fn is_page(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    matches!(parts.as_slice(), ["p" | "c", seg] if !seg.is_empty())
}

/// Puts `dist/index.html` in the storefront bucket unless the copy there is already it.
pub async fn sync_index(pages: &Pages, dist: &Path) -> anyhow::Result<()> {
    let file = dist.join("index.html");
    let meta = tokio::fs::metadata(&file).await?;
    let stamp = (meta.modified()?, meta.len());
    let mut synced = pages.synced.lock().await;
    if *synced == Some(stamp) {
        return Ok(());
    }
    pages
        .s3
        .put_object()
        .bucket(&pages.bucket)
        .key("index.html")
        .content_type("text/html; charset=utf-8")
        .body(tokio::fs::read(&file).await?.into())
        .send()
        .await?;
    *synced = Some(stamp);
    Ok(())
}

async fn page(pages: Pages, dist: PathBuf, req: Request) -> Response {
    if let Err(e) = sync_index(&pages, &dist).await {
        return (
            StatusCode::BAD_GATEWAY,
            format!("putting index.html in the storefront bucket: {e}"),
        )
            .into_response();
    }
    let target = format!(
        "{}{}",
        pages.api,
        req.uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    let upstream = match pages.http.get(&target).send().await {
        Ok(r) => r,
        Err(e) => {
            return (StatusCode::BAD_GATEWAY, format!("the local API: {e}")).into_response();
        }
    };
    let status = upstream.status();
    let mut resp = Response::builder().status(status.as_u16());
    for name in [header::CONTENT_TYPE, header::CACHE_CONTROL] {
        if let Some(v) = upstream.headers().get(name.as_str()) {
            resp = resp.header(name.as_str(), v.as_bytes());
        }
    }
    let body = upstream.bytes().await.unwrap_or_default();
    resp.body(Body::from(body))
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}

fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// The file a request path names under `dist`, if it is a plain relative path to a file.
fn file_for(dist: &Path, path: &str) -> Option<PathBuf> {
    let rel = Path::new(path.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let file = dist.join(rel);
    file.is_file().then_some(file)
}

async fn serve(dist: PathBuf, req: Request) -> Response {
    let path = req.uri().path();
    let (file, fallback) = match file_for(&dist, path) {
        Some(f) => (f, false),
        None => (dist.join("index.html"), true),
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let mut resp = Response::new(Body::from(bytes));
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&file)),
            );
            // Hashed assets never change; the pages are checked again each time.
            let cache = if path.starts_with("/assets/") && !fallback {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            resp
        }
        Err(_) => (
            StatusCode::NOT_FOUND,
            "the storefront is not built (npm run build in web/)",
        )
            .into_response(),
    }
}

/// Compressed (gzip or brotli, as the browser asks) like the distribution's `Compress: true`.
pub fn router(dist: PathBuf, pages: Option<Pages>) -> Router {
    let router = Router::new().fallback(move |req: Request| {
        let dist = dist.clone();
        let pages = pages.clone();
        async move {
            match pages {
                Some(p) if req.method() == axum::http::Method::GET && is_page(req.uri().path()) => {
                    page(p, dist, req).await
                }
                _ => serve(dist, req).await,
            }
        }
    });
    router.layer(tower_http::compression::CompressionLayer::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_under_dist_are_files() {
        let dist = std::env::temp_dir().join(format!("storefront-{}", std::process::id()));
        std::fs::create_dir_all(dist.join("assets")).unwrap_or_default();
        std::fs::write(dist.join("assets/a.js"), "x").unwrap_or_default();
        assert_eq!(
            file_for(&dist, "/assets/a.js"),
            Some(dist.join("assets/a.js"))
        );
        assert_eq!(file_for(&dist, "/p/123"), None);
        assert!(is_page("/p/123") && is_page("/c/garden"));
        assert!(!is_page("/p/") && !is_page("/p/1/2") && !is_page("/cart") && !is_page("/"));
        assert_eq!(file_for(&dist, "/../etc/passwd"), None);
        assert_eq!(file_for(&dist, "/assets/../assets/a.js"), None);
        assert_eq!(
            content_type(Path::new("a.js")),
            "text/javascript; charset=utf-8"
        );
        let _ = std::fs::remove_dir_all(&dist);
    }
}
