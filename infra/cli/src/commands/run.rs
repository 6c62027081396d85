//! `ferrocart run -- CMD...`: brings the stack up, runs CMD against it (its environment points
//! at the local servers), tears the stack down, and exits with CMD's status; 3 if CMD passed but a
//! function made a request its template policy would deny in AWS (the meter's IAM check).

use crate::local::{API_PORT, CONTROL_PORT, local_aws_env, project_root};
use crate::stack::{Stack, shutdown_signal};
use anyhow::{Context, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start with an empty table (no demo catalog or accounts).
    #[arg(long)]
    pub no_seed: bool,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, num_args = 1..)]
    pub command: Vec<String>,
}

pub async fn run(args: Args) -> Result<()> {
    let trailing = args.command;
    let root = project_root()?;
    let stack = Stack::up(&root, !args.no_seed).await?;
    let mut child = tokio::process::Command::new(&trailing[0]);
    child
        .args(&trailing[1..])
        .envs(local_aws_env())
        .env("FERROCART_API_URL", format!("http://127.0.0.1:{API_PORT}"))
        .env(
            "FERROCART_LAMBDA_URL",
            format!("http://127.0.0.1:{CONTROL_PORT}"),
        )
        .env("FERROCART_TABLE", &stack.table)
        .kill_on_drop(true);
    let status = tokio::select! {
        s = child.status() => s.with_context(|| format!("running {}", trailing[0]))?,
        _ = shutdown_signal() => { stack.down().await; std::process::exit(130) }
    };
    let denied = stack.meter.denied();
    stack.down().await;
    if !denied.is_empty() {
        eprintln!(
            "[iam] {} request(s) would be denied in AWS by the calling function's policy in template.yaml:",
            denied.len()
        );
        for d in &denied {
            eprintln!("[iam]   {d}");
        }
        if status.success() {
            std::process::exit(3);
        }
    }
    std::process::exit(status.code().unwrap_or(1));
}
