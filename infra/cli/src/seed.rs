//! Demo data for the local stack, safe to re-run: existing records are left as they are.

use anyhow::{Result, anyhow};
use ferrocart::auth::{Role, password};
use ferrocart::store::Store;
use ferrocart::store::users::{CreateUser, UserItem};

/// Local-only demo accounts (documented in README.md). Never seeded outside the local stack.
pub const DEMO_ADMIN: (&str, &str) = ("admin@ferrocart.local", "ferrocart-admin-demo");
pub const DEMO_CUSTOMER: (&str, &str) = ("shopper@ferrocart.local", "ferrocart-shopper-demo");

/// Creates the user if the email is free, then makes sure it has `role`. Returns whether it was created.
pub async fn ensure_user(
    store: &Store,
    email: &str,
    pass: &str,
    name: &str,
    role: Role,
) -> Result<bool> {
    let email = ferrocart::validate::normalise_email(email).map_err(|e| anyhow!("{e}"))?;
    ferrocart::validate::password(pass).map_err(|e| anyhow!("{e}"))?;
    let hash = password::hash(pass.to_string()).await?;
    let user = UserItem::new(
        email.clone(),
        Some(name.into()),
        None,
        role,
        hash,
        ferrocart::time::now_unix(),
    );
    let created = store.create_user(&user).await? == CreateUser::Created;
    let existing = store
        .find_user_by_email(&email)
        .await?
        .ok_or_else(|| anyhow!("user {email} vanished"))?;
    if existing.role != role {
        store.set_role(&existing.user_id, role).await?;
    }
    Ok(created)
}

pub async fn seed(store: &Store) -> Result<()> {
    let a = ensure_user(store, DEMO_ADMIN.0, DEMO_ADMIN.1, "Demo Admin", Role::Admin).await?;
    let c = ensure_user(
        store,
        DEMO_CUSTOMER.0,
        DEMO_CUSTOMER.1,
        "Demo Shopper",
        Role::Customer,
    )
    .await?;
    eprintln!(
        "[seed] demo admin {} ({}), demo customer {} ({})",
        DEMO_ADMIN.0,
        if a { "created" } else { "kept" },
        DEMO_CUSTOMER.0,
        if c { "created" } else { "kept" }
    );
    Ok(())
}
