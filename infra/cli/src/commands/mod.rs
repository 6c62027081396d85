//! One module per `ferrocart` command: its arguments (clap) and what it does.

pub mod bench_functions;
pub mod bench_password;
pub mod bench_resize;
pub mod create_admin;
pub mod dev;
pub mod emails;
pub mod faults;
pub mod jobs;
pub mod meter;
pub mod pay;
pub mod routes;
pub mod run;
pub mod sam_env;
pub mod seed;

use crate::local::{load_template, local_dynamodb, project_root};
use anyhow::{Result, anyhow};
use ferrocart::store::Store;

/// Which table a data command writes: the local stack's, or (`--aws`) a deployed one.
#[derive(Debug, clap::Args)]
pub struct Target {
    /// Write to a deployed table (the usual AWS configuration chain applies) instead of the local stack.
    #[arg(long, requires = "table")]
    pub aws: bool,
    /// The deployed table's name (with --aws).
    #[arg(long, requires = "aws")]
    pub table: Option<String>,
}

impl Target {
    pub async fn store(&self) -> Result<Store> {
        if self.aws {
            let table = self
                .table
                .clone()
                .ok_or_else(|| anyhow!("--aws needs --table <deployed table name>"))?;
            let conf = ferrocart::settings::sdk_config().await;
            Ok(Store::new(aws_sdk_dynamodb::Client::new(&conf), table))
        } else {
            let table = load_template(&project_root()?)?
                .tables
                .first()
                .map(|t| t.local_name.clone())
                .ok_or_else(|| anyhow!("template declares no table"))?;
            Ok(Store::new(local_dynamodb(), table))
        }
    }
}
