//! Settings, read once from the environment at cold start. A missing or invalid setting stops
//! start-up with a message naming the variable; it never surfaces in a request.

use crate::settings::{Secret, Settings};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required but not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("the secret named by {name} could not be read: {reason}")]
    Secret { name: String, reason: String },
}

/// Token settings. The signing secret is HS256 key material of at least 32 bytes.
#[derive(Clone)]
pub struct AuthConfig {
    /// `None` in functions given no key (the public catalog, the webhook): they verify nobody.
    pub jwt_secret: Option<Vec<u8>>,
    pub issuer: String,
    pub audience: String,
    pub access_ttl_secs: u64,
    pub refresh_ttl_secs: u64,
    /// Failed logins allowed per account per window before 429.
    pub login_max_failures: u32,
    pub login_window_secs: u64,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("jwt_secret", &"<redacted>")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("access_ttl_secs", &self.access_ttl_secs)
            .field("refresh_ttl_secs", &self.refresh_ttl_secs)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub auth: AuthConfig,
    /// Largest request body accepted, in bytes (413 above it).
    pub max_body_bytes: usize,
    /// Base URL that media object keys are appended to (the CDN in AWS).
    pub media_base_url: String,
    /// Bucket that product photos are uploaded into (create-image-upload).
    pub upload_bucket: Option<String>,
    /// Largest accepted image upload, in bytes.
    pub max_upload_bytes: u64,
    /// The payment provider's API (Stripe, or the local fake).
    pub stripe_api_base: String,
    /// Stripe secret key; only the functions that call Stripe require it (checked at start-up).
    pub stripe_secret_key: Option<Secret>,
    /// How long an unpaid order holds its stock.
    pub reservation_ttl_secs: u64,
    /// The webhook endpoint's signing secret (`whsec_...`); required by payment-webhook.
    pub stripe_webhook_secret: Option<Secret>,
    /// Queue that paid orders are sent to for fulfilment.
    pub fulfilment_queue_url: Option<String>,
    /// Queue of delayed "release this reservation" messages.
    pub order_expiry_queue_url: Option<String>,
    /// Queue of "send this customer email" messages.
    pub email_queue_url: Option<String>,
}

impl Config {
    /// From a function's settings (its environment with secrets resolved, [`Settings::load`]).
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        Self::from_lookup(|k| settings.get(k))
    }

    /// Reads from any lookup (the environment in production, a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required = |name: &'static str| {
            get(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        let number = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            match get(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(default),
                Some(v) => v.trim().parse().map_err(|_| ConfigError::Invalid {
                    name,
                    reason: format!("expected a whole number, got {v:?}"),
                }),
            }
        };
        let jwt_secret = get("JWT_SECRET")
            .filter(|v| !v.trim().is_empty())
            .map(String::into_bytes);
        if jwt_secret.as_ref().is_some_and(|s| s.len() < 32) {
            return Err(ConfigError::Invalid {
                name: "JWT_SECRET",
                reason: "must be at least 32 bytes".into(),
            });
        }
        Ok(Self {
            table_name: required("TABLE_NAME")?,
            auth: AuthConfig {
                jwt_secret,
                issuer: get("JWT_ISSUER").unwrap_or_else(|| "ferrocart".into()),
                audience: get("JWT_AUDIENCE").unwrap_or_else(|| "ferrocart-api".into()),
                access_ttl_secs: number("ACCESS_TOKEN_TTL_SECONDS", 900)?,
                refresh_ttl_secs: number("REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600)?,
                login_max_failures: number("LOGIN_MAX_FAILURES", 5)? as u32,
                login_window_secs: number("LOGIN_WINDOW_SECONDS", 900)?.max(1),
            },
            max_body_bytes: number("MAX_BODY_BYTES", 16 * 1024)? as usize,
            media_base_url: get("MEDIA_BASE_URL")
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_string(),
            upload_bucket: get("UPLOAD_BUCKET").filter(|v| !v.trim().is_empty()),
            max_upload_bytes: number("MAX_UPLOAD_BYTES", 15 * 1024 * 1024)?,
            stripe_api_base: get("STRIPE_API_BASE")
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| crate::payments::stripe::DEFAULT_API_BASE.into()),
            stripe_secret_key: get("STRIPE_SECRET_KEY")
                .filter(|v| !v.trim().is_empty())
                .map(Secret::new),
            reservation_ttl_secs: number("RESERVATION_TTL_SECONDS", 900)?.max(60),
            stripe_webhook_secret: get("STRIPE_WEBHOOK_SECRET")
                .filter(|v| !v.trim().is_empty())
                .map(Secret::new),
            fulfilment_queue_url: get("FULFILMENT_QUEUE_URL").filter(|v| !v.trim().is_empty()),
            order_expiry_queue_url: get("ORDER_EXPIRY_QUEUE_URL").filter(|v| !v.trim().is_empty()),
            email_queue_url: get("EMAIL_QUEUE_URL").filter(|v| !v.trim().is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn missing_and_weak_settings_are_named() {
        let err = Config::from_lookup(lookup(&[("JWT_SECRET", &"x".repeat(32))])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable TABLE_NAME is required but not set"
        );
        let err = Config::from_lookup(lookup(&[("TABLE_NAME", "t"), ("JWT_SECRET", "short")]))
            .unwrap_err();
        assert!(err.to_string().contains("JWT_SECRET"), "{err}");
        let err = Config::from_lookup(lookup(&[
            ("TABLE_NAME", "t"),
            ("JWT_SECRET", &"x".repeat(32)),
            ("ACCESS_TOKEN_TTL_SECONDS", "soon"),
        ]))
        .unwrap_err();
        assert!(
            err.to_string().contains("ACCESS_TOKEN_TTL_SECONDS"),
            "{err}"
        );
    }

    #[test]
    fn defaults_apply() {
        let c = Config::from_lookup(lookup(&[
            ("TABLE_NAME", "t"),
            ("JWT_SECRET", &"x".repeat(32)),
        ]))
        .unwrap();
        assert_eq!(c.auth.access_ttl_secs, 900);
        assert_eq!(c.auth.login_max_failures, 5);
        assert_eq!(c.max_body_bytes, 16 * 1024);
        assert!(
            !format!("{:?}", c).contains("xxxx"),
            "secret must not be printed"
        );
    }
}
