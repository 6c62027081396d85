//! `ferrocart emails`: the emails the running local stack's SES (moto) has accepted.

use crate::local::http;
use crate::template;
use anyhow::{Context, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only emails to this address.
    #[arg(long)]
    pub to: Option<String>,
    /// Print each email's body too.
    #[arg(long)]
    pub body: bool,
}

pub async fn run(args: Args) -> Result<()> {
    print_emails(args.to.as_deref(), args.body).await
}

/// Prints the emails moto's SES has accepted (newest last), optionally only those to `to`.
async fn print_emails(to: Option<&str>, full: bool) -> Result<()> {
    let data: serde_json::Value = http()
        .get(format!("{}/moto-api/data.json", template::MOTO_URL))
        .send()
        .await
        .context("is the local stack running? (make dev)")?
        .json()
        .await?;
    let mut shown = 0;
    for m in data["ses"]["Message"].as_array().into_iter().flatten() {
        let rcpt: Vec<&str> = m["destinations"]["ToAddresses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        if to.is_some_and(|t| !rcpt.contains(&t)) {
            continue;
        }
        shown += 1;
        println!(
            "From: {}\nTo: {}\nSubject: {}\n",
            m["source"].as_str().unwrap_or(""),
            rcpt.join(", "),
            m["subject"].as_str().unwrap_or("")
        );
        if full {
            println!("{}\n", m["body"].as_str().unwrap_or(""));
        }
        println!("----");
    }
    eprintln!("{shown} email(s)");
    Ok(())
}
