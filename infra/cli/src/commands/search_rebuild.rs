//! `ferrocart search-rebuild`: rebuilds the local stack's search index from the active products
//! and publishes it (the search-indexer function invoked with `{"rebuild": true}`, as
//! `aws lambda invoke --function-name <SearchIndexerFunction> --payload '{"rebuild":true}'` does
//! for a deployed stack).

use crate::local::{CONTROL_PORT, http};
use anyhow::{Result, bail};

/// The indexer's logical id in template.yaml.
pub const INDEXER: &str = "SearchIndexerFunction";

pub async fn run() -> Result<()> {
    let url = format!("http://127.0.0.1:{CONTROL_PORT}/2015-03-31/functions/{INDEXER}/invocations");
    let r = http().post(url).body(r#"{"rebuild":true}"#).send().await?;
    let failed = r.headers().contains_key("x-amz-function-error");
    let status = r.status();
    let body = r.text().await?;
    if failed || !status.is_success() {
        bail!("the rebuild failed ({status}): {body}");
    }
    println!("{body}");
    Ok(())
}
