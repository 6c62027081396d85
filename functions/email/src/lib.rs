//! email: for each `{"kind", "order_id"}` message, renders that email about the order from the
//! templates in `templates/` and sends it with SES v2 from the configured sender, **at most once
//! per (order, kind)**: a conditional claim on `ORDER#<id>/EMAIL#<kind>` decides who sends
//! ([`ferrocart::store::emails`]), so duplicates, retries and concurrent deliveries send nothing more.
//! An admin's resend (`{"kind", "order_id", "resend"}`) is its own record,
//! `EMAIL#<kind>#RESEND#<id>`, sent once in the same way, and so is each refund's email
//! (`{"kind": "refund", "order_id", "refund": <charge.refunded event id>}`,
//! `EMAIL#refund#EVENT#<id>`): it says what that refund gave back (the event's running total
//! less the one before it, from the order's payment log) and what was refunded in all.
//!
//! - Refused for good (invalid address, recipient not allowed): recorded as `undeliverable` on the
//!   email and on the customer's profile, the message succeeds (never retried); later emails to
//!   that address are recorded, not sent.
//! - Anything else failing (SES throttling or outage, DynamoDB): the claim is given back and only
//!   that message fails; SQS retries it, and after 5 receives it is in the dead-letter queue.
//! - No longer relevant (a payment-failed email for an order paid meanwhile): recorded `skipped`.
//!
//! Account emails (`{"account_email", "email", "request_id"}`: password reset, email
//! verification, "you already have an account") are sent at most once per request that asked
//! ([`account`]); the single-use token in them is made here, so it exists only in the email.

pub mod account;
pub mod mailer;
pub mod render;

use aws_lambda_events::event::sqs::SqsEvent;
use ferrocart::error::BoxError;
use ferrocart::messages::EmailMessage;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::details::OrderDetails;
use ferrocart::store::emails::{EmailOutcome, OrderEmail, Relevance, relevance};
use lambda_runtime::LambdaEvent;
use mailer::{Mail, Mailer, SendFailure, Ses};

pub use ferrocart::consumer::{BatchResponse, ItemFailure};

pub struct EmailContext<M: Mailer = Ses> {
    pub store: Store,
    pub mailer: M,
    /// The verified SES identity mail is sent from (`EMAIL_SENDER`), e.g. `Shop <shop@example.com>`.
    pub sender: String,
    pub shop_name: String,
    /// Links to `<storefront>/orders/<id>` (and the account pages) when set.
    pub storefront_url: Option<String>,
    /// Signs the link to a guest order.
    pub order_links: ferrocart::auth::OrderLinks,
    /// How long a password-reset link works.
    pub reset_ttl_secs: u64,
    /// How long an email-verification link works.
    pub verify_ttl_secs: u64,
}

impl FunctionContext for EmailContext<Ses> {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        let settings = startup.settings();
        Ok(Self {
            store: startup.store()?,
            mailer: Ses {
                client: aws_sdk_sesv2::Client::new(startup.sdk()),
                configuration_set: settings.get("SES_CONFIGURATION_SET"),
            },
            sender: startup.required("EMAIL_SENDER")?,
            shop_name: settings
                .get("SHOP_NAME")
                .unwrap_or_else(|| "Ferrocart".into()),
            storefront_url: settings.get("STOREFRONT_URL"),
            order_links: startup.order_links()?,
            reset_ttl_secs: startup
                .number("PASSWORD_RESET_TTL_SECONDS", 1_800)?
                .clamp(60, 86_400),
            verify_ttl_secs: startup
                .number("EMAIL_VERIFICATION_TTL_SECONDS", 172_800)?
                .clamp(60, 30 * 86_400),
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        message_id: String,
    },
    /// Sent, refused or skipped before (or being sent right now by another delivery).
    AlreadyHandled,
    Undeliverable(String),
    Skipped(String),
}

pub async fn handle<M: Mailer>(
    ctx: &EmailContext<M>,
    event: LambdaEvent<SqsEvent>,
) -> Result<BatchResponse, lambda_runtime::Error> {
    Ok(ferrocart::consumer::each_message(
        event.payload,
        |body| async move { process(ctx, &body).await },
    )
    .await)
}

pub async fn process<M: Mailer>(ctx: &EmailContext<M>, body: &str) -> Result<Outcome, BoxError> {
    let req = match serde_json::from_str(body).map_err(|e| format!("not an email request: {e}"))? {
        EmailMessage::Order(req) => req,
        EmailMessage::Account(req) => return account::process(ctx, &req).await,
    };
    let kind = req.kind;
    let email = OrderEmail {
        order: req.order_id.clone(),
        kind,
        resend: req.resend.clone(),
        refund: req.refund.clone(),
    };
    let details = ctx
        .store
        .get_order_details(&req.order_id)
        .await?
        .ok_or_else(|| format!("order {} does not exist", req.order_id))?;
    if details.emails.iter().any(|e| {
        e.kind == kind
            && e.resend == email.resend
            && e.refund == email.refund
            && e.status != "sending"
    }) {
        return Ok(Outcome::AlreadyHandled);
    }
    let mut relevant = relevance(kind, &details);
    if relevant == Relevance::Send
        && let Some(event) = &email.refund
    {
        relevant = render::refund_event_relevance(&details, event);
    }
    let skip = match relevant {
        Relevance::Send => None,
        // The order's own email waits for the order; a resend was checked when it was asked
        // for, and is not sent if the order has moved on since.
        Relevance::NotYet(why) if email.resend.is_none() => return Err(why.into()),
        Relevance::NotYet(why) | Relevance::Skip(why) => Some(why),
    };
    let now = ferrocart::time::now_unix();
    if !ctx.store.claim_email(&email, now).await? {
        return Ok(Outcome::AlreadyHandled);
    }
    // From here the claim is ours: give it back on any failure so the retry can take it.
    match send_claimed(ctx, &email, &details, skip).await {
        Ok(outcome) => Ok(outcome),
        Err(e) => {
            if let Err(release) = ctx.store.release_email(&email).await {
                tracing::warn!(error = %release, "could not release the email claim; it expires by itself");
            }
            Err(e)
        }
    }
}

async fn send_claimed<M: Mailer>(
    ctx: &EmailContext<M>,
    email: &OrderEmail,
    details: &OrderDetails,
    skip: Option<String>,
) -> Result<Outcome, BoxError> {
    let kind = email.kind;
    let id = &details.order.order_id;
    let now = ferrocart::time::now_unix();
    if let Some(reason) = skip {
        let outcome = EmailOutcome::Skipped {
            reason: reason.clone(),
        };
        ctx.store.finish_email(email, &outcome, now).await?;
        return Ok(Outcome::Skipped(reason));
    }
    let order = &details.order;
    // A guest order's emails go to the email the guest gave; once an account has verified that
    // email and the order moved to it, to the account's.
    let (to, user) = match &order.guest_email {
        Some(email) if order.is_guest() => (email.clone(), None),
        _ => match account_recipient(ctx, details, email, now).await? {
            Ok(user) => (user.email.clone(), Some(user)),
            Err(outcome) => return Ok(outcome),
        },
    };
    let token = order
        .guest_email
        .as_deref()
        .filter(|_| order.is_guest())
        .map(|email| ctx.order_links.token(id, email));
    let mut view = render::EmailView::new(
        &ctx.shop_name,
        ctx.storefront_url.as_deref(),
        details,
        token.as_deref(),
    );
    view.refund = render::RefundView::of(details, email.refund.as_deref());
    let rendered = render::render(kind, &view)?;
    let mail = Mail {
        from: ctx.sender.clone(),
        to,
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
            if let Err(e) = ctx.store.finish_email(email, &outcome, now).await {
                tracing::error!(order_id = %id, %kind, error = %e, "email sent but not recorded");
            }
            tracing::info!(order_id = %id, %kind, %message_id, "email sent");
            ferrocart::metrics::count(
                ferrocart::metrics::Metric::EmailsSent,
                &[("order_id", id.as_str()), ("kind", kind.as_str())],
            );
            Ok(Outcome::Sent { message_id })
        }
        Err(SendFailure::Rejected(reason)) => {
            tracing::warn!(order_id = %id, %kind, %reason, "recipient refused; recorded, not retried");
            ferrocart::metrics::count(
                ferrocart::metrics::Metric::EmailsUndeliverable,
                &[("order_id", id.as_str()), ("kind", kind.as_str())],
            );
            let outcome = EmailOutcome::Undeliverable {
                to: mail.to.clone(),
                reason: reason.clone(),
            };
            ctx.store.finish_email(email, &outcome, now).await?;
            // An account remembers a refused address; a guest has no profile to remember it on.
            if let Some(user) = user {
                ctx.store
                    .mark_address_undeliverable(&user.user_id, &user.email, &reason)
                    .await?;
            }
            Ok(Outcome::Undeliverable(reason))
        }
        Err(SendFailure::Transient(e)) => Err(e),
    }
}

/// The account an order's email goes to, or the outcome recorded instead (no such account any
/// more, or its address refused mail before).
async fn account_recipient<M: Mailer>(
    ctx: &EmailContext<M>,
    details: &OrderDetails,
    email: &OrderEmail,
    now: u64,
) -> Result<Result<ferrocart::store::users::UserItem, Outcome>, BoxError> {
    let user = ctx.store.get_user(&details.order.user_id).await?;
    let Some(user) = user else {
        let reason = "the customer's account no longer exists".to_string();
        let outcome = EmailOutcome::Skipped {
            reason: reason.clone(),
        };
        ctx.store.finish_email(email, &outcome, now).await?;
        return Ok(Err(Outcome::Skipped(reason)));
    };
    if user.undeliverable_email.as_deref() == Some(user.email.as_str()) {
        let reason = format!(
            "address refused before: {}",
            user.undeliverable_reason.as_deref().unwrap_or("unknown")
        );
        let outcome = EmailOutcome::Undeliverable {
            to: user.email.clone(),
            reason: reason.clone(),
        };
        ctx.store.finish_email(email, &outcome, now).await?;
        return Ok(Err(Outcome::Undeliverable(reason)));
    }
    Ok(Ok(user))
}
