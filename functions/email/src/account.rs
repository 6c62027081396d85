//! Account emails: a password-reset link, an email-verification link, or "you already have an
//! account". One per request that asked (a claim on `MAILREQ#<request id>`), whatever SQS
//! redelivers. The single-use token is made here, after the claim, and is stored only hashed
//! ([`ferrocart::store::tokens`]): it exists in the email and nowhere else.
//!
//! Nothing here tells the asker anything: the HTTP side answered the same before this ran. An
//! address with no account gets nothing (recorded `skipped`); a verification for an address that
//! is verified already, or no longer the account's, likewise.

use crate::mailer::{Mail, Mailer, SendFailure};
use crate::render::{self, AccountView};
use crate::{EmailContext, Outcome};
use ferrocart::error::BoxError;
use ferrocart::messages::{AccountEmailKind, AccountEmailRequest};
use ferrocart::store::emails::EmailOutcome;
use ferrocart::store::tokens::{self, TokenPurpose};

pub async fn process<M: Mailer>(
    ctx: &EmailContext<M>,
    req: &AccountEmailRequest,
) -> Result<Outcome, BoxError> {
    let kind = req.account_email;
    let now = ferrocart::time::now_unix();
    if req.request_id.is_empty() || req.request_id.len() > 200 {
        return Err("account email request without a usable request_id".into());
    }
    if !ctx
        .store
        .claim_account_email(&req.request_id, kind, now)
        .await?
    {
        return Ok(Outcome::AlreadyHandled);
    }
    match send_claimed(ctx, req).await {
        Ok(outcome) => Ok(outcome),
        Err(e) => {
            if let Err(release) = ctx.store.release_account_email(&req.request_id, kind).await {
                tracing::warn!(error = %release, "could not release the email claim; it expires by itself");
            }
            Err(e)
        }
    }
}

async fn skip<M: Mailer>(
    ctx: &EmailContext<M>,
    req: &AccountEmailRequest,
    reason: &str,
) -> Result<Outcome, BoxError> {
    let outcome = EmailOutcome::Skipped {
        reason: reason.to_string(),
    };
    let now = ferrocart::time::now_unix();
    ctx.store
        .finish_account_email(&req.request_id, req.account_email, &outcome, now)
        .await?;
    tracing::info!(
        kind = req.account_email.as_str(),
        reason,
        "account email skipped"
    );
    Ok(Outcome::Skipped(reason.to_string()))
}

async fn send_claimed<M: Mailer>(
    ctx: &EmailContext<M>,
    req: &AccountEmailRequest,
) -> Result<Outcome, BoxError> {
    let kind = req.account_email;
    let now = ferrocart::time::now_unix();
    let Some(user) = ctx.store.find_user_by_email(&req.email).await? else {
        return skip(ctx, req, "no account has this address").await;
    };
    if user.undeliverable_email.as_deref() == Some(user.email.as_str()) {
        return skip(ctx, req, "the address refused mail before").await;
    }
    let (purpose, ttl, page) = match kind {
        AccountEmailKind::PasswordReset => (
            Some(TokenPurpose::PasswordReset),
            ctx.reset_ttl_secs,
            "reset-password",
        ),
        AccountEmailKind::VerifyEmail => {
            if user.email_verified_at.is_some() {
                return skip(ctx, req, "the address is verified already").await;
            }
            (
                Some(TokenPurpose::VerifyEmail),
                ctx.verify_ttl_secs,
                "verify-email",
            )
        }
        AccountEmailKind::AccountExists => (None, 0, ""),
    };
    let token = match purpose {
        Some(purpose) => {
            let new = tokens::generate(purpose, &user.user_id, &user.email, now, ttl);
            ctx.store.issue_token(&new.item).await?;
            new.token
        }
        None => String::new(),
    };
    let link = match &ctx.storefront_url {
        Some(url) if !token.is_empty() => {
            format!("{}/{page}?token={token}", url.trim_end_matches('/'))
        }
        _ => token.clone(),
    };
    let view = AccountView {
        shop_name: ctx.shop_name.clone(),
        greeting: user.name.clone().unwrap_or_else(|| "Hello".into()),
        link,
        token,
        valid_minutes: ttl / 60,
    };
    let rendered = render::render_account(kind, &view)?;
    let mail = Mail {
        from: ctx.sender.clone(),
        to: user.email.clone(),
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
    };
    match ctx.mailer.send(&mail).await {
        Ok(message_id) => {
            let outcome = EmailOutcome::Sent {
                to: mail.to.clone(),
                subject: mail.subject.clone(),
                message_id: message_id.clone(),
            };
            // Sent: from here on, never fail the message (a retry would send it again).
            if let Err(e) = ctx
                .store
                .finish_account_email(&req.request_id, kind, &outcome, now)
                .await
            {
                tracing::error!(kind = kind.as_str(), error = %e, "email sent but not recorded");
            }
            tracing::info!(kind = kind.as_str(), user_id = %user.user_id, %message_id, "account email sent");
            ferrocart::metrics::count(
                ferrocart::metrics::Metric::EmailsSent,
                &[("kind", kind.as_str())],
            );
            Ok(Outcome::Sent { message_id })
        }
        Err(SendFailure::Rejected(reason)) => {
            let outcome = EmailOutcome::Undeliverable {
                to: mail.to.clone(),
                reason: reason.clone(),
            };
            ctx.store
                .finish_account_email(&req.request_id, kind, &outcome, now)
                .await?;
            ctx.store
                .mark_address_undeliverable(&user.user_id, &user.email, &reason)
                .await?;
            Ok(Outcome::Undeliverable(reason))
        }
        Err(SendFailure::Transient(e)) => Err(e),
    }
}
