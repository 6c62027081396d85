//! `GET /categories` → 200 `{items: [{slug, name}]}` in navigation order (public, cacheable).

use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::{ApiError, http};
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
        })
    }
}

#[derive(Serialize)]
struct Category {
    slug: String,
    name: String,
}

#[derive(Serialize)]
struct Categories {
    items: Vec<Category>,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
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
