//! Completions for a search box: the categories and products the words typed so far (the last one
//! a prefix) find, at most [`MAX_SUGGESTIONS`] in all.

use crate::query::{self, Filters, SearchRequest, Sort};
use crate::{Catalog, SearchError};
use ferrocart::ids::ProductId;

pub const MAX_SUGGESTIONS: usize = 8;
/// Of those, at most this many are categories (the ones with most matching products).
pub const MAX_CATEGORIES: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suggestion {
    Category { slug: String, count: u64 },
    Product { id: ProductId, name: String },
}

pub fn suggest(catalog: &Catalog, q: &str, now: u64) -> Result<Vec<Suggestion>, SearchError> {
    if q.trim().is_empty() {
        return Ok(Vec::new());
    }
    let results = query::search(
        catalog,
        &SearchRequest {
            q: q.to_string(),
            last_word_is_prefix: !q.ends_with(char::is_whitespace),
            filters: Filters::default(),
            sort: Sort::Relevance,
            offset: 0,
            limit: MAX_SUGGESTIONS,
            highlight: false,
            now,
        },
    )?;
    let mut out: Vec<Suggestion> = results
        .facets
        .categories
        .into_iter()
        .take(MAX_CATEGORIES)
        .map(|(slug, count)| Suggestion::Category { slug, count })
        .collect();
    let room = MAX_SUGGESTIONS - out.len();
    out.extend(
        results
            .hits
            .into_iter()
            .take(room)
            .map(|h| Suggestion::Product {
                id: h.card.product_id,
                name: h.card.name,
            }),
    );
    Ok(out)
}
