//! `ferrocart create-admin`: an admin account, or an existing account promoted to admin.

use super::Target;
use anyhow::{Result, anyhow};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub email: String,
    /// The password (else FERROCART_ADMIN_PASSWORD); an existing account keeps its own.
    #[arg(long)]
    pub password: Option<String>,
    #[arg(long, default_value = "Administrator")]
    pub name: String,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(args: Args) -> Result<()> {
    let password = match args.password {
        Some(p) => p,
        None => std::env::var("FERROCART_ADMIN_PASSWORD")
            .map_err(|_| anyhow!("give --password or set FERROCART_ADMIN_PASSWORD"))?,
    };
    let store = args.target.store().await?;
    let created = crate::seed::ensure_user(
        &store,
        &args.email,
        &password,
        &args.name,
        ferrocart::auth::Role::Admin,
    )
    .await?;
    println!(
        "{} {} as admin",
        if created {
            "created"
        } else {
            "promoted existing user (password unchanged)"
        },
        args.email
    );
    Ok(())
}
