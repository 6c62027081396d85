//! `bench-search [sizes...] [--queries N]`: for each catalog size (default 10,000 and 100,000
//! synthetic products), builds the index in a temporary directory as the indexer does (one writer,
//! one commit), then opens it as the search function does and answers a fixed mix of queries with
//! facets and highlights (2-word and 1-word, misspelt, typed as a prefix, filtered, empty with a
//! sort), printing one JSON line per size: build time and rate, index size, open time, and query
//! latency p50/p90/p99/max in microseconds. Deterministic: the same catalog and queries each run.

use ferrocart::ids::ProductId;
use ferrocart::store::catalog::{NewProduct, ProductItem, ProductStatus, TaxClass};
use ferrocart_search::query::{Filters, SearchRequest, Sort, search};
use ferrocart_search::{Catalog, Language, SearchDoc};
use std::time::Instant;

const ADJECTIVES: [&str; 24] = [
    "classic", "studio", "compact", "rugged", "elegant", "vintage", "modern", "folding", "heavy",
    "light", "deluxe", "basic", "premium", "travel", "garden", "kitchen", "office", "outdoor",
    "nordic", "urban", "rustic", "smart", "silent", "portable",
];
const MATERIALS: [&str; 16] = [
    "steel", "oak", "bamboo", "ceramic", "copper", "linen", "wool", "glass", "leather", "cotton",
    "walnut", "brass", "granite", "cork", "rattan", "silicone",
];
const NOUNS: [&str; 40] = [
    "kettle",
    "toaster",
    "knife",
    "board",
    "saucepan",
    "colander",
    "whisk",
    "teapot",
    "bowl",
    "grater",
    "hose",
    "trowel",
    "pruner",
    "planter",
    "rake",
    "lamp",
    "stapler",
    "notebook",
    "pen",
    "organiser",
    "stand",
    "tray",
    "towel",
    "mat",
    "basket",
    "lantern",
    "backpack",
    "blanket",
    "cushion",
    "mirror",
    "shelf",
    "hook",
    "candle",
    "vase",
    "clock",
    "chair",
    "stool",
    "table",
    "rug",
    "curtain",
];
const FILLER: [&str; 20] = [
    "made", "to", "last", "with", "a", "finish", "that", "ages", "well", "easy", "clean", "gift",
    "home", "everyday", "use", "designed", "in", "small", "batches", "quality",
];
const CATEGORIES: [&str; 8] = [
    "kitchen", "garden", "office", "bath", "lighting", "outdoor", "textiles", "storage",
];

/// A small deterministic generator (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

fn catalog(n: usize) -> Vec<SearchDoc> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|i| {
            let (a, m, noun) = (
                rng.pick(&ADJECTIVES),
                rng.pick(&MATERIALS),
                rng.pick(&NOUNS),
            );
            let name = format!("{} {} {} {}", cap(a), cap(m), cap(noun), i % 97);
            let description: Vec<&str> = (0..18)
                .map(|k| if k % 6 == 0 { noun } else { rng.pick(&FILLER) })
                .collect();
            let mut p = ProductItem::new(
                ProductId::derived(&format!("bench-{i}")),
                NewProduct {
                    name,
                    description: description.join(" "),
                    category: rng.pick(&CATEGORIES).to_string(),
                    brand: format!("brand-{}", rng.next() % 50),
                    price: 500 + (rng.next() % 40_000) as i64,
                    currency: "EUR".into(),
                    weight_grams: 500,
                    tax_class: TaxClass::default(),
                    status: ProductStatus::Active,
                },
                1_700_000_000 + i as u64,
            );
            p.stock_available = (rng.next() % 40) as i64;
            if i % 10 == 0 {
                p.sale_price = Some(p.price * 8 / 10);
            }
            SearchDoc::of(&p).expect("active")
        })
        .collect()
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn requests() -> Vec<SearchRequest> {
    let base = SearchRequest {
        q: String::new(),
        last_word_is_prefix: false,
        filters: Filters::default(),
        sort: Sort::Relevance,
        offset: 0,
        limit: 20,
        highlight: true,
        now: 1_800_000_000,
    };
    let mut out = Vec::new();
    for (q, prefix) in [
        ("steel kettle", false),
        ("stel kettle", false), // misspelt
        ("bamboo tray", false),
        ("copper lmap", false), // misspelt
        ("leather backpack", false),
        ("walnut sh", true), // typed so far
        ("portable", false),
        ("organizer", false), // organiser, one edit
        ("silent clock", false),
        ("ceramic vase", false),
        ("kitch", true),
        ("garden planter", false),
    ] {
        out.push(SearchRequest {
            q: q.into(),
            last_word_is_prefix: prefix,
            ..base.clone()
        });
    }
    out.push(SearchRequest {
        q: "oak table".into(),
        filters: Filters {
            category: Some("storage".into()),
            max_price: Some(20_000),
            in_stock: true,
            ..Filters::default()
        },
        ..base.clone()
    });
    out.push(SearchRequest {
        filters: Filters {
            brand: Some("brand-7".into()),
            ..Filters::default()
        },
        sort: Sort::PriceAsc,
        highlight: false,
        ..base.clone()
    });
    out
}

fn percentile(sorted: &[u128], p: f64) -> u128 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|r| {
            r.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// `--s3`, against a running local stack (`ferrocart run -- ...`): the index published to S3 as
/// the indexer publishes it, then loaded as a cold search function loads it (download into a
/// fresh directory, open, first query), then the indexer's steady work: batches of 100 changed
/// products applied and published, each a new version.
fn s3_figures(n: usize, batches: usize) -> Result<(), Box<dyn std::error::Error>> {
    use ferrocart_search::Change;
    use ferrocart_search::live::LiveIndex;
    use ferrocart_search::publish::IndexStore;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let conf = ferrocart::settings::sdk_config().await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&conf)
                .force_path_style(true)
                .build(),
        );
        let bucket = "ferrocart-searchindexbucket".to_string();
        let prefix = format!("bench-{}-{}/", n, ferrocart::time::now_unix_ms());
        let store = IndexStore::new(s3, bucket, prefix);
        let docs = catalog(n);
        let dir = std::env::temp_dir().join(format!("bench-s3-{n}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut writer = Catalog::create(&dir, Language::English)?;
        writer.fill(&docs)?;
        let t = Instant::now();
        let mut published = store
            .publish(
                &writer.index,
                &dir,
                "en",
                None,
                ferrocart::time::now_unix_ms(),
            )
            .await?;
        let first_publish_ms = t.elapsed().as_secs_f64() * 1e3;

        // A cold search function: nothing in its /tmp.
        let root = std::env::temp_dir().join(format!("bench-s3-live-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let live = LiveIndex::new(
            store.clone(),
            root.clone(),
            std::time::Duration::from_secs(3600),
        );
        let t = Instant::now();
        let loaded = live.current().await?;
        let load_ms = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let r = search(&loaded.catalog, &requests()[0])?;
        let first_query_ms = t.elapsed().as_secs_f64() * 1e3;
        assert!(r.total > 0);

        // The indexer: batches of 100 renamed products, each applied and published.
        let mut times = Vec::new();
        for b in 0..batches {
            let changes: Vec<_> = docs
                .iter()
                .skip((b * 100) % n.max(1))
                .take(100)
                .map(|d| {
                    let mut next = d.card.clone();
                    next.name = format!("{} mk{b}", next.name);
                    let doc = SearchDoc::of(&ProductItem {
                        description: d.description.clone(),
                        ..next
                    })
                    .ok_or("an active product")?;
                    Ok::<_, String>((doc.card.product_id.clone(), Change::Upsert(Box::new(doc))))
                })
                .collect::<Result<_, _>>()?;
            let t = Instant::now();
            writer.apply(&changes)?;
            published = store
                .publish(
                    &writer.index,
                    &dir,
                    "en",
                    Some(&published),
                    ferrocart::time::now_unix_ms(),
                )
                .await?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        let total: f64 = times.iter().sum();
        println!(
            "{}",
            serde_json::json!({
                "products": n,
                "index_bytes_on_s3": published_bytes(&dir, &published.pointer.files),
                "files": published.pointer.files.len(),
                "first_publish_ms": first_publish_ms.round(),
                "cold_load_ms": (load_ms * 10.0).round() / 10.0,
                "cold_first_query_ms": (first_query_ms * 100.0).round() / 100.0,
                "indexer_batches": batches,
                "indexer_batch_p50_ms": times.get(times.len() / 2).map(|v| v.round()),
                "indexer_batch_max_ms": times.last().map(|v| v.round()),
                "indexer_products_per_second": (batches as f64 * 100.0 / (total / 1e3)).round(),
            })
        );
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&root);
        Ok(())
    })
}

fn published_bytes(dir: &std::path::Path, files: &[String]) -> u64 {
    files
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut sizes = Vec::new();
    let mut rounds = 200usize;
    let mut detail = false;
    let mut s3 = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--s3" {
            s3 = true;
        } else if a == "--detail" {
            detail = true;
        } else if a == "--rounds" {
            rounds = args.next().ok_or("--rounds N")?.parse()?;
        } else {
            sizes.push(a.parse::<usize>()?);
        }
    }
    if sizes.is_empty() {
        sizes = vec![10_000, 100_000];
    }
    if s3 {
        for n in sizes {
            s3_figures(n, 20)?;
        }
        return Ok(());
    }
    for n in sizes {
        let docs = catalog(n);
        let dir = std::env::temp_dir().join(format!("bench-search-{n}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let built = Instant::now();
        let mut writer = Catalog::create(&dir, Language::English)?;
        writer.fill(&docs)?;
        let build_ms = built.elapsed().as_secs_f64() * 1e3;
        drop(writer);
        let bytes = dir_bytes(&dir);
        let opened = Instant::now();
        let catalog = Catalog::open(&dir, Language::English)?;
        let open_ms = opened.elapsed().as_secs_f64() * 1e3;
        let reqs = requests();
        let first = Instant::now();
        let r = search(&catalog, &reqs[0])?;
        let first_query_us = first.elapsed().as_micros();
        assert!(r.total > 0, "the first query matches");
        let mut times = Vec::with_capacity(rounds * reqs.len());
        let mut per: Vec<Vec<u128>> = vec![Vec::new(); reqs.len()];
        let mut matched = 0u64;
        for _ in 0..rounds {
            for (i, req) in reqs.iter().enumerate() {
                let t = Instant::now();
                let r = search(&catalog, req)?;
                let us = t.elapsed().as_micros();
                times.push(us);
                per[i].push(us);
                matched += r.total;
            }
        }
        if detail {
            for (req, mut t) in reqs.iter().zip(per) {
                t.sort_unstable();
                eprintln!(
                    "{:>24} {:?} p50 {:>6} us p99 {:>6} us",
                    format!("{:?}", req.q),
                    req.sort,
                    percentile(&t, 0.5),
                    percentile(&t, 0.99)
                );
            }
        }
        times.sort_unstable();
        println!(
            "{}",
            serde_json::json!({
                "products": n,
                "build_ms": build_ms.round(),
                "indexed_per_second": (n as f64 / (build_ms / 1e3)).round(),
                "index_bytes": bytes,
                "open_ms": (open_ms * 100.0).round() / 100.0,
                "first_query_us": first_query_us,
                "queries": times.len(),
                "mean_matches": matched / times.len() as u64,
                "p50_us": percentile(&times, 0.50),
                "p90_us": percentile(&times, 0.90),
                "p99_us": percentile(&times, 0.99),
                "max_us": times.last(),
            })
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
