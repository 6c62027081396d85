//! recommendations: a scheduled job. Reads the data lake's paid orders of a window of days
//! (`ferrocart::lake`, written by order-archiver), counts which active products are bought
//! together ([`score`]), and writes each active product's top 10 onto it (`recommended`, served
//! by `GET /products/{id}/recommendations`).
//!
//! - The window is the `window_days` days up to and including `until` (UTC). A scheduled run
//!   takes today and `RECOMMENDATIONS_WINDOW_DAYS`; an invocation may name both
//!   (`{"until": "2026-12-04", "window_days": 30}`; `ferrocart recommend` locally). The same
//!   window over the same lake gives the same lists.
//! - An order is counted once, by `order_id`, whichever objects hold it; lines of a schema it
//!   does not know are skipped and counted in the report.
//! - A product is written only when its list changed, and not as an edit (its `version` stays):
//!   a daily run over a steady shop writes almost nothing, and search does not re-index for it.

pub mod score;

use ferrocart::ids::{OrderId, ProductId};
use ferrocart::lake;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::catalog::Recommendation;
use lambda_runtime::LambdaEvent;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// How many objects are read, and products written, at once.
const CONCURRENCY: usize = 16;
/// The longest window a run may ask for.
pub const MAX_WINDOW_DAYS: u32 = 366;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub struct Context {
    pub store: Store,
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    pub prefix: String,
    pub window_days: u32,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        let days = startup.required("RECOMMENDATIONS_WINDOW_DAYS")?;
        let window_days = days
            .parse()
            .ok()
            .filter(|d| (1..=MAX_WINDOW_DAYS).contains(d))
            .ok_or_else(|| ConfigError::Invalid {
                name: "RECOMMENDATIONS_WINDOW_DAYS",
                reason: format!("{days:?} is not a number of days from 1 to {MAX_WINDOW_DAYS}"),
            })?;
        Ok(Self {
            store: startup.store()?,
            s3: startup.s3(),
            bucket: startup.required("LAKE_BUCKET")?,
            prefix: startup.required("LAKE_ORDERS_PREFIX")?,
            window_days,
        })
    }
}

/// The days a run reads: `from..=until`, `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub from: String,
    pub until: String,
}

impl Window {
    /// `days` days up to and including `until`.
    pub fn ending(until: &str, days: u32) -> Option<Self> {
        if !lake::is_day(until) || !(1..=MAX_WINDOW_DAYS).contains(&days) {
            return None;
        }
        let end = ferrocart::time::parse_rfc3339(&format!("{until}T00:00:00Z"))?;
        let start = end.checked_sub(u64::from(days - 1) * 86_400)?;
        Some(Self {
            from: lake::day_of_unix(start),
            until: until.to_string(),
        })
    }

    /// The window an invocation asks for: its `until` and `window_days`, or today and the
    /// configured length (a scheduled event names neither).
    pub fn of_event(payload: &Value, default_days: u32, today: &str) -> Result<Self, String> {
        let until = match payload.get("until") {
            None => today.to_string(),
            Some(v) => v
                .as_str()
                .filter(|s| lake::is_day(s))
                .ok_or_else(|| format!("until: {v} is not a day YYYY-MM-DD"))?
                .to_string(),
        };
        let days = match payload.get("window_days") {
            None => default_days,
            Some(v) => v
                .as_u64()
                .and_then(|d| u32::try_from(d).ok())
                .filter(|d| (1..=MAX_WINDOW_DAYS).contains(d))
                .ok_or_else(|| format!("window_days: {v} is not from 1 to {MAX_WINDOW_DAYS}"))?,
        };
        Self::ending(&until, days).ok_or_else(|| format!("no window of {days} days to {until}"))
    }
}

pub async fn handle(
    ctx: &Context,
    event: LambdaEvent<Value>,
) -> Result<Value, lambda_runtime::Error> {
    let today = lake::day_of_unix(ferrocart::time::now_unix());
    let window = Window::of_event(&event.payload, ctx.window_days, &today)?;
    let report = run(ctx, &window).await.map_err(|e| {
        tracing::error!(error = %e, "recommendations run failed");
        e
    })?;
    tracing::info!(%report, "recommendations run");
    Ok(report)
}

/// What was read from the lake.
#[derive(Debug, Default)]
pub struct Read {
    pub objects: usize,
    pub orders: usize,
    pub lines: usize,
    pub duplicates: usize,
    pub skipped_lines: usize,
}

/// The part of an [`OrderPaid`] line the job reads (the rest is skipped, not kept).
#[derive(Deserialize)]
struct Basket {
    schema: u32,
    #[serde(rename = "type")]
    kind: String,
    order_id: OrderId,
    lines: Vec<BasketLine>,
}

#[derive(Deserialize)]
struct BasketLine {
    product_id: ProductId,
}

/// Counts one object's orders into `counts` (orders already seen are skipped).
pub fn read_object(
    body: &str,
    seen: &mut HashSet<OrderId>,
    read: &mut Read,
    counts: &mut score::Counts,
) {
    read.objects += 1;
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Basket>(line) {
            Ok(o) if o.schema == lake::SCHEMA_VERSION && o.kind == lake::ORDER_PAID => {
                if seen.insert(o.order_id) {
                    read.orders += 1;
                    read.lines += o.lines.len();
                    counts.add_order(o.lines.iter().map(|l| &l.product_id));
                } else {
                    read.duplicates += 1;
                }
            }
            _ => read.skipped_lines += 1,
        }
    }
}

/// The window's objects, in key order.
async fn window_keys(ctx: &Context, window: &Window) -> Result<Vec<String>, BoxError> {
    let mut keys = Vec::new();
    let mut token = None;
    // Keys sort by day: start just before the first day's objects, stop past the last.
    let start_after = lake::day_prefix(&ctx.prefix, &window.from)
        .trim_end_matches('/')
        .to_string();
    'pages: loop {
        let page = ctx
            .s3
            .list_objects_v2()
            .bucket(&ctx.bucket)
            .prefix(&ctx.prefix)
            .start_after(&start_after)
            .set_continuation_token(token.take())
            .send()
            .await?;
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            match lake::day_of_key(&ctx.prefix, key) {
                Some(day) if day > window.until.as_str() => break 'pages,
                Some(day) if day >= window.from.as_str() => keys.push(key.to_string()),
                _ => {}
            }
        }
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(keys)
}

async fn read_window(
    ctx: &Context,
    window: &Window,
    counts: &mut score::Counts,
) -> Result<Read, BoxError> {
    let keys = window_keys(ctx, window).await?;
    let mut read = Read::default();
    let mut seen = HashSet::new();
    for chunk in keys.chunks(CONCURRENCY) {
        let bodies = futures_util::future::join_all(chunk.iter().map(|key| async move {
            let object = ctx
                .s3
                .get_object()
                .bucket(&ctx.bucket)
                .key(key)
                .send()
                .await?;
            let bytes = object.body.collect().await?.into_bytes();
            Ok::<_, BoxError>(String::from_utf8_lossy(&bytes).into_owned())
        }))
        .await;
        for body in bodies {
            read_object(&body?, &mut seen, &mut read, counts);
        }
    }
    Ok(read)
}

/// One run over `window`: read, count, write what changed. Returns the report.
pub async fn run(ctx: &Context, window: &Window) -> Result<Value, BoxError> {
    let catalog = ctx.store.all_active_products().await?;
    let mut counts = score::Counts::new(
        catalog
            .iter()
            .map(|p| (p.product_id.clone(), p.category.clone()))
            .collect(),
    );
    let read = read_window(ctx, window, &mut counts).await?;
    let lists = counts.recommend();
    let current: HashMap<&ProductId, &Vec<Recommendation>> = catalog
        .iter()
        .map(|p| (&p.product_id, &p.recommended))
        .collect();
    let changed: Vec<(&ProductId, &Vec<Recommendation>)> = lists
        .iter()
        .filter(|(id, list)| current.get(id).is_none_or(|now| now != list))
        .collect();
    let at = ferrocart::time::rfc3339(ferrocart::time::now_unix());
    let mut written = 0;
    for chunk in changed.chunks(CONCURRENCY) {
        let results = futures_util::future::join_all(
            chunk
                .iter()
                .map(|(id, list)| ctx.store.set_recommended(id, list, &at)),
        )
        .await;
        for r in results {
            // `false`: deleted since it was listed, nothing to recommend for.
            written += usize::from(r?);
        }
    }
    let with_history = lists.keys().filter(|id| counts.orders_of(id) > 0).count();
    Ok(json!({
        "window": {"from": window.from, "until": window.until},
        "objects": read.objects,
        "orders": read.orders,
        "duplicate_orders": read.duplicates,
        "skipped_lines": read.skipped_lines,
        "lines": read.lines,
        "products": lists.len(),
        "products_with_orders": with_history,
        "written": written,
        "unchanged": lists.len() - changed.len(),
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn windows_are_days_up_to_until() {
        let w = Window::ending("2026-03-01", 2).unwrap();
        assert_eq!(
            (w.from.as_str(), w.until.as_str()),
            ("2026-02-28", "2026-03-01")
        );
        assert_eq!(Window::ending("2026-03-01", 1).unwrap().from, "2026-03-01");
        assert!(Window::ending("2026-02-30", 1).is_none());
        assert!(Window::ending("2026-03-01", 0).is_none());
        let scheduled = json!({"detail-type": "Scheduled Event", "detail": {}});
        assert_eq!(
            Window::of_event(&scheduled, 90, "2026-12-04").unwrap().from,
            "2026-09-06"
        );
        let asked = json!({"until": "2026-12-01", "window_days": 7});
        assert_eq!(
            Window::of_event(&asked, 90, "2026-12-04").unwrap(),
            Window::ending("2026-12-01", 7).unwrap()
        );
        for bad in [
            json!({"until": "yesterday"}),
            json!({"until": 20261201}),
            json!({"window_days": 0}),
            json!({"window_days": 367}),
            json!({"window_days": "7"}),
        ] {
            assert!(Window::of_event(&bad, 90, "2026-12-04").is_err(), "{bad}");
        }
    }

    #[test]
    fn orders_count_once_and_unknown_lines_are_skipped() {
        let order = |id: &str| {
            json!({
                "schema": 1, "type": "order.paid", "order_id": id,
                "paid_at": "2026-12-04T10:00:00Z", "created_at": "2026-12-04T09:59:00Z",
                "customer": "01900000-0000-7000-8000-0000000000aa", "guest": false,
                "currency": "GBP", "subtotal": 100, "shipping": 0, "tax_total": 0,
                "tax_included": true, "discount": 0, "total": 100, "country": "GB",
                "lines": [],
            })
            .to_string()
        };
        let a = order("01900000-0000-7000-8000-000000000001");
        let b = order("01900000-0000-7000-8000-000000000002");
        let future = a.replace("\"schema\":1", "\"schema\":2");
        let mut read = Read::default();
        let mut seen = HashSet::new();
        let mut counts = score::Counts::new(Vec::new());
        read_object(&format!("{a}\n{b}\n\n"), &mut seen, &mut read, &mut counts);
        read_object(
            &format!("{a}\nnot json\n{future}\n"),
            &mut seen,
            &mut read,
            &mut counts,
        );
        assert_eq!(
            (
                read.objects,
                read.orders,
                read.duplicates,
                read.skipped_lines
            ),
            (2, 2, 1, 2)
        );
    }
}
