//! `ferrocart meter`: the DynamoDB units and SQS requests the local functions used since the
//! stack started or the last `--reset` (the meter, see meter.rs).

use crate::local::{CONTROL_PORT, http};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start counting afresh.
    #[arg(long)]
    pub reset: bool,
}

pub async fn run(args: Args) -> Result<()> {
    let url = format!("http://127.0.0.1:{CONTROL_PORT}/__local/meter");
    let http = http();
    if args.reset {
        http.post(format!("{url}/reset")).send().await?;
    }
    let v: serde_json::Value = http.get(url).send().await?.json().await?;
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}
