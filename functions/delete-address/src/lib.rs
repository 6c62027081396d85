//! `DELETE /me/addresses/{id}` (authenticated) → 204. Deleting the default address leaves the
//! book with none (the next checkout names one). Another customer's id, or one already deleted, is
//! a 404. Orders keep their own copy of the address they were shipped to.

use ferrocart::auth::{TokenService, authenticate};
use ferrocart::ids::AddressId;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::addresses::Changed;
use ferrocart::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
        })
    }
}

const ATTEMPTS: usize = 3;

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    let id = http::path_id(&req, "id", AddressId::parse, "address")?;
    let user = &principal.user_id;
    for _ in 0..ATTEMPTS {
        let current_default = ctx.store.default_address_id(user).await?;
        match ctx
            .store
            .delete_address(user, &id, current_default.as_ref())
            .await?
        {
            Changed::Done => {
                tracing::info!(address_id = %id, "address deleted");
                return Ok(http::empty_response(StatusCode::NO_CONTENT));
            }
            Changed::Gone => return Err(ApiError::NotFound("address")),
            Changed::Conflict => {}
        }
    }
    Err(ApiError::conflict(
        "concurrent_update",
        "the address book is being changed at the same time; try again",
    ))
}
