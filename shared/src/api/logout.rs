//! `POST /auth/logout` (authenticated) → 204. The session is revoked: its access tokens stop
//! working at once and its refresh token can no longer be used.

use crate::auth::authenticate;
use crate::{ApiError, AppContext, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub async fn handle(ctx: &AppContext, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(ctx, &req).await?;
    ctx.store
        .revoke_session(&principal.session_id, "logout", crate::time::now_unix())
        .await?;
    tracing::info!(session_id = %principal.session_id, "logged out");
    Ok(http::empty_response(StatusCode::NO_CONTENT))
}
