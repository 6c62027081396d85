//! `GET /search/suggest?q=` → 200 `{suggestions}`: at most 8 completions for a search box, the
//! categories with most matching products first (`{"type": "category", "category", "count"}`),
//! then products (`{"type": "product", "product_id", "name"}`), for the words typed so far (the
//! last one a prefix unless `q` ends with a space). An empty `q` has none. Public, cacheable.

use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::{ApiError, http, validate};
use ferrocart_search::live::LiveIndex;
use ferrocart_search::suggest::{self, Suggestion};
use lambda_http::{Body, Request, Response};
use serde::Serialize;

pub struct Context {
    pub index: LiveIndex,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            index: LiveIndex::from_startup(startup)?,
        })
    }
}

pub const MAX_QUERY_CHARS: usize = 100;
pub const CACHE_CONTROL: &str = "public, max-age=10, s-maxage=10";

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum View {
    Category { category: String, count: u64 },
    Product { product_id: String, name: String },
}

#[derive(Serialize)]
struct Suggestions {
    suggestions: Vec<View>,
}

fn parse(req: &Request) -> Result<String, ApiError> {
    let q = http::query_params(req, &["q"])?;
    let text = validate::query_text(q.get("q"), MAX_QUERY_CHARS)?;
    Ok(text)
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let text = parse(&req)?;
    let loaded = ctx.index.current().await.map_err(ApiError::unavailable)?;
    let found = suggest::suggest(&loaded.catalog, &text, ferrocart::time::now_unix())
        .map_err(ApiError::internal)?;
    let body = Suggestions {
        suggestions: found
            .into_iter()
            .map(|s| match s {
                Suggestion::Category { slug, count } => View::Category {
                    category: slug,
                    count,
                },
                Suggestion::Product { id, name } => View::Product {
                    product_id: id.to_string(),
                    name,
                },
            })
            .collect(),
    };
    Ok(http::cacheable_json(&req, &body, CACHE_CONTROL))
}
