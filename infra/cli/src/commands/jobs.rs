//! The local stack's jobs, run now: the functions invoked through the local Lambda API as
//! `aws lambda invoke --function-name <logical id's function> --payload ...` does for a
//! deployed stack.
//!
//! - `ferrocart search-rebuild`: the search index rebuilt from the active products
//!   (search-indexer with `{"rebuild": true}`).
//! - `ferrocart recommend [--until DAY] [--window-days N]`: the recommendations job over the
//!   data lake's window (recommendations with `{"until", "window_days"}`); its report is printed.

use crate::local::{CONTROL_PORT, http};
use anyhow::{Result, bail};
use serde_json::json;

/// The indexer's logical id in template.yaml.
pub const INDEXER: &str = "SearchIndexerFunction";
/// The recommendations job's logical id in template.yaml.
pub const RECOMMENDATIONS: &str = "RecommendationsFunction";

#[derive(Debug, clap::Args)]
pub struct RecommendArgs {
    /// The window's last day, YYYY-MM-DD (UTC; default today)
    #[arg(long)]
    pub until: Option<String>,
    /// How many days it spans (default the function's RECOMMENDATIONS_WINDOW_DAYS)
    #[arg(long)]
    pub window_days: Option<u32>,
}

/// Invokes a local function with `payload` and prints its answer; an error if it failed.
pub async fn invoke(function: &str, payload: &serde_json::Value) -> Result<String> {
    let url =
        format!("http://127.0.0.1:{CONTROL_PORT}/2015-03-31/functions/{function}/invocations");
    let r = http().post(url).body(payload.to_string()).send().await?;
    let failed = r.headers().contains_key("x-amz-function-error");
    let status = r.status();
    let body = r.text().await?;
    if failed || !status.is_success() {
        bail!("{function} failed ({status}): {body}");
    }
    println!("{body}");
    Ok(body)
}

pub async fn search_rebuild() -> Result<()> {
    invoke(INDEXER, &json!({"rebuild": true})).await.map(drop)
}

pub async fn recommend(a: RecommendArgs) -> Result<()> {
    let mut payload = json!({});
    if let Some(until) = a.until {
        payload["until"] = json!(until);
    }
    if let Some(days) = a.window_days {
        payload["window_days"] = json!(days);
    }
    invoke(RECOMMENDATIONS, &payload).await.map(drop)
}
