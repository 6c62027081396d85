//! The authenticated caller: a valid access token whose session is still live.

use crate::auth::Role;
use crate::auth::TokenService;
use crate::error::ApiError;
use crate::http::bearer_token;
use crate::ids::{SessionId, UserId};
use crate::store::Store;
use lambda_http::Request;

#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub role: Role,
}

/// 401 unless the request carries a valid access token of a session that is not revoked.
/// Logout takes effect at once: the session is read (strongly consistent) on every call.
pub async fn authenticate(
    tokens: &TokenService,
    store: &Store,
    req: &Request,
) -> Result<Principal, ApiError> {
    let token = bearer_token(req).ok_or_else(|| {
        ApiError::unauthorized(
            "missing_token",
            "an Authorization: Bearer <access token> header is required",
        )
    })?;
    let verified = tokens.verify(token).map_err(|e| {
        tracing::info!(reason = %e, "access token rejected");
        ApiError::unauthorized("invalid_token", "the access token is invalid or expired")
    })?;
    let now = crate::time::now_unix();
    match store.get_session(&verified.session_id).await? {
        Some(s) if s.is_active(now) && s.user_id == verified.user_id => Ok(Principal {
            user_id: verified.user_id,
            session_id: verified.session_id,
            role: verified.role,
        }),
        _ => Err(ApiError::unauthorized(
            "session_revoked",
            "this session has ended; log in again",
        )),
    }
}

/// 403 unless the caller is an admin.
pub fn require_admin(p: &Principal) -> Result<(), ApiError> {
    if p.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden("admin"))
    }
}
