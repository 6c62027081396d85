//! `GET /me` (authenticated) → 200 the caller's profile.

use crate::auth::authenticate;
use crate::{ApiError, AppContext, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

#[derive(Debug, Serialize)]
struct Profile<'a> {
    user_id: &'a str,
    email: &'a str,
    name: Option<&'a str>,
    phone: Option<&'a str>,
    role: &'a str,
    created_at: &'a str,
}

pub async fn handle(ctx: &AppContext, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(ctx, &req).await?;
    let user = ctx
        .store
        .get_user(&principal.user_id)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    Ok(http::json_response(
        StatusCode::OK,
        &Profile {
            user_id: user.user_id.as_str(),
            email: &user.email,
            name: user.name.as_deref(),
            phone: user.phone.as_deref(),
            role: user.role.as_str(),
            created_at: &user.created_at,
        },
    ))
}
