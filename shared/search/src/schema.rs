//! The index's schema and its analyzers, declared once for the writer and every reader.
//!
//! - Full text: `name`, `description`, `brand_text` and `category_text`, through the shop's
//!   analyzer (words, lower case, accents folded, stemmed in the shop's language).
//! - `words`: the same text unstemmed, indexed only for its term dictionary: the typo-tolerant and
//!   prefix words of a query are expanded against it to the real words of the catalog.
//! - Filters, facets and sorting read columns (fast fields): `brand`, `category` (slugs), the
//!   price and its sale window, availability, creation time.
//! - `card`: the stored product (JSON) a hit is shown from, as the listings show it.

use tantivy::Index;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer,
};

/// The stemmed analyzer of the full-text fields.
pub const SHOP_ANALYZER: &str = "shop";
/// Words as written (lower case, accents folded): the `words` dictionary.
pub const PLAIN_ANALYZER: &str = "plain";
/// A query's words: plain, less the language's stop words.
pub const QUERY_ANALYZER: &str = "query";

/// Tokens longer than this are dropped (nobody searches for them; they bloat the dictionary).
const LONGEST_WORD: usize = 40;

#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub name: Field,
    pub description: Field,
    pub brand_text: Field,
    pub category_text: Field,
    pub words: Field,
    pub brand: Field,
    pub category: Field,
    pub price: Field,
    pub sale_price: Field,
    pub sale_starts: Field,
    pub sale_ends: Field,
    pub availability: Field,
    pub created: Field,
    pub card: Field,
}

/// Column names, read by the collector.
pub mod columns {
    pub const BRAND: &str = "brand";
    pub const CATEGORY: &str = "category";
    pub const PRICE: &str = "price";
    pub const SALE_PRICE: &str = "sale_price";
    pub const SALE_STARTS: &str = "sale_starts";
    pub const SALE_ENDS: &str = "sale_ends";
    pub const AVAILABILITY: &str = "availability";
    pub const CREATED: &str = "created";
}

fn text(analyzer: &str, stored: bool, record: IndexRecordOption) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(record),
    );
    if stored {
        options.set_stored()
    } else {
        options
    }
}

pub fn schema() -> (Schema, Fields) {
    use IndexRecordOption::{Basic, WithFreqs as Freqs, WithFreqsAndPositions as Positions};
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        name: b.add_text_field("name", text(SHOP_ANALYZER, true, Positions)),
        description: b.add_text_field("description", text(SHOP_ANALYZER, true, Freqs)),
        brand_text: b.add_text_field("brand_text", text(SHOP_ANALYZER, false, Freqs)),
        category_text: b.add_text_field("category_text", text(SHOP_ANALYZER, false, Freqs)),
        words: b.add_text_field("words", text(PLAIN_ANALYZER, false, Basic)),
        brand: b.add_text_field(columns::BRAND, STRING | FAST),
        category: b.add_text_field(columns::CATEGORY, STRING | FAST),
        price: b.add_u64_field(columns::PRICE, FAST | INDEXED),
        sale_price: b.add_u64_field(columns::SALE_PRICE, FAST),
        sale_starts: b.add_u64_field(columns::SALE_STARTS, FAST),
        sale_ends: b.add_u64_field(columns::SALE_ENDS, FAST),
        availability: b.add_u64_field(columns::AVAILABILITY, FAST),
        created: b.add_u64_field(columns::CREATED, FAST),
        card: b.add_text_field("card", STORED),
    };
    (b.build(), fields)
}

/// The language named by an ISO 639-1 code (`SEARCH_LANGUAGE`), for stemming and stop words.
pub fn language(code: &str) -> Option<Language> {
    Some(match code {
        "ar" => Language::Arabic,
        "da" => Language::Danish,
        "nl" => Language::Dutch,
        "en" => Language::English,
        "fi" => Language::Finnish,
        "fr" => Language::French,
        "de" => Language::German,
        "el" => Language::Greek,
        "hu" => Language::Hungarian,
        "it" => Language::Italian,
        "no" | "nb" => Language::Norwegian,
        "pt" => Language::Portuguese,
        "ro" => Language::Romanian,
        "ru" => Language::Russian,
        "es" => Language::Spanish,
        "sv" => Language::Swedish,
        "ta" => Language::Tamil,
        "tr" => Language::Turkish,
        _ => return None,
    })
}

fn plain() -> tantivy::tokenizer::TextAnalyzerBuilder<impl tantivy::tokenizer::Tokenizer + 'static>
{
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
}

/// Registers the three analyzers on an index (the writer's and every reader's).
pub fn register(index: &Index, language: Language) {
    let manager = index.tokenizers();
    manager.register(
        SHOP_ANALYZER,
        plain().filter(Stemmer::new(language)).build(),
    );
    manager.register(PLAIN_ANALYZER, plain().build());
    manager.register(
        QUERY_ANALYZER,
        match StopWordFilter::new(language) {
            Some(stop) => plain().filter(stop).build(),
            None => plain().build(),
        },
    );
}

/// The tokens `analyzer` makes of `text`.
pub fn tokens(index: &Index, analyzer: &str, text: &str) -> Vec<String> {
    let Some(mut a) = index.tokenizers().get(analyzer) else {
        return Vec::new();
    };
    let mut stream = a.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}
