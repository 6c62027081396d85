//! A shopper's query: words to a tantivy query, then one pass over the matches that filters,
//! counts the facets and keeps the top of the chosen order.
//!
//! **Words.** The query's words (stop words dropped) must all match (AND). Each word matches its
//! stem in `name` (×3), `brand_text` and `category_text` (×2) or `description` (×1), scored by
//! BM25; or, typo-tolerant, any catalog word within one edit (words of 5+ letters) or two (9+),
//! found in the `words` dictionary; and the last word, while it is being typed, any catalog word it
//! begins. Those stand-ins are real words: they match through `words` at a constant score below an
//! exact match's, and are highlighted like typed ones. Two or more words that appear as a phrase in
//! the name score more.
//!
//! **Facets** are disjunctive: the brand counts are of the matches that pass every filter but
//! the brand filter, and so for categories and price bands; a shopper filtering by one brand still
//! sees how many the others have. `total` counts the matches that pass every filter.

use crate::schema::{self, Fields, columns};
use crate::{Catalog, SearchError};
use ferrocart::store::catalog::{Pricing, ProductItem};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, PhraseQuery, Query,
    TermQuery, TermSetQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader, Term};

/// Price bands of the facet, in minor units: `[0, 10.00)`, `[10.00, 25.00)`, … `[500.00, ∞)`.
pub const PRICE_BANDS: [u64; 7] = [0, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000];
/// At most this many catalog words stand in for one typed word (the most frequent first).
const MAX_EXPANSIONS: usize = 24;
/// How many characters of the description a snippet shows.
const SNIPPET_CHARS: usize = 160;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "relevance" => Self::Relevance,
            "price_asc" => Self::PriceAsc,
            "price_desc" => Self::PriceDesc,
            "newest" => Self::Newest,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Relevance => "relevance",
            Self::PriceAsc => "price_asc",
            Self::PriceDesc => "price_desc",
            Self::Newest => "newest",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub category: Option<String>,
    pub brand: Option<String>,
    /// Inclusive bounds on today's price (the sale price while a sale runs), in minor units.
    pub min_price: Option<u64>,
    pub max_price: Option<u64>,
    pub in_stock: bool,
}

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub q: String,
    /// The last word is still being typed: match it as a prefix too.
    pub last_word_is_prefix: bool,
    pub filters: Filters,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    pub highlight: bool,
    /// Unix seconds: what "today's price" means.
    pub now: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The product as indexed (its description is in `description`).
    pub card: ProductItem,
    pub score: Score,
    /// `name` and `description` with the matched words in `<b>…</b>` (HTML-escaped), if asked.
    pub name_html: Option<String>,
    pub description_html: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    pub min: u64,
    pub max: Option<u64>,
    pub count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// `(slug, count)`, most first, then by slug.
    pub categories: Vec<(String, u64)>,
    pub brands: Vec<(String, u64)>,
    /// Every band with at least one match, cheapest first.
    pub price_bands: Vec<Band>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    pub total: u64,
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

/// Levenshtein distance a word of `chars` characters may be misspelt by.
pub fn typo_distance(chars: usize) -> u8 {
    match chars {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

struct FieldBoost {
    field: tantivy::schema::Field,
    boost: Score,
}

fn text_fields(f: &Fields) -> [FieldBoost; 4] {
    [
        FieldBoost {
            field: f.name,
            boost: 3.0,
        },
        FieldBoost {
            field: f.brand_text,
            boost: 2.0,
        },
        FieldBoost {
            field: f.category_text,
            boost: 2.0,
        },
        FieldBoost {
            field: f.description,
            boost: 1.0,
        },
    ]
}

/// Catalog words (from the `words` dictionary) the automaton of `query` accepts, most frequent
/// first, at most [`MAX_EXPANSIONS`].
fn expand(
    searcher: &Searcher,
    words: tantivy::schema::Field,
    query: &FuzzyTermQuery,
) -> Result<Vec<String>, SearchError> {
    let mut found: HashMap<String, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(words)?;
        let mut stream = inverted.terms().search(query.automaton()?).into_stream()?;
        while stream.advance() {
            if let Ok(word) = std::str::from_utf8(stream.key()) {
                *found.entry(word.to_string()).or_default() += u64::from(stream.value().doc_freq);
            }
        }
    }
    let mut found: Vec<(String, u64)> = found.into_iter().collect();
    found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    found.truncate(MAX_EXPANSIONS);
    Ok(found.into_iter().map(|(w, _)| w).collect())
}

/// The stemmed form of one plain word (its first token through the shop analyzer).
fn stem(catalog: &Catalog, word: &str) -> Option<String> {
    schema::tokens(&catalog.index, schema::SHOP_ANALYZER, word)
        .into_iter()
        .next()
}

/// What a shopper's words become: the query that finds and scores, and the terms to highlight.
pub struct Built {
    /// Run over the index. Per word: its stem in the text fields, scored by BM25, or (at a
    /// constant, lower score) any of the catalog words that stand in for it, in `words`.
    pub query: Box<dyn Query>,
    /// Never run: names the stems (typed and standing in) in `name` and `description`, for
    /// the snippets.
    pub highlight: Box<dyn Query>,
}

/// Constant score of a word matched only through a stand-in (a typo or a prefix): below what an
/// exact match in the name scores, about what one in the description does.
const STAND_IN_SCORE: Score = 1.0;

/// The query for `q`, or `None` if it has no words (then every product matches).
pub fn build_query(
    catalog: &Catalog,
    searcher: &Searcher,
    q: &str,
    last_word_is_prefix: bool,
) -> Result<Option<Built>, SearchError> {
    let f = &catalog.fields;
    let mut words = schema::tokens(&catalog.index, schema::QUERY_ANALYZER, q);
    if words.is_empty() {
        // Only stop words ("the", "for"): search for them after all.
        words = schema::tokens(&catalog.index, schema::PLAIN_ANALYZER, q);
    }
    if words.is_empty() {
        return Ok(None);
    }
    let last = words.len() - 1;
    let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut highlight: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut stems = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let typed = stem(catalog, word).unwrap_or_else(|| word.clone());
        stems.push(typed.clone());
        let distance = typo_distance(word.chars().count());
        let term = Term::from_field_text(f.words, word);
        let mut automata = Vec::new();
        if distance > 0 {
            automata.push(FuzzyTermQuery::new(term.clone(), distance, true));
        }
        if i == last && last_word_is_prefix {
            automata.push(FuzzyTermQuery::new_prefix(term, distance, true));
        }
        let mut stand_ins: Vec<String> = Vec::new();
        for automaton in &automata {
            for found in expand(searcher, f.words, automaton)? {
                if found != *word && !stand_ins.contains(&found) {
                    stand_ins.push(found);
                }
            }
        }
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for fb in text_fields(f) {
            let q = TermQuery::new(
                Term::from_field_text(fb.field, &typed),
                IndexRecordOption::WithFreqs,
            );
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(q), fb.boost)),
            ));
        }
        if !stand_ins.is_empty() {
            let set =
                TermSetQuery::new(stand_ins.iter().map(|w| Term::from_field_text(f.words, w)));
            should.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(Box::new(set), STAND_IN_SCORE)),
            ));
        }
        must.push((Occur::Must, Box::new(BooleanQuery::new(should))));
        let mut shown = vec![typed];
        for w in &stand_ins {
            if let Some(s) = stem(catalog, w)
                && !shown.contains(&s)
            {
                shown.push(s);
            }
        }
        for s in shown {
            for field in [f.name, f.description] {
                highlight.push((
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, &s),
                        IndexRecordOption::Basic,
                    )),
                ));
            }
        }
    }
    if stems.len() >= 2 {
        let phrase = PhraseQuery::new(
            stems
                .iter()
                .map(|s| Term::from_field_text(f.name, s))
                .collect(),
        );
        must.push((
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(phrase), 4.0)),
        ));
    }
    Ok(Some(Built {
        query: Box::new(BooleanQuery::new(must)),
        highlight: Box::new(BooleanQuery::new(highlight)),
    }))
}

/// One match as the top-k heap orders it: the better, the greater.
#[derive(Debug, Clone, Copy)]
struct Ranked {
    key: f64,
    score: Score,
    address: DocAddress,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        // Equal keys: the earlier document first (greater), so pages are stable.
        self.key.total_cmp(&other.key).then_with(|| {
            (other.address.segment_ord, other.address.doc_id)
                .cmp(&(self.address.segment_ord, self.address.doc_id))
        })
    }
}

/// The top `k` matches (a min-heap of the best so far).
#[derive(Default)]
struct Top {
    k: usize,
    heap: BinaryHeap<std::cmp::Reverse<Ranked>>,
}

impl Top {
    fn push(&mut self, r: Ranked) {
        if self.k == 0 {
            return;
        }
        if self.heap.len() < self.k {
            self.heap.push(std::cmp::Reverse(r));
        } else if self.heap.peek().is_some_and(|w| r > w.0) {
            self.heap.pop();
            self.heap.push(std::cmp::Reverse(r));
        }
    }
}

struct Gather<'a> {
    filters: &'a Filters,
    sort: Sort,
    k: usize,
    now: u64,
}

/// What one segment's pass yields: counts by term ordinal are turned into words at harvest.
pub struct SegmentFruit {
    total: u64,
    top: Vec<Ranked>,
    categories: HashMap<String, u64>,
    brands: HashMap<String, u64>,
    bands: [u64; PRICE_BANDS.len()],
}

struct SegmentGather {
    segment: SegmentOrdinal,
    sort: Sort,
    now: u64,
    filters: Filters,
    brand: Option<StrColumn>,
    category: Option<StrColumn>,
    /// The filter's ordinal in this segment: `Some(None)` if no product here has that value.
    brand_filter: Option<Option<u64>>,
    category_filter: Option<Option<u64>>,
    price: Column<u64>,
    sale_price: Column<u64>,
    sale_starts: Column<u64>,
    sale_ends: Column<u64>,
    availability: Column<u64>,
    created: Column<u64>,
    /// No product of this segment has a sale price: the price column alone says the price.
    no_sales: bool,
    total: u64,
    top: Top,
    /// Counts by term ordinal (the segment's dictionaries are small: brands, categories).
    brand_counts: Vec<u64>,
    category_counts: Vec<u64>,
    bands: [u64; PRICE_BANDS.len()],
}

fn ord_of(
    column: &Option<StrColumn>,
    value: &Option<String>,
) -> tantivy::Result<Option<Option<u64>>> {
    let Some(value) = value else {
        return Ok(None);
    };
    Ok(Some(match column {
        Some(c) => c.dictionary().term_ord(value.as_bytes())?,
        None => None,
    }))
}

fn first_ord(column: &Option<StrColumn>, doc: DocId) -> Option<u64> {
    column.as_ref().and_then(|c| c.term_ords(doc).next())
}

fn band_of(price: u64) -> usize {
    PRICE_BANDS.iter().rposition(|b| price >= *b).unwrap_or(0)
}

impl Collector for Gather<'_> {
    type Fruit = Vec<SegmentFruit>;
    type Child = SegmentGather;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentGather> {
        let ff = reader.fast_fields();
        let brand = ff.str(columns::BRAND)?;
        let category = ff.str(columns::CATEGORY)?;
        let terms = |c: &Option<StrColumn>| c.as_ref().map_or(0, |c| c.dictionary().num_terms());
        let sale_price = ff.u64(columns::SALE_PRICE)?;
        Ok(SegmentGather {
            no_sales: sale_price.min_value() == u64::MAX,
            brand_counts: vec![0; terms(&brand)],
            category_counts: vec![0; terms(&category)],
            segment,
            sort: self.sort,
            now: self.now,
            filters: self.filters.clone(),
            brand_filter: ord_of(&brand, &self.filters.brand)?,
            category_filter: ord_of(&category, &self.filters.category)?,
            brand,
            category,
            price: ff.u64(columns::PRICE)?,
            sale_price,
            sale_starts: ff.u64(columns::SALE_STARTS)?,
            sale_ends: ff.u64(columns::SALE_ENDS)?,
            availability: ff.u64(columns::AVAILABILITY)?,
            created: ff.u64(columns::CREATED)?,
            total: 0,
            top: Top {
                k: self.k,
                heap: BinaryHeap::new(),
            },
            bands: [0; PRICE_BANDS.len()],
        })
    }

    fn requires_scoring(&self) -> bool {
        self.sort == Sort::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<Vec<SegmentFruit>>) -> tantivy::Result<Vec<SegmentFruit>> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentGather {
    fn price_now(&self, doc: DocId) -> u64 {
        if self.no_sales {
            return self.price.first(doc).unwrap_or(0);
        }
        let sale = self.sale_price.first(doc).filter(|p| *p != u64::MAX);
        Pricing {
            price: self.price.first(doc).unwrap_or(0) as i64,
            sale_price: sale.map(|p| p as i64),
            sale_starts_at: self.sale_starts.first(doc).filter(|s| *s != 0),
            sale_ends_at: self.sale_ends.first(doc).filter(|e| *e != u64::MAX),
        }
        .price_at(self.now)
        .max(0) as u64
    }
}

fn passes(filter: &Option<Option<u64>>, ord: Option<u64>) -> bool {
    match filter {
        None => true,
        Some(wanted) => wanted.is_some() && *wanted == ord,
    }
}

impl SegmentGather {
    /// One matching document, its columns read: counted in the facets it passes the other
    /// filters for, and ranked if it passes them all.
    fn gather(
        &mut self,
        doc: DocId,
        score: Score,
        brand: Option<u64>,
        category: Option<u64>,
        price: u64,
        stock_ok: bool,
    ) {
        let f = &self.filters;
        let brand_ok = passes(&self.brand_filter, brand);
        let category_ok = passes(&self.category_filter, category);
        let price_ok =
            f.min_price.is_none_or(|m| price >= m) && f.max_price.is_none_or(|m| price <= m);
        if stock_ok
            && category_ok
            && price_ok
            && let Some(n) = brand.and_then(|b| self.brand_counts.get_mut(b as usize))
        {
            *n += 1;
        }
        if stock_ok
            && brand_ok
            && price_ok
            && let Some(n) = category.and_then(|c| self.category_counts.get_mut(c as usize))
        {
            *n += 1;
        }
        if stock_ok && brand_ok && category_ok {
            self.bands[band_of(price)] += 1;
        }
        if !(stock_ok && brand_ok && category_ok && price_ok) {
            return;
        }
        self.total += 1;
        let key = match self.sort {
            Sort::Relevance => f64::from(score),
            Sort::PriceAsc => -(price as f64),
            Sort::PriceDesc => price as f64,
            Sort::Newest => self.created.first(doc).unwrap_or(0) as f64,
        };
        self.top.push(Ranked {
            key,
            score,
            address: DocAddress::new(self.segment, doc),
        });
    }
}

/// A block's values of one column, read in one call (`Column::first_vals`).
fn block_of(column: &Column<u64>, docs: &[DocId], out: &mut [Option<u64>]) {
    out[..docs.len()].fill(None);
    column.first_vals(docs, &mut out[..docs.len()]);
}

impl SegmentCollector for SegmentGather {
    type Fruit = Vec<SegmentFruit>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let brand = first_ord(&self.brand, doc);
        let category = first_ord(&self.category, doc);
        let price = self.price_now(doc);
        let stock_ok = !self.filters.in_stock || self.availability.first(doc).unwrap_or(0) > 0;
        self.gather(doc, score, brand, category, price, stock_ok);
    }

    /// Unscored matches (every sort but relevance) come in blocks: each column is read for the
    /// whole block at once, which is what makes a listing of the whole catalog cheap.
    fn collect_block(&mut self, docs: &[DocId]) {
        const N: usize = tantivy::COLLECT_BLOCK_BUFFER_LEN;
        for docs in docs.chunks(N) {
            let (mut brands, mut categories) = ([None; N], [None; N]);
            let (mut prices, mut available) = ([None; N], [None; N]);
            if let Some(c) = &self.brand {
                block_of(c.ords(), docs, &mut brands);
            }
            if let Some(c) = &self.category {
                block_of(c.ords(), docs, &mut categories);
            }
            if self.no_sales {
                block_of(&self.price, docs, &mut prices);
            }
            if self.filters.in_stock {
                block_of(&self.availability, docs, &mut available);
            }
            for (i, &doc) in docs.iter().enumerate() {
                let price = if self.no_sales {
                    prices[i].unwrap_or(0)
                } else {
                    self.price_now(doc)
                };
                let stock_ok = !self.filters.in_stock || available[i].unwrap_or(0) > 0;
                self.gather(doc, 0.0, brands[i], categories[i], price, stock_ok);
            }
        }
    }

    fn harvest(self) -> Vec<SegmentFruit> {
        let words = |column: &Option<StrColumn>, counts: Vec<u64>| {
            let mut out = HashMap::new();
            let Some(c) = column else { return out };
            let mut s = String::new();
            for (ord, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                s.clear();
                if c.ord_to_str(ord as u64, &mut s).unwrap_or(false) {
                    out.insert(s.clone(), n);
                }
            }
            out
        };
        vec![SegmentFruit {
            total: self.total,
            top: self.top.heap.into_iter().map(|r| r.0).collect(),
            categories: words(&self.category, self.category_counts),
            brands: words(&self.brand, self.brand_counts),
            bands: self.bands,
        }]
    }
}

fn ranked(counts: HashMap<String, u64>) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = counts.into_iter().filter(|(_, n)| *n > 0).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

pub fn search(catalog: &Catalog, req: &SearchRequest) -> Result<Results, SearchError> {
    let searcher = catalog.reader.searcher();
    let built = build_query(catalog, &searcher, &req.q, req.last_word_is_prefix)?;
    let (query, highlight): (Box<dyn Query>, Option<Box<dyn Query>>) = match built {
        Some(b) => (b.query, Some(b.highlight)),
        None => (Box::new(AllQuery), None),
    };
    let gather = Gather {
        filters: &req.filters,
        sort: req.sort,
        k: req.offset.saturating_add(req.limit),
        now: req.now,
    };
    let fruits = searcher.search(&*query, &gather)?;
    let mut total = 0;
    let mut top = Vec::new();
    let (mut categories, mut brands) = (HashMap::new(), HashMap::new());
    let mut bands = [0u64; PRICE_BANDS.len()];
    for fruit in fruits {
        total += fruit.total;
        top.extend(fruit.top);
        for (k, n) in fruit.categories {
            *categories.entry(k).or_default() += n;
        }
        for (k, n) in fruit.brands {
            *brands.entry(k).or_default() += n;
        }
        for (i, n) in fruit.bands.iter().enumerate() {
            bands[i] += n;
        }
    }
    top.sort_by(|a, b| b.cmp(a));
    let page: Vec<Ranked> = top.into_iter().skip(req.offset).take(req.limit).collect();

    let f = &catalog.fields;
    let snippets = if let Some(h) = highlight.as_ref().filter(|_| req.highlight) {
        let mut description = SnippetGenerator::create(&searcher, &**h, f.description)?;
        description.set_max_num_chars(SNIPPET_CHARS);
        let mut name = SnippetGenerator::create(&searcher, &**h, f.name)?;
        name.set_max_num_chars(SNIPPET_CHARS);
        Some((name, description))
    } else {
        None
    };
    let mut hits = Vec::with_capacity(page.len());
    for r in page {
        let doc: tantivy::TantivyDocument = searcher.doc(r.address)?;
        let card_json = text_of(&doc, f.card).unwrap_or_default();
        let mut card: ProductItem =
            serde_json::from_str(&card_json).map_err(|e| SearchError::Corrupt(e.to_string()))?;
        card.description = text_of(&doc, f.description).unwrap_or_default();
        let (name_html, description_html) = match &snippets {
            Some((n, d)) => {
                let name = n.snippet(&card.name);
                let desc = d.snippet(&card.description);
                (
                    Some(if name.fragment().is_empty() {
                        ferrocart::views::page::escape(&card.name)
                    } else {
                        name.to_html()
                    }),
                    Some(desc.to_html()),
                )
            }
            None => (None, None),
        };
        hits.push(Hit {
            card,
            score: r.score,
            name_html,
            description_html,
        });
    }
    let price_bands = bands
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| Band {
            min: PRICE_BANDS[i],
            max: PRICE_BANDS.get(i + 1).copied(),
            count: *n,
        })
        .collect();
    Ok(Results {
        total,
        hits,
        facets: Facets {
            categories: ranked(categories),
            brands: ranked(brands),
            price_bands,
        },
    })
}

fn text_of(doc: &tantivy::TantivyDocument, field: tantivy::schema::Field) -> Option<String> {
    use tantivy::schema::Value;
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}
