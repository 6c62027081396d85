//! `GET /categories` → 200 `{items: [{slug, name}]}` in navigation order (public, cacheable).

use crate::{ApiError, AppContext, http};
use lambda_http::{Body, Request, Response};
use serde::Serialize;

#[derive(Serialize)]
struct Category {
    slug: String,
    name: String,
}

#[derive(Serialize)]
struct Categories {
    items: Vec<Category>,
}

pub async fn handle(ctx: &AppContext, req: Request) -> Result<Response<Body>, ApiError> {
    http::query_params(&req, &[])?;
    let items = ctx
        .store
        .list_categories()
        .await?
        .into_iter()
        .map(|c| Category {
            slug: c.slug,
            name: c.name,
        })
        .collect();
    Ok(http::cacheable_json(
        &req,
        &Categories { items },
        "public, max-age=300, s-maxage=3600, stale-while-revalidate=600",
    ))
}
