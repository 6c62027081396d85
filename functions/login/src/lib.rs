//! `POST /auth/login` `{email, password}` → 200 token pair.
//!
//! Unknown email and wrong password give the same 401 body and cost the same hash. Attempts are
//! reserved before the password is checked (429 with `Retry-After` once a budget is spent):
//! - per account *and client* (its address, [`client_address`]): `LOGIN_MAX_FAILURES` free, then waits doubling from
//!   30 s to 15 min: one client guessing locks only itself out of the account;
//! - per account, all clients together: `LOGIN_ACCOUNT_FREE_ATTEMPTS` free, then waits doubling
//!   from 30 s to 5 min: many clients together slow it down, never lock it for good;
//! - per client, all accounts: `LOGIN_CLIENT_MAX_ATTEMPTS` failures per `LOGIN_WINDOW_SECONDS`
//!   (credential stuffing from one address).
//!
//! A success clears the account's guards and gives the client's attempt back.
//!
//! With a guest's `X-Cart-Token`, the guest cart is merged into the account's cart (quantities
//! summed within the cart's limits; what does not fit is reported in `cart_merge.not_merged`,
//! never dropped silently), once however often the login is retried: every retry answers the
//! same report. A merge that cannot be written now is a 503 before any session is made.
//!
//! An account whose email is verified gets the guest orders placed with that email since
//! (`Store::attach_guest_orders`; verifying the email does it first, this catches the rest). If
//! that cannot be done now the login still succeeds: the next one does it.

use ferrocart::auth::{TokenPair, TokenService, password, refresh};
use ferrocart::ids::SessionId;
use ferrocart::settings::{ConfigError, Secret};
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::cart::MergeReport;
use ferrocart::store::sessions::SessionItem;
use ferrocart::store::throttle::Backoff;
use ferrocart::{ApiError, http, validate};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
    pub max_body_bytes: usize,
    /// How long a session (its refresh token) lives.
    pub refresh_ttl_secs: u64,
    /// Free attempts per account and client, then growing waits.
    pub per_client_account: Backoff,
    /// Free attempts per account (all clients), then growing waits.
    pub per_account: Backoff,
    /// Failed attempts one client may make over all accounts per window.
    pub client_max_attempts: u32,
    pub login_window_secs: u64,
    /// What the API's CloudFront distribution sends as `X-Origin-Verify` (`EDGE_SECRET`).
    pub edge_secret: Secret,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
            max_body_bytes: startup.max_body_bytes()?,
            refresh_ttl_secs: startup.refresh_ttl_secs()?,
            per_client_account: Backoff {
                free: startup.number("LOGIN_MAX_FAILURES", 5)?.clamp(1, 1_000) as u32,
                base_secs: 30,
                cap_secs: 900,
            },
            per_account: Backoff {
                free: startup
                    .number("LOGIN_ACCOUNT_FREE_ATTEMPTS", 50)?
                    .clamp(1, 100_000) as u32,
                base_secs: 30,
                cap_secs: 300,
            },
            client_max_attempts: startup
                .number("LOGIN_CLIENT_MAX_ATTEMPTS", 100)?
                .clamp(1, 1_000_000) as u32,
            login_window_secs: startup.number("LOGIN_WINDOW_SECONDS", 900)?.max(1),
            edge_secret: startup.secret("EDGE_SECRET")?,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    email: String,
    password: String,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let body: LoginRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    let email = validate::normalise_email(&body.email)?;
    let cart_token = ferrocart::auth::cart_caller::cart_token(&req)?;
    if body.password.is_empty() || body.password.chars().count() > validate::PASSWORD_MAX_CHARS {
        return Err(invalid_credentials());
    }
    let now = ferrocart::time::now_unix();
    let ip = client_address(&req, &ctx.edge_secret);
    let client = format!("client:{ip}");
    let this_client = format!("{email}|{ip}");
    let store = &ctx.store;
    let window = ctx.login_window_secs;
    let throttled = |retry_after: u64| {
        tracing::warn!(retry_after, "login throttled");
        ApiError::TooManyRequests { retry_after }
    };
    if let Some(wait) = store
        .reserve_login_attempt(&client, ctx.client_max_attempts, window, now)
        .await?
    {
        return Err(throttled(wait));
    }
    for (subject, backoff) in [
        (&this_client, ctx.per_client_account),
        (&email, ctx.per_account),
    ] {
        if let Some(wait) = store.reserve_guarded_attempt(subject, backoff, now).await? {
            return Err(throttled(wait));
        }
    }

    let user = store.find_user_by_email(&email).await?;
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    let user = match (password::verify(body.password, stored_hash).await, user) {
        (true, Some(user)) => user,
        _ => {
            tracing::info!("login failed");
            return Err(invalid_credentials());
        }
    };
    store.clear_guard(&this_client).await?;
    store.clear_guard(&email).await?;
    store.return_login_attempt(&client, window, now).await?;
    let cart_merge = match &cart_token {
        Some(t) => {
            store
                .merge_guest_cart(&ferrocart::store::tokens::hash(t), &user.user_id, now)
                .await?
        }
        None => None,
    };
    if user.email_verified_at.is_some() {
        match store
            .attach_guest_orders(&user.email, &user.user_id, now)
            .await
        {
            Ok(0) => {}
            Ok(moved) => tracing::info!(user_id = %user.user_id, moved, "guest orders attached"),
            Err(e) => {
                tracing::warn!(user_id = %user.user_id, error = %e, "guest orders not attached now; the next login tries again")
            }
        }
    }

    let session_id = SessionId::generate();
    let rt = refresh::generate(&session_id);
    let session = SessionItem::new(
        session_id.clone(),
        user.user_id.clone(),
        rt.hash,
        now,
        ctx.refresh_ttl_secs,
    );
    store.create_session(&session).await?;
    let access_token = ctx
        .tokens
        .issue(&user.user_id, &session_id, user.role, now)
        .map_err(ApiError::internal)?;
    tracing::info!(user_id = %user.user_id, session_id = %session_id, "login succeeded");
    Ok(http::json_response(
        StatusCode::OK,
        &LoggedIn {
            pair: TokenPair {
                access_token,
                token_type: "Bearer",
                expires_in: ctx.tokens.access_ttl_secs,
                refresh_token: rt.token,
                refresh_expires_in: ctx.refresh_ttl_secs,
            },
            cart_merge,
        },
    ))
}

/// The token pair, and what merging the guest cart did (when an `X-Cart-Token` came along).
#[derive(Serialize)]
struct LoggedIn {
    #[serde(flatten)]
    pair: TokenPair,
    #[serde(skip_serializing_if = "Option::is_none")]
    cart_merge: Option<MergeReport>,
}

fn invalid_credentials() -> ApiError {
    ApiError::unauthorized("invalid_credentials", "email or password is incorrect")
}

pub use ferrocart::http::client_address;

#[cfg(test)]
mod tests {
    use super::*;

    /// The login fixture (sourceIp 203.0.113.7) with `headers` added.
    fn request(headers: &[(&str, &str)]) -> Request {
        let text = include_str!("../../../events/login/valid-demo-customer.json");
        let mut event: serde_json::Value = serde_json::from_str(text).unwrap();
        for (name, value) in headers {
            event["headers"][*name] = (*value).into();
        }
        lambda_http::request::from_str(&event.to_string()).unwrap()
    }

    #[test]
    fn the_viewer_address_counts_only_beside_the_edge_secret() {
        let secret = Secret::new("edge-secret");
        let at = |h: &[(&str, &str)]| client_address(&request(h), &secret);
        assert_eq!(at(&[]), "203.0.113.7", "sourceIp");
        let viewer = ("cloudfront-viewer-address", "198.51.100.9:46532");
        assert_eq!(at(&[viewer]), "203.0.113.7", "a forged header is ignored");
        assert_eq!(
            at(&[viewer, ("x-origin-verify", "guess")]),
            "203.0.113.7",
            "with a wrong secret too"
        );
        assert_eq!(
            at(&[viewer, ("x-origin-verify", "edge-secret")]),
            "198.51.100.9"
        );
        assert_eq!(
            at(&[
                ("cloudfront-viewer-address", "2001:db8::7:443"),
                ("x-origin-verify", "edge-secret")
            ]),
            "2001:db8::7",
            "IPv6, unbracketed, port last"
        );
        assert_eq!(
            at(&[
                ("cloudfront-viewer-address", "nonsense"),
                ("x-origin-verify", "edge-secret")
            ]),
            "203.0.113.7",
            "an unreadable address falls back to sourceIp"
        );
    }
}
