//! `GET /search?q=&category=&brand=&min_price=&max_price=&in_stock=&sort=&limit=&cursor=` → 200
//! `{items, total, facets, sort, next_cursor}` (public, cacheable for a few seconds).
//!
//! Full text over name, description, brand and category (`ferrocart_search::query`): stemmed,
//! typo-tolerant, the last word a prefix unless `q` ends with a space. Only active products;
//! prices are today's (the sale price while a sale runs), and `min_price`/`max_price` filter on
//! them. Facets are counted for the query and the other filters (a brand's count ignores the
//! brand filter). An empty `q` lists by `sort` (default `newest`; with words, `relevance`).
//! `next_cursor` is bound to the query, filters and sort that made it: any other cursor is 422
//! `invalid_cursor`, as for every listing (400 is for what breaks the schema).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::views::product_view::ProductSummary;
use ferrocart::{ApiError, http, validate};
use ferrocart_search::live::LiveIndex;
use ferrocart_search::query::{self, Band, Filters, SearchRequest, Sort};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub struct Context {
    pub index: LiveIndex,
    pub media_base_url: String,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            index: LiveIndex::from_startup(startup)?,
            media_base_url: startup.media_base_url(),
        })
    }
}

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 50;
/// The deepest page: results past this many are not paged to (refine the query instead).
pub const MAX_OFFSET: usize = 1_000;
pub const MAX_QUERY_CHARS: usize = 200;
pub const MAX_QUERY_WORDS: usize = 12;

/// Words as openapi.yaml's pattern for `q` counts them: runs of anything but space, tab, line
/// feed, vertical tab, form feed and carriage return (a schema's `\s` is not Rust's whitespace:
/// U+0085 is one and not the other, so the pattern names its separators).
pub fn word_count(text: &str) -> usize {
    text.split([' ', '\t', '\n', '\x0b', '\x0c', '\r'])
        .filter(|w| !w.is_empty())
        .count()
}
/// The largest price bound accepted (10^12 minor units).
pub const MAX_PRICE: u64 = 1_000_000_000_000;
/// Short: a product change is searchable within seconds, and caches must not hide it for long.
pub const CACHE_CONTROL: &str = "public, max-age=10, s-maxage=10";

const PARAMS: &[&str] = &[
    "q",
    "category",
    "brand",
    "min_price",
    "max_price",
    "in_stock",
    "sort",
    "limit",
    "cursor",
];

#[derive(Serialize)]
struct Highlights {
    name: String,
    description: String,
}

#[derive(Serialize)]
struct Item {
    #[serde(flatten)]
    product: ProductSummary,
    highlights: Option<Highlights>,
}

#[derive(Serialize)]
struct Count {
    value: String,
    count: u64,
}

#[derive(Serialize)]
struct PriceBand {
    min: u64,
    max: Option<u64>,
    count: u64,
}

#[derive(Serialize)]
struct FacetsView {
    categories: Vec<Count>,
    brands: Vec<Count>,
    price_bands: Vec<PriceBand>,
}

#[derive(Serialize)]
struct Page {
    items: Vec<Item>,
    total: u64,
    facets: FacetsView,
    sort: &'static str,
    next_cursor: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Cursor {
    /// Results already shown.
    o: usize,
    /// The fingerprint of the query, filters and sort it continues.
    f: String,
}

/// What a cursor is bound to: the same words, filters and sort give the same fingerprint.
fn fingerprint(q: &str, f: &Filters, sort: Sort) -> String {
    let canonical = serde_json::json!([
        q.split_whitespace().collect::<Vec<_>>().join(" "),
        q.ends_with(char::is_whitespace),
        f.category,
        f.brand,
        f.min_price,
        f.max_price,
        f.in_stock,
        sort.as_str()
    ]);
    ferrocart::digest::sha256_hex(canonical.to_string().as_bytes())[..24].to_string()
}

fn invalid_cursor() -> ApiError {
    ApiError::unprocessable(
        "invalid_cursor",
        "cursor",
        "cursor is not one this search returned; start again without it",
    )
}

fn price_param(q: &HashMap<String, String>, name: &'static str) -> Result<Option<u64>, ApiError> {
    q.get(name)
        .map(|v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n <= MAX_PRICE)
                .ok_or_else(|| {
                    ApiError::validation(
                        "invalid_price",
                        name,
                        format!(
                            "{name} must be a whole number of minor units from 0 to {MAX_PRICE}"
                        ),
                    )
                })
        })
        .transpose()
}

/// The request's parameters, every one checked (400 naming it).
fn parse(req: &Request, now: u64) -> Result<SearchRequest, ApiError> {
    let q = http::query_params(req, PARAMS)?;
    let text = validate::query_text(q.get("q"), MAX_QUERY_CHARS)?;
    if word_count(&text) > MAX_QUERY_WORDS {
        return Err(ApiError::validation(
            "too_many_words",
            "q",
            format!("q must have at most {MAX_QUERY_WORDS} words"),
        ));
    }
    let filters = Filters {
        category: q
            .get("category")
            .map(|c| validate::slug(c, "category"))
            .transpose()?,
        brand: q
            .get("brand")
            .map(|b| validate::slug(b, "brand"))
            .transpose()?,
        min_price: price_param(&q, "min_price")?,
        max_price: price_param(&q, "max_price")?,
        in_stock: match q.get("in_stock").map(String::as_str) {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                return Err(ApiError::validation(
                    "invalid_in_stock",
                    "in_stock",
                    "in_stock must be true or false",
                ));
            }
        },
    };
    if let (Some(min), Some(max)) = (filters.min_price, filters.max_price)
        && min > max
    {
        return Err(ApiError::unprocessable(
            "invalid_price_range",
            "min_price",
            "min_price must not be above max_price",
        ));
    }
    let sort = match q.get("sort") {
        None if text.trim().is_empty() => Sort::Newest,
        None => Sort::Relevance,
        Some(s) => Sort::parse(s).ok_or_else(|| {
            ApiError::validation(
                "invalid_sort",
                "sort",
                "sort must be relevance, price_asc, price_desc or newest",
            )
        })?,
    };
    let limit = http::limit_param(&q, DEFAULT_LIMIT, MAX_LIMIT)?;
    let offset = match q.get("cursor").filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => {
            let bytes = B64.decode(c).map_err(|_| invalid_cursor())?;
            let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid_cursor())?;
            if cursor.f != fingerprint(&text, &filters, sort) || cursor.o > MAX_OFFSET {
                return Err(invalid_cursor());
            }
            cursor.o
        }
    };
    Ok(SearchRequest {
        last_word_is_prefix: !text.is_empty() && !text.ends_with(char::is_whitespace),
        q: text,
        filters,
        sort,
        offset,
        limit,
        highlight: true,
        now,
    })
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let search = parse(&req, ferrocart::time::now_unix())?;
    let loaded = ctx.index.current().await.map_err(ApiError::unavailable)?;
    let results = query::search(&loaded.catalog, &search).map_err(ApiError::internal)?;
    let shown = search.offset + results.hits.len();
    let next_cursor = (shown < results.total as usize && shown <= MAX_OFFSET).then(|| {
        let c = Cursor {
            o: shown,
            f: fingerprint(&search.q, &search.filters, search.sort),
        };
        B64.encode(serde_json::to_vec(&c).unwrap_or_default())
    });
    let counts = |v: Vec<(String, u64)>| {
        v.into_iter()
            .map(|(value, count)| Count { value, count })
            .collect()
    };
    let page = Page {
        items: results
            .hits
            .into_iter()
            .map(|h| Item {
                product: ProductSummary::of(&h.card, &ctx.media_base_url),
                highlights: match (h.name_html, h.description_html) {
                    (Some(name), Some(description)) => Some(Highlights { name, description }),
                    _ => None,
                },
            })
            .collect(),
        total: results.total,
        facets: FacetsView {
            categories: counts(results.facets.categories),
            brands: counts(results.facets.brands),
            price_bands: results
                .facets
                .price_bands
                .into_iter()
                .map(|Band { min, max, count }| PriceBand { min, max, count })
                .collect(),
        },
        sort: search.sort.as_str(),
        next_cursor,
    };
    Ok(http::cacheable_json(&req, &page, CACHE_CONTROL))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn request(query: &str) -> Request {
        let r = lambda_http::http::Request::builder()
            .uri(format!("https://example.com/search?{query}"))
            .body(Body::Empty)
            .unwrap();
        use lambda_http::RequestExt;
        let params: HashMap<String, Vec<String>> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), vec![v.replace('+', " ")])
            })
            .collect();
        r.with_query_string_parameters(params)
    }

    #[test]
    fn cursors_are_bound_to_the_query_filters_and_sort() {
        let f = Filters::default();
        let c = B64.encode(
            serde_json::to_vec(&Cursor {
                o: 20,
                f: fingerprint("red kettle", &f, Sort::Relevance),
            })
            .unwrap(),
        );
        let ok = parse(&request(&format!("q=red+kettle&cursor={c}")), 0).unwrap();
        assert_eq!(ok.offset, 20);
        for other in [
            format!("q=blue+kettle&cursor={c}"),
            format!("q=red+kettle&sort=price_asc&cursor={c}"),
            format!("q=red+kettle&brand=acme&cursor={c}"),
            "q=red+kettle&cursor=!!".to_string(),
        ] {
            let e = parse(&request(&other), 0).unwrap_err();
            assert_eq!(e.code(), "invalid_cursor", "{other}");
        }
    }

    #[test]
    fn bad_parameters_are_400s_naming_them() {
        for (query, code) in [
            ("colour=red", "unknown_parameter"),
            ("min_price=-1", "invalid_price"),
            ("max_price=1.5", "invalid_price"),
            ("in_stock=yes", "invalid_in_stock"),
            ("sort=cheapest", "invalid_sort"),
            ("limit=0", "invalid_limit"),
            ("limit=51", "invalid_limit"),
            ("category=Not+A+Slug", "invalid_slug"),
        ] {
            let e = parse(&request(query), 0).unwrap_err();
            assert_eq!(e.code(), code, "{query}");
            assert_eq!(e.status(), 400, "{query}");
        }
        // schema-valid, but not something this API can answer: 422
        for (query, code) in [
            ("min_price=500&max_price=100", "invalid_price_range"),
            ("cursor=eyJvIjoxLCJmIjoieCJ9", "invalid_cursor"),
        ] {
            let e = parse(&request(query), 0).unwrap_err();
            assert_eq!((e.code(), e.status().as_u16()), (code, 422), "{query}");
        }
        let long = "a".repeat(MAX_QUERY_CHARS + 1);
        assert_eq!(
            parse(&request(&format!("q={long}")), 0).unwrap_err().code(),
            "query_too_long"
        );
        // U+0085 is whitespace to Rust, not to the schema: one word, as the schema counts.
        assert_eq!(word_count("a\u{85}b \x0bc\td\u{a0}e\r\n"), 3);
        let words = vec!["w"; MAX_QUERY_WORDS + 1].join("+");
        assert_eq!(
            parse(&request(&format!("q={words}")), 0)
                .unwrap_err()
                .code(),
            "too_many_words"
        );
        let empty = parse(&request("category=kitchen"), 0).unwrap();
        assert_eq!(empty.sort, Sort::Newest);
        assert!(!empty.last_word_is_prefix);
        let typing = parse(&request("q=kett"), 0).unwrap();
        assert_eq!(typing.sort, Sort::Relevance);
        assert!(typing.last_word_is_prefix);
        assert!(!parse(&request("q=kettle+"), 0).unwrap().last_word_is_prefix);
    }
}
