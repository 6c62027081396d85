//! `POST /auth/register` `{email, password, name?, phone?}` → 201 `{user_id, email}`.

use ferrocart::auth::{Role, password};
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
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            max_body_bytes: startup.max_body_bytes()?,
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
struct Registered {
    user_id: String,
    email: String,
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
    match ctx.store.create_user(&user).await? {
        CreateUser::Created => {
            tracing::info!(user_id = %user.user_id, "user registered");
            Ok(http::json_response(
                StatusCode::CREATED,
                &Registered {
                    user_id: user.user_id.to_string(),
                    email: user.email,
                },
            ))
        }
        CreateUser::EmailTaken => Err(ApiError::conflict(
            "email_taken",
            "an account with this email already exists",
        )),
    }
}
