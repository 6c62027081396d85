//! What a function builds once per cold start. [`Startup`] holds the SDK configuration and the
//! function's settings (its environment with secrets resolved, [`crate::settings`]); each
//! function's own context ([`FunctionContext`], in `functions/<name>/src/lib.rs`) takes from it
//! exactly what that function needs, each setting required there, so a missing or invalid one
//! stops the cold start with a message naming it and never surfaces in a request.
//!
//! The SDK honours `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`, which is all that points a
//! function at the local stack.

use crate::auth::TokenService;
use crate::auth::token::TokenConfig;
use crate::payments::stripe::{DEFAULT_API_BASE, StripeClient};
use crate::settings::{ConfigError, Secret, Settings};
use crate::store::Store;

/// A function's context, built once from [`Startup`] and borrowed by every invocation.
pub trait FunctionContext: Sized + Sync + 'static {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError>;
}

pub struct Startup {
    sdk: aws_config::SdkConfig,
    settings: Settings,
}

impl Startup {
    /// The SDK configuration from the environment, then the settings with their secrets fetched.
    pub async fn load() -> Result<Self, ConfigError> {
        let sdk = crate::settings::sdk_config().await;
        let settings = Settings::load(&sdk).await?;
        Ok(Self { sdk, settings })
    }

    /// From parts made elsewhere (tests' own settings, the benchmark's HTTP client).
    pub fn new(sdk: aws_config::SdkConfig, settings: Settings) -> Self {
        Self { sdk, settings }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn sdk(&self) -> &aws_config::SdkConfig {
        &self.sdk
    }

    /// The setting, or [`ConfigError::Missing`] naming it.
    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.settings.required(name)
    }

    /// A required secret setting.
    pub fn secret(&self, name: &'static str) -> Result<Secret, ConfigError> {
        self.required(name).map(Secret::new)
    }

    /// A whole number, `default` when unset.
    pub fn number(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        match self.settings.get(name) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| ConfigError::Invalid {
                name,
                reason: format!("expected a whole number, got {v:?}"),
            }),
        }
    }

    /// The table (`TABLE_NAME`).
    pub fn store(&self) -> Result<Store, ConfigError> {
        Ok(Store::new(
            aws_sdk_dynamodb::Client::new(&self.sdk),
            self.required("TABLE_NAME")?,
        ))
    }

    /// The access-token key (`JWT_SECRET`, at least 32 bytes) with issuer, audience and lifetime.
    pub fn tokens(&self) -> Result<TokenService, ConfigError> {
        let secret = self.required("JWT_SECRET")?.into_bytes();
        if secret.len() < 32 {
            return Err(ConfigError::Invalid {
                name: "JWT_SECRET",
                reason: "must be at least 32 bytes".into(),
            });
        }
        Ok(TokenService::new(&TokenConfig {
            secret,
            issuer: self.or("JWT_ISSUER", "ferrocart"),
            audience: self.or("JWT_AUDIENCE", "ferrocart-api"),
            access_ttl_secs: self.number("ACCESS_TOKEN_TTL_SECONDS", 900)?,
        }))
    }

    /// Guest orders' tokens, keyed from the access-token secret (`JWT_SECRET`).
    pub fn order_links(&self) -> Result<crate::auth::OrderLinks, ConfigError> {
        let secret = self.required("JWT_SECRET")?;
        if secret.len() < 32 {
            return Err(ConfigError::Invalid {
                name: "JWT_SECRET",
                reason: "must be at least 32 bytes".into(),
            });
        }
        Ok(crate::auth::OrderLinks::new(secret.as_bytes()))
    }

    /// How long a refresh token (a session) lives.
    pub fn refresh_ttl_secs(&self) -> Result<u64, ConfigError> {
        self.number("REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600)
    }

    /// Largest request body accepted, in bytes (413 above it).
    pub fn max_body_bytes(&self) -> Result<usize, ConfigError> {
        Ok(self.number("MAX_BODY_BYTES", 16 * 1024)? as usize)
    }

    /// Base URL that media object keys are appended to (the CDN in AWS), without a trailing `/`.
    pub fn media_base_url(&self) -> String {
        self.settings
            .get("MEDIA_BASE_URL")
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string()
    }

    /// The payment provider (`STRIPE_SECRET_KEY`, API at `STRIPE_API_BASE` or Stripe's own).
    pub fn stripe(&self) -> Result<StripeClient, ConfigError> {
        let key = self.required("STRIPE_SECRET_KEY")?;
        let base = self.or("STRIPE_API_BASE", DEFAULT_API_BASE);
        StripeClient::new(&base, &key).map_err(|e| ConfigError::Invalid {
            name: "STRIPE_API_BASE",
            reason: e.to_string(),
        })
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk)
    }

    /// An S3 client. `S3_FORCE_PATH_STYLE=true` selects path-style addressing, which endpoints
    /// without per-bucket DNS (the local stack) need; AWS itself uses virtual-hosted style.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let path_style = self
            .settings
            .get("S3_FORCE_PATH_STYLE")
            .is_some_and(|v| v == "true");
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk)
            .force_path_style(path_style)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    fn or(&self, name: &str, default: &str) -> String {
        self.settings.get(name).unwrap_or_else(|| default.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn startup(pairs: &[(&str, &str)]) -> Startup {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        Startup::new(
            sdk,
            Settings::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()))),
        )
    }

    #[test]
    fn missing_and_weak_settings_are_named() {
        let err = startup(&[]).store().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("environment variable TABLE_NAME is required but not set")
        );
        let err = startup(&[("JWT_SECRET", "short")]).tokens().err();
        assert!(err.is_some_and(|e| e.to_string().contains("JWT_SECRET")));
        let long = "x".repeat(32);
        let err = startup(&[("JWT_SECRET", &long), ("ACCESS_TOKEN_TTL_SECONDS", "soon")])
            .tokens()
            .err();
        assert!(err.is_some_and(|e| e.to_string().contains("ACCESS_TOKEN_TTL_SECONDS")));
        let err = startup(&[]).stripe().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("environment variable STRIPE_SECRET_KEY is required but not set")
        );
    }

    #[test]
    fn defaults_apply() {
        let s = startup(&[
            ("JWT_SECRET", &"x".repeat(32)),
            ("MEDIA_BASE_URL", "http://m/"),
        ]);
        assert!(s.tokens().is_ok());
        assert_eq!(s.max_body_bytes().ok(), Some(16 * 1024));
        assert_eq!(s.refresh_ttl_secs().ok(), Some(30 * 24 * 3600));
        assert_eq!(s.media_base_url(), "http://m");
    }
}
