//! `ferrocart seed`: the demo catalog, warehouses, stock and accounts (re-runnable).

use super::Target;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(args: Args) -> Result<()> {
    crate::seed::seed(&args.target.store().await?).await
}
