//! The HTTP boundary's error type, and the one place it becomes a status and a JSON body.
//!
//! Every 4xx carries `{"error": {"code", "message", "field"}}` with a stable machine-readable `code`.
//! A 5xx says only `internal_error` to the client; the cause chain goes to the log.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

pub use crate::chain::{BoxError, error_chain};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A field or the body is invalid (400).
    #[error("{message}")]
    Validation {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    /// No or bad credentials (401).
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    /// Authenticated but not allowed (403).
    #[error("this action needs the {0} role")]
    Forbidden(&'static str),
    /// Nothing here for this caller (404): the same answer whether it does not exist or is not theirs.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with current state (409).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// Valid by the schema but not processable as sent (422): it names something that does not
    /// exist (a category, a product, a warehouse, a cursor this API never issued), breaks a rule
    /// across fields, or reuses an idempotency key with another body. A 400 means the request
    /// breaks openapi.yaml's schema; a 422 that it does not.
    #[error("{message}")]
    Unprocessable {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    /// A dependency is down; the request can be retried as is (503).
    #[error("{message}")]
    Unavailable { code: &'static str, message: String },
    /// Body larger than the limit (413).
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// Body is not in a media type this endpoint accepts (415).
    #[error("request body must be {expected}")]
    UnsupportedMediaType { expected: &'static str },
    /// The path exists but not with this method (405); `allow` lists the methods it has.
    #[error("this path allows only {allow}")]
    MethodNotAllowed { allow: String },
    /// Too many attempts (429), with the seconds until the next one is allowed.
    #[error("too many attempts; retry after {retry_after} seconds")]
    TooManyRequests { retry_after: u64 },
    /// An infrastructure fault (500). The client learns nothing more.
    #[error("internal error")]
    Internal(#[source] BoxError),
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
    field: Option<&'a str>,
}

impl ApiError {
    pub fn validation(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        Self::Validation {
            code,
            message: message.into(),
            field: Some(field.to_string()),
        }
    }

    pub fn unprocessable(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        Self::Unprocessable {
            code,
            message: message.into(),
            field: Some(field.to_string()),
        }
    }

    /// An account email's token (password reset, email verification) that is well formed but
    /// does not redeem: unknown, used, superseded or expired all answer the same.
    pub fn invalid_token() -> Self {
        Self::unprocessable(
            "invalid_token",
            "token",
            "this link is not valid (any more): ask for a new one",
        )
    }

    /// An account email's token that is not shaped like one at all (the schema's pattern).
    pub fn malformed_token() -> Self {
        Self::validation(
            "invalid_token",
            "token",
            "token must be the 43-character code from the email",
        )
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unauthorized {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn internal(e: impl Into<BoxError>) -> Self {
        Self::Internal(e.into())
    }

    /// A dependency (a queue, the table) failed in a way that may pass: logged with its chain,
    /// answered 503 `try_again` (nothing was half-written; the same request may be sent again).
    pub fn unavailable(e: impl Into<BoxError>) -> Self {
        let e = e.into();
        tracing::warn!(error = %error_chain(e.as_ref()), "dependency unavailable; answered 503");
        Self::Unavailable {
            code: "try_again",
            message: "the shop is busy; retry the same request in a moment".into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Self::Validation { code, .. }
            | Self::Unauthorized { code, .. }
            | Self::Conflict { code, .. }
            | Self::Unprocessable { code, .. }
            | Self::Unavailable { code, .. } => code,
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType { .. } => "unsupported_media_type",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Internal(_) => "internal_error",
        }
    }

    /// The one mapping from error to HTTP response. Server faults are logged with their whole chain.
    pub fn into_response(self) -> Response<Body> {
        let status = self.status();
        if let Self::Internal(source) = &self {
            tracing::error!(error = %error_chain(source.as_ref()), "request failed");
        }
        let field = match &self {
            Self::Validation { field, .. } | Self::Unprocessable { field, .. } => field.as_deref(),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                field,
            },
        };
        let mut response = crate::response::json_response(status, &body);
        if let Self::TooManyRequests { retry_after } = &self
            && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if let Self::MethodNotAllowed { allow } = &self
            && let Ok(v) = HeaderValue::from_str(allow)
        {
            response.headers_mut().insert(header::ALLOW, v);
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"ferrocart\""),
            );
        }
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        if e.is_transient() {
            // Nothing was half-written (one write or one transaction).
            return Self::unavailable(e);
        }
        Self::Internal(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_json(r: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(r.body().as_ref()).unwrap()
    }

    #[test]
    fn validation_error_has_stable_shape() {
        let r =
            ApiError::validation("invalid_email", "email", "email is not valid").into_response();
        assert_eq!(r.status(), 400);
        assert_eq!(
            body_json(&r),
            serde_json::json!({"error": {"code": "invalid_email", "message": "email is not valid", "field": "email"}})
        );
        assert_eq!(r.headers()["content-type"], "application/json");
    }

    #[test]
    fn internal_error_reveals_nothing() {
        let r = ApiError::internal("dynamodb table ferrocart-secret is on fire").into_response();
        assert_eq!(r.status(), 500);
        let text = String::from_utf8(r.body().to_vec()).unwrap();
        assert!(!text.contains("ferrocart-secret"));
        assert_eq!(body_json(&r)["error"]["code"], "internal_error");
    }

    #[test]
    fn throttle_sets_retry_after_and_401_sets_challenge() {
        let r = ApiError::TooManyRequests { retry_after: 42 }.into_response();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "42");
        let r = ApiError::unauthorized("invalid_token", "bad").into_response();
        assert!(r.headers().contains_key("www-authenticate"));
    }
}
