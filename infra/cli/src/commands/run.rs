//! `ferrocart run -- CMD...`: brings the stack up, runs CMD against it (its environment points
//! at the local servers), tears the stack down, and exits with CMD's status; 3 if CMD passed but a
//! function made a request its template policy would deny in AWS (the meter's IAM check).
//! With `--log FILE` the stack's own lines go to FILE, and when CMD fails its last lines are
//! printed after CMD's output.

use crate::local::{API_PORT, CONTROL_PORT, local_aws_env, project_root};
use crate::stack::{Stack, shutdown_signal};
use anyhow::{Context, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start with an empty table (no demo catalog or accounts).
    #[arg(long)]
    pub no_seed: bool,
    /// Write the stack's lines (gateway, functions, servers) to this file, not standard error.
    #[arg(long, value_name = "FILE")]
    pub log: Option<std::path::PathBuf>,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, num_args = 1..)]
    pub command: Vec<String>,
}

pub async fn run(args: Args) -> Result<()> {
    let trailing = args.command;
    let root = project_root()?;
    if let Some(path) = &args.log {
        crate::log::to_file(path).with_context(|| format!("opening {}", path.display()))?;
        eprintln!("[stack] its lines go to {}", path.display());
    }
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
    if let (false, Some(path)) = (status.success(), crate::log::file()) {
        print_tail(path, 80);
    }
    std::process::exit(status.code().unwrap_or(1));
}

/// The last `n` lines of the stack's log, for a failed command's reader.
fn print_tail(path: &std::path::Path, n: usize) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let lines: Vec<&str> = text.lines().collect();
    eprintln!(
        "[stack] the last {} of the stack's {} lines (all in {}):",
        n.min(lines.len()),
        lines.len(),
        path.display()
    );
    for l in &lines[lines.len().saturating_sub(n)..] {
        eprintln!("  {l}");
    }
}
