#![allow(clippy::unwrap_used)]

use super::*;
use crate::query::{SearchRequest, Sort, search};
use ferrocart::store::catalog::{NewProduct, ProductItem, ProductStatus, TaxClass};

const NOW: u64 = 1_790_000_000;

fn product(
    name: &str,
    desc: &str,
    category: &str,
    brand: &str,
    price: i64,
    stock: i64,
) -> ProductItem {
    let mut p = ProductItem::new(
        ProductId::derived(name),
        NewProduct {
            name: name.into(),
            description: desc.into(),
            category: category.into(),
            brand: brand.into(),
            price,
            currency: "GBP".into(),
            weight_grams: 100,
            tax_class: TaxClass::default(),
            status: ProductStatus::Active,
        },
        NOW - 1000 + price as u64 % 997,
    );
    p.stock_available = stock;
    p
}

fn catalog_items() -> Vec<ProductItem> {
    vec![
        product(
            "Steel Kettle",
            "A stovetop kettle in brushed steel.",
            "kitchen",
            "acme",
            3_499,
            10,
        ),
        product(
            "Electric Kettle",
            "Boils a litre in two minutes.",
            "kitchen",
            "volta",
            4_999,
            0,
        ),
        product(
            "Trail Running Shoes",
            "Grippy shoes for muddy trails.",
            "shoes",
            "stride",
            8_999,
            3,
        ),
        product(
            "Road Running Shoe",
            "A light shoe for tarmac.",
            "shoes",
            "stride",
            7_499,
            20,
        ),
        product(
            "Hiking Boots",
            "Waterproof leather boots.",
            "shoes",
            "peak",
            12_999,
            5,
        ),
        product(
            "Chef's Knife",
            "Forged carbon steel blade.",
            "kitchen",
            "acme",
            5_999,
            8,
        ),
        product(
            "Cast Iron Skillet",
            "Pre-seasoned cast iron pan.",
            "kitchen",
            "forge",
            2_999,
            12,
        ),
        product(
            "Wool Socks",
            "Merino socks for hiking.",
            "clothing",
            "peak",
            1_499,
            40,
        ),
        product(
            "Rain Jacket",
            "Packable waterproof shell.",
            "clothing",
            "peak",
            9_999,
            2,
        ),
        product(
            "Espresso Machine",
            "Fifteen bar pump espresso maker.",
            "kitchen",
            "volta",
            24_999,
            1,
        ),
    ]
}

fn catalog(items: &[ProductItem]) -> Catalog {
    let mut c = Catalog::in_ram(tantivy::tokenizer::Language::English).unwrap();
    let docs: Vec<SearchDoc> = items.iter().filter_map(SearchDoc::of).collect();
    c.fill(&docs).unwrap();
    c
}

fn req(q: &str) -> SearchRequest {
    SearchRequest {
        q: q.into(),
        last_word_is_prefix: false,
        filters: Filters::default(),
        sort: Sort::Relevance,
        offset: 0,
        limit: 20,
        highlight: true,
        now: NOW,
    }
}

fn names(r: &Results) -> Vec<String> {
    r.hits.iter().map(|h| h.card.name.clone()).collect()
}

#[test]
fn words_match_stemmed_misspelt_and_as_a_prefix() {
    let c = catalog(&catalog_items());
    // exact name first
    assert_eq!(
        names(&search(&c, &req("steel kettle")).unwrap())[0],
        "Steel Kettle"
    );
    // plural and singular find the same products
    let plural = names(&search(&c, &req("kettles")).unwrap());
    let singular = names(&search(&c, &req("kettle")).unwrap());
    assert_eq!(plural.len(), 2);
    let (mut p, mut s) = (plural.clone(), singular.clone());
    p.sort();
    s.sort();
    assert_eq!(p, s);
    // one typo in a word of 5+ letters
    assert!(names(&search(&c, &req("kettel")).unwrap()).contains(&"Steel Kettle".to_string()));
    // short words need to be spelt right
    assert!(search(&c, &req("sock")).unwrap().total == 1);
    assert_eq!(
        search(&c, &req("sokc")).unwrap().total,
        0,
        "4 letters: no typo allowed"
    );
    // two typos in a word of 9+ letters
    assert_eq!(
        names(&search(&c, &req("espreso mashine")).unwrap()),
        ["Espresso Machine"]
    );
    // the last word as it is being typed
    let mut typing = req("hiking bo");
    assert_eq!(
        search(&c, &typing).unwrap().total,
        0,
        "not a prefix: no match"
    );
    typing.last_word_is_prefix = true;
    assert_eq!(names(&search(&c, &typing).unwrap()), ["Hiking Boots"]);
    // brand plus type
    assert_eq!(
        names(&search(&c, &req("volta kettle")).unwrap()),
        ["Electric Kettle"]
    );
    // every word must match
    assert_eq!(search(&c, &req("kettle boots")).unwrap().total, 0);
    // stop words alone still search
    assert_eq!(search(&c, &req("for")).unwrap().total, 3);
}

#[test]
fn highlights_mark_the_matched_words_even_misspelt_ones() {
    let c = catalog(&catalog_items());
    let r = search(&c, &req("kettel")).unwrap();
    let hit = r
        .hits
        .iter()
        .find(|h| h.card.name == "Steel Kettle")
        .unwrap();
    assert_eq!(hit.name_html.as_deref(), Some("Steel <b>Kettle</b>"));
    assert!(
        hit.description_html
            .as_deref()
            .unwrap()
            .contains("<b>kettle</b>")
    );
    let mut typing = req("che");
    typing.last_word_is_prefix = true;
    let r = search(&c, &typing).unwrap();
    let html = r.hits[0].name_html.clone().unwrap();
    assert!(html.starts_with("<b>Chef</b>"), "{html}");
    assert!(!html.contains('\''), "escaped: {html}");
}

/// Facets and filters as a client would compute them from the whole listing.
#[test]
fn filters_and_disjunctive_facets_equal_a_client_side_filter() {
    let items = catalog_items();
    let c = catalog(&items);
    let price = |p: &ProductItem| p.price_at(NOW) as u64;
    for (category, brand, min, max, in_stock) in [
        (None, None, None, None, false),
        (Some("kitchen"), None, None, None, false),
        (Some("kitchen"), Some("acme"), None, None, false),
        (None, Some("peak"), Some(1_500), None, true),
        (None, None, Some(3_000), Some(9_000), true),
        (Some("nowhere"), None, None, None, false),
        (None, Some("volta"), None, None, true),
    ] {
        let f = Filters {
            category: category.map(str::to_string),
            brand: brand.map(str::to_string),
            min_price: min,
            max_price: max,
            in_stock,
        };
        let mut r = req("");
        r.filters = f.clone();
        r.sort = Sort::PriceAsc;
        let got = search(&c, &r).unwrap();
        let ok_cat = |p: &ProductItem| category.is_none_or(|v| p.category == v);
        let ok_brand = |p: &ProductItem| brand.is_none_or(|v| p.brand == v);
        let ok_price = |p: &ProductItem| {
            min.is_none_or(|m| price(p) >= m) && max.is_none_or(|m| price(p) <= m)
        };
        let ok_stock = |p: &ProductItem| !in_stock || p.stock_available > 0;
        let mut want: Vec<&ProductItem> = items
            .iter()
            .filter(|p| ok_cat(p) && ok_brand(p) && ok_price(p) && ok_stock(p))
            .collect();
        want.sort_by_key(|p| price(p));
        assert_eq!(got.total as usize, want.len(), "{f:?}");
        assert_eq!(
            names(&got),
            want.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
            "{f:?}"
        );
        let count = |pred: &dyn Fn(&ProductItem) -> bool, key: &dyn Fn(&ProductItem) -> String| {
            let mut m: std::collections::HashMap<String, u64> = Default::default();
            for p in items.iter().filter(|p| pred(p)) {
                *m.entry(key(p)).or_default() += 1;
            }
            let mut v: Vec<(String, u64)> = m.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v
        };
        assert_eq!(
            got.facets.brands,
            count(&|p| ok_cat(p) && ok_price(p) && ok_stock(p), &|p| p
                .brand
                .clone()),
            "brands {f:?}"
        );
        assert_eq!(
            got.facets.categories,
            count(&|p| ok_brand(p) && ok_price(p) && ok_stock(p), &|p| p
                .category
                .clone()),
            "categories {f:?}"
        );
        let bands: u64 = got.facets.price_bands.iter().map(|b| b.count).sum();
        let want_bands = items
            .iter()
            .filter(|p| ok_cat(p) && ok_brand(p) && ok_stock(p))
            .count() as u64;
        assert_eq!(bands, want_bands, "bands {f:?}");
        for b in &got.facets.price_bands {
            let n = items
                .iter()
                .filter(|p| ok_cat(p) && ok_brand(p) && ok_stock(p))
                .filter(|p| price(p) >= b.min && b.max.is_none_or(|m| price(p) < m))
                .count() as u64;
            assert_eq!(b.count, n, "band {b:?} {f:?}");
        }
    }
}

#[test]
fn sale_prices_count_inside_their_window_and_sorting_pages_stably() {
    let mut items = catalog_items();
    items[6].sale_price = Some(999); // the skillet, on sale now
    items[6].sale_starts_at = Some(NOW - 10);
    items[5].sale_price = Some(1); // the knife: a sale that has not started
    items[5].sale_starts_at = Some(NOW + 10);
    let c = catalog(&items);
    let mut r = req("");
    r.sort = Sort::PriceAsc;
    r.limit = 3;
    let first = search(&c, &r).unwrap();
    assert_eq!(
        names(&first),
        ["Cast Iron Skillet", "Wool Socks", "Steel Kettle"]
    );
    r.filters.max_price = Some(999);
    assert_eq!(names(&search(&c, &r).unwrap()), ["Cast Iron Skillet"]);
    r.filters.max_price = None;
    // pages of 3 walk the same order as one page of all
    let mut all = req("");
    all.sort = Sort::PriceDesc;
    let whole = names(&search(&c, &all).unwrap());
    let mut walked = Vec::new();
    for offset in (0..whole.len()).step_by(3) {
        let mut page = all.clone();
        page.offset = offset;
        page.limit = 3;
        walked.extend(names(&search(&c, &page).unwrap()));
    }
    assert_eq!(walked, whole);
    let mut newest = req("");
    newest.sort = Sort::Newest;
    let got = search(&c, &newest).unwrap();
    let created: Vec<u64> = got
        .hits
        .iter()
        .map(|h| ferrocart::time::parse_rfc3339(&h.card.created_at).unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
}

#[test]
fn changes_apply_once_and_only_when_search_shows_them() {
    let items = catalog_items();
    let mut c = catalog(&items);
    let kettle = items[0].clone();
    // a stock move on the same availability level is nothing to search
    let mut fewer = kettle.clone();
    fewer.stock_available = 9;
    fewer.version += 1;
    assert_eq!(doc::change(Some(&kettle), Some(&fewer)), Change::Nothing);
    // nor is the recommendations job's daily write
    let mut recommended = kettle.clone();
    recommended.recommended = vec![ferrocart::store::catalog::Recommendation {
        product_id: items[1].product_id.clone(),
        why: ferrocart::store::catalog::RecommendedBecause::BoughtTogether,
    }];
    recommended.recommended_at = Some("2026-12-04T00:00:00Z".into());
    assert_eq!(
        doc::change(Some(&kettle), Some(&recommended)),
        Change::Nothing
    );
    // the card says how available, as the listings do
    let shown = |p: &ProductItem| {
        ferrocart::views::product_view::availability(SearchDoc::of(p).unwrap().card.stock_available)
    };
    assert_eq!(shown(&kettle), "in_stock");
    let mut low = kettle.clone();
    low.stock_available = 2;
    assert_eq!(shown(&low), "low_stock");
    // out of stock is something
    let mut none = kettle.clone();
    none.stock_available = 0;
    assert!(matches!(
        doc::change(Some(&kettle), Some(&none)),
        Change::Upsert(_)
    ));
    // a rename, applied twice, leaves one document
    let mut renamed = kettle.clone();
    renamed.name = "Copper Kettle".into();
    let change = doc::change(Some(&kettle), Some(&renamed));
    for _ in 0..2 {
        c.apply(&[(kettle.product_id.clone(), change.clone())])
            .unwrap();
    }
    assert_eq!(c.len(), items.len() as u64);
    assert_eq!(
        names(&search(&c, &req("copper")).unwrap()),
        ["Copper Kettle"]
    );
    assert!(
        !names(&search(&c, &req("steel kettle")).unwrap()).contains(&"Steel Kettle".to_string())
    );
    // archived: gone
    let mut archived = renamed.clone();
    archived.status = ProductStatus::Archived;
    let change = doc::change(Some(&renamed), Some(&archived));
    assert_eq!(change, Change::Remove);
    c.apply(&[(kettle.product_id.clone(), change)]).unwrap();
    assert!(!c.contains(&kettle.product_id).unwrap());
    assert_eq!(c.len(), items.len() as u64 - 1);
    // drafts never enter
    let mut draft = product("Secret Thing", "", "kitchen", "acme", 100, 1);
    draft.status = ProductStatus::Draft;
    assert_eq!(doc::change(None, Some(&draft)), Change::Nothing);
}

#[test]
fn suggestions_are_categories_then_products() {
    let c = catalog(&catalog_items());
    let s = suggest::suggest(&c, "sho", NOW).unwrap();
    assert_eq!(
        s[0],
        suggest::Suggestion::Category {
            slug: "shoes".into(),
            count: 3
        }
    );
    assert!(s.len() <= suggest::MAX_SUGGESTIONS);
    assert!(s.iter().any(
        |x| matches!(x, suggest::Suggestion::Product { name, .. } if name == "Road Running Shoe")
    ));
    assert!(suggest::suggest(&c, "  ", NOW).unwrap().is_empty());
}
