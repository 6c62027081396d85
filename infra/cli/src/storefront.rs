//! The local stand-in for the storefront's CloudFront distribution: `web/dist` (the built
//! storefront, `npm run build` in `web/`) served on 127.0.0.1:3002 with the SPA fallback (a path
//! that is no file answers `index.html`, as the distribution's 404 → `/index.html` rule does).
//! Nothing is served if the storefront was not built.

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::path::{Component, Path, PathBuf};

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

pub fn router(dist: PathBuf) -> Router {
    Router::new().fallback(move |req: Request| serve(dist.clone(), req))
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
        assert_eq!(file_for(&dist, "/../etc/passwd"), None);
        assert_eq!(file_for(&dist, "/assets/../assets/a.js"), None);
        assert_eq!(
            content_type(Path::new("a.js")),
            "text/javascript; charset=utf-8"
        );
        let _ = std::fs::remove_dir_all(&dist);
    }
}
