//! `ferrocart seed`: the demo catalog, warehouses and stock, and (on the local stack only) the
//! demo accounts (re-runnable). A deployed table never gets the demo accounts: their passwords
//! are published in README.md.

use super::Target;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: Target,
}

/// Whether the demo accounts are seeded: on the local stack only.
pub fn demo_accounts(target: &Target) -> bool {
    !target.aws
}

pub async fn run(args: Args) -> Result<()> {
    let store = args.target.store().await?;
    if !demo_accounts(&args.target) {
        eprintln!(
            "[seed] --aws: the demo catalog only (no demo accounts; create an admin with create-admin)"
        );
    }
    crate::seed::seed(&store, demo_accounts(&args.target)).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_deployed_table_never_gets_the_published_demo_accounts() {
        let aws = super::Target {
            aws: true,
            table: Some("t".into()),
        };
        assert!(!super::demo_accounts(&aws));
        let local = super::Target {
            aws: false,
            table: None,
        };
        assert!(super::demo_accounts(&local));
    }
}
