//! `POST /auth/register` `{email, password, name?, phone?}` → 202 `{email, status: "accepted"}`,
//! the same answer whether the address was free or already had an account, so registering
//! reveals nothing about who shops here. A free address gets the account (it can log in, shop and
//! pay at once) and a verification email; a taken one changes nothing, and its owner gets one
//! "you already have an account" email (at most one an hour, however often it is tried).

use ferrocart::auth::{Role, password};
use ferrocart::messages::{AccountEmailKind, AccountEmailRequest};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::users::{CreateUser, UserItem};
use ferrocart::{ApiError, http, validate};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub max_body_bytes: usize,
    pub sqs: aws_sdk_sqs::Client,
    pub email_queue_url: String,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            max_body_bytes: startup.max_body_bytes()?,
            sqs: startup.sqs(),
            email_queue_url: startup.required("EMAIL_QUEUE_URL")?,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterRequest {
    email: String,
    password: String,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    name: Option<String>,
    #[serde(default, deserialize_with = "ferrocart::http::present")]
    phone: Option<String>,
}

#[derive(Debug, Serialize)]
struct Accepted<'a> {
    email: &'a str,
    status: &'static str,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let body: RegisterRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    let email = validate::normalise_email(&body.email)?;
    validate::password(&body.password)?;
    let name = validate::name(body.name.as_deref())?;
    let phone = validate::phone(body.phone.as_deref())?;

    let hash = password::hash(body.password)
        .await
        .map_err(ApiError::internal)?;
    let user = UserItem::new(
        email,
        name,
        phone,
        Role::Customer,
        hash,
        ferrocart::time::now_unix(),
    );
    let (kind, request_id) = match ctx.store.create_user(&user).await? {
        CreateUser::Created => {
            tracing::info!(user_id = %user.user_id, "user registered");
            (
                AccountEmailKind::VerifyEmail,
                ferrocart::messages::new_request_id(),
            )
        }
        CreateUser::EmailTaken => {
            tracing::info!("registration for a taken address; its owner is told");
            // One such email per address an hour: the email function sends once per request id.
            let hour = ferrocart::time::now_unix() / 3_600;
            (
                AccountEmailKind::AccountExists,
                format!(
                    "exists-{}-{hour}",
                    ferrocart::digest::sha256_hex(user.email.as_bytes())
                ),
            )
        }
    };
    let msg = AccountEmailRequest {
        account_email: kind,
        email: user.email.clone(),
        request_id,
    };
    if let Err(e) =
        ferrocart::messages::request_account_email(&ctx.sqs, &ctx.email_queue_url, &msg).await
    {
        // The account exists either way; a verification email can be asked for again
        // (POST /me/email-verification), so the answer stays the same.
        tracing::warn!(error = %e, "could not queue the registration email");
    }
    Ok(http::json_response(
        StatusCode::ACCEPTED,
        &Accepted {
            email: &user.email,
            status: "accepted",
        },
    ))
}
