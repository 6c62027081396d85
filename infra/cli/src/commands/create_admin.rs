//! `ferrocart create-admin`: a new admin account. An account that already has the email is not
//! promoted unless `--promote-existing` says so, and then it takes the password given here and
//! loses every session: whoever registered the email first (perhaps not its owner) is locked out.

use super::Target;
use anyhow::{Result, anyhow, bail};
use ferrocart::auth::{Role, password};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub email: String,
    /// The password (else FERROCART_ADMIN_PASSWORD).
    #[arg(long)]
    pub password: Option<String>,
    #[arg(long, default_value = "Administrator")]
    pub name: String,
    /// If an account has this email: make it an admin, with this password, and sign it out
    /// everywhere. Only for an account you know is yours.
    #[arg(long)]
    pub promote_existing: bool,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(args: Args) -> Result<()> {
    let pass = match args.password {
        Some(p) => p,
        None => std::env::var("FERROCART_ADMIN_PASSWORD")
            .map_err(|_| anyhow!("give --password or set FERROCART_ADMIN_PASSWORD"))?,
    };
    let store = args.target.store().await?;
    let email = ferrocart::validate::normalise_email(&args.email).map_err(|e| anyhow!("{e}"))?;
    if let Some(existing) = store.find_user_by_email(&email).await? {
        if !args.promote_existing {
            bail!(
                "an account with {email} exists already (role {}). Anyone can register an email, so it is not promoted: \
                 give --promote-existing if the account is yours (it then takes this password and is signed out everywhere)",
                existing.role.as_str()
            );
        }
        ferrocart::validate::password(&pass).map_err(|e| anyhow!("{e}"))?;
        let hash = password::hash(pass).await?;
        store.set_password_hash(&existing.user_id, &hash).await?;
        let now = ferrocart::time::now_unix();
        let revoked = store
            .revoke_all_sessions(&existing.user_id, "admin_promotion", now)
            .await?;
        store.set_role(&existing.user_id, Role::Admin).await?;
        println!(
            "promoted existing account {email} to admin: password replaced, {revoked} session(s) revoked"
        );
        return Ok(());
    }
    crate::seed::ensure_user(&store, &email, &pass, &args.name, Role::Admin).await?;
    println!("created {email} as admin");
    Ok(())
}
