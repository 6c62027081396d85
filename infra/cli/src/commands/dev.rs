//! `ferrocart dev`: the whole shop locally (http://127.0.0.1:3000) with demo data, until Ctrl-C.

use crate::local::project_root;
use crate::stack::{Stack, shutdown_signal};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start with an empty table (no demo catalog or accounts).
    #[arg(long)]
    pub no_seed: bool,
}

pub async fn run(args: Args) -> Result<()> {
    let stack = Stack::up(&project_root()?, !args.no_seed).await?;
    eprintln!("[stack] press Ctrl-C to stop");
    shutdown_signal().await;
    stack.down().await;
    Ok(())
}
