//! `bench-recommend [lines...]`: for each number of order lines (default 1,000,000), writes a
//! synthetic lake in memory as order-archiver does (one NDJSON object per 1,000 orders, 1-6
//! lines an order, 10,000 products in 20 categories, popularity skewed so a few products are in
//! many orders), then runs the recommendations job's work on it in-process: parse and dedupe the
//! objects, count co-occurrence, rank every product's top 10 with the category fill. Prints one
//! JSON line per size: the lake's bytes, each phase's time, and the process's peak RSS (which
//! includes the synthetic lake itself, held in memory: `lake_mib`).
//! Deterministic: the same lake each run. S3 and DynamoDB time are not in it (see
//! docs/performance.md for the job's calls).

use ferrocart::ids::{OrderId, ProductId, UserId};
use ferrocart::lake::{OrderPaid, PaidLine};
use recommendations::score::Counts;
use recommendations::{Read, read_object};
use std::collections::HashSet;
use std::time::Instant;

const PRODUCTS: u64 = 10_000;
const CATEGORIES: u64 = 20;
const ORDERS_PER_OBJECT: usize = 1_000;

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Skewed towards small numbers: the square of a uniform draw.
    fn skewed(&mut self, n: u64) -> u64 {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((u * u) * n as f64) as u64
    }
}

fn product(n: u64) -> ProductId {
    ProductId::parse(&format!("01900000-0000-7000-8000-{n:012}"))
        .unwrap_or_else(ProductId::generate)
}

/// The lake's objects for about `lines` order lines.
fn lake(lines: usize) -> Vec<String> {
    let mut rng = Rng(42);
    let customer = UserId::generate();
    let mut objects = Vec::new();
    let mut body = String::new();
    let (mut written, mut in_object) = (0usize, 0usize);
    while written < lines {
        let count = 1 + (rng.next() % 6) as usize;
        // Baskets lean towards one category (what is bought together usually is).
        let category = rng.next() % CATEGORIES;
        let lines: Vec<PaidLine> = (0..count)
            .map(|k| {
                let n = if k % 3 == 2 {
                    rng.skewed(PRODUCTS)
                } else {
                    rng.skewed(PRODUCTS / CATEGORIES) * CATEGORIES + category
                };
                PaidLine {
                    product_id: product(n),
                    name: format!("Product {n}"),
                    quantity: 1,
                    unit_price: 1_000 + n as i64,
                    line_total: 1_000 + n as i64,
                    discount: 0,
                    tax: 0,
                }
            })
            .collect();
        written += lines.len();
        let order = OrderPaid {
            schema: ferrocart::lake::SCHEMA_VERSION,
            kind: ferrocart::lake::ORDER_PAID.into(),
            order_id: OrderId::generate(),
            paid_at: "2026-12-04T12:00:00Z".into(),
            created_at: "2026-12-04T11:59:00Z".into(),
            customer: customer.clone(),
            guest: false,
            currency: "GBP".into(),
            subtotal: lines.iter().map(|l| l.line_total).sum(),
            shipping: 499,
            tax_total: 0,
            tax_included: true,
            discount_code: None,
            discount: 0,
            total: lines.iter().map(|l| l.line_total).sum::<i64>() + 499,
            country: "GB".into(),
            shipping_option: Some("uk-standard".into()),
            lines,
        };
        body.push_str(&serde_json::to_string(&order).unwrap_or_default());
        body.push('\n');
        in_object += 1;
        if in_object == ORDERS_PER_OBJECT {
            objects.push(std::mem::take(&mut body));
            in_object = 0;
        }
    }
    if !body.is_empty() {
        objects.push(body);
    }
    objects
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000_000]
    } else {
        sizes
    };
    for lines in sizes {
        let objects = lake(lines);
        let bytes: usize = objects.iter().map(String::len).sum();
        let catalog: Vec<(ProductId, String)> = (0..PRODUCTS)
            .map(|n| (product(n), format!("c{}", n % CATEGORIES)))
            .collect();

        let t = Instant::now();
        let mut read = Read::default();
        let mut seen = HashSet::new();
        let mut counts = Counts::new(catalog);
        for o in &objects {
            read_object(o, &mut seen, &mut read, &mut counts);
        }
        let read_and_count = t.elapsed();

        let t = Instant::now();
        let lists = counts.recommend();
        let rank = t.elapsed();
        let with_ten = lists.values().filter(|l| l.len() == 10).count();
        println!(
            "{}",
            serde_json::json!({
                "order_lines": read.lines,
                "orders": read.orders,
                "objects": read.objects,
                "lake_bytes": bytes,
                "bytes_per_order": bytes / read.orders.max(1),
                "products": lists.len(),
                "products_with_ten": with_ten,
                "read_and_count_ms": read_and_count.as_millis(),
                "rank_ms": rank.as_millis(),
                "total_ms": (read_and_count + rank).as_millis(),
                "lake_mib": bytes / (1024 * 1024),
                "peak_rss_mib": peak_rss_kib() / 1024,
            })
        );
    }
}
