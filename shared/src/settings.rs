//! What a function reads once at cold start: the AWS SDK configuration and its settings, which are
//! the environment plus the secrets that its `*_SECRET_ARN` variables name.
//!
//! Secrets never travel as plain environment values in AWS: the template gives a function, say,
//! `JWT_SECRET_ARN` (a Secrets Manager secret it may read) and this module fetches it. A secret whose
//! value is a JSON object of strings provides one setting per field (`STRIPE_SECRET_ARN` →
//! `{"STRIPE_SECRET_KEY": "...", "STRIPE_WEBHOOK_SECRET": "..."}`); any other value provides the
//! setting named by the variable without `_ARN` (`JWT_SECRET_ARN` → `JWT_SECRET`). A value fetched
//! from a secret wins over a plain variable of the same name. Locally the same calls reach the
//! local stack's Secrets Manager (`AWS_ENDPOINT_URL_SECRETS_MANAGER`), which holds the values from
//! `infra/local-env.json`.

use std::collections::HashMap;

/// Why a function could not start: a setting missing or invalid, or a secret unreadable. Always
/// names the variable, and is only ever raised at cold start, never in a request.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required but not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("the secret named by {name} could not be read: {reason}")]
    Secret { name: String, reason: String },
}

const SUFFIX: &str = "_SECRET_ARN";

/// A secret's value: shown as `<redacted>` by `Debug`, so printing a config cannot leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A function's settings: its environment with the secrets it names resolved.
#[derive(Clone, Default)]
pub struct Settings {
    vars: HashMap<String, String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<_> = self.vars.keys().collect();
        names.sort();
        f.debug_struct("Settings").field("names", &names).finish()
    }
}

impl Settings {
    /// Settings from plain pairs (tests, and functions given no secrets).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self {
            vars: pairs.into_iter().collect(),
        }
    }

    /// The setting if set and not blank.
    pub fn get(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .cloned()
    }

    /// As [`Settings::get`], else [`ConfigError::Missing`] naming it.
    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.get(name).ok_or(ConfigError::Missing(name))
    }

    /// The process environment, then every secret it names, fetched concurrently.
    pub async fn load(sdk: &aws_config::SdkConfig) -> Result<Self, ConfigError> {
        Self::resolve(std::env::vars(), sdk).await
    }

    /// `vars`, then every secret they name ([`Settings::load`] on another environment).
    pub async fn resolve(
        vars: impl IntoIterator<Item = (String, String)>,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, ConfigError> {
        let mut settings = Self::from_pairs(vars);
        let wanted: Vec<(String, String)> = settings
            .vars
            .iter()
            .filter(|(k, v)| k.ends_with(SUFFIX) && !v.trim().is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if wanted.is_empty() {
            return Ok(settings);
        }
        let client = aws_sdk_secretsmanager::Client::new(sdk);
        let mut tasks = tokio::task::JoinSet::new();
        for (var, id) in wanted {
            let client = client.clone();
            tasks.spawn(async move {
                let fail = |reason: String| ConfigError::Secret {
                    name: var.clone(),
                    reason,
                };
                let out = client
                    .get_secret_value()
                    .secret_id(&id)
                    .send()
                    .await
                    .map_err(|e| {
                        fail(aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string())
                    })?;
                let value = out
                    .secret_string
                    .ok_or_else(|| fail("the secret has no string value".into()))?;
                Ok::<_, ConfigError>(expand(&var, &value))
            });
        }
        while let Some(joined) = tasks.join_next().await {
            let pairs = joined.map_err(|e| ConfigError::Secret {
                name: "secret fetch".into(),
                reason: e.to_string(),
            })??;
            settings.vars.extend(pairs);
        }
        Ok(settings)
    }
}

/// The settings one secret provides (see the module docs).
pub fn expand(var: &str, value: &str) -> Vec<(String, String)> {
    if let Ok(serde_json::Value::Object(fields)) = serde_json::from_str(value) {
        let strings: Vec<(String, String)> = fields
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect();
        if strings.len() == fields.len() {
            return strings;
        }
    }
    let name = var.strip_suffix("_ARN").unwrap_or(var);
    vec![(name.to_string(), value.to_string())]
}

/// The SDK's HTTPS client: rustls on ring, the one TLS stack and crypto library of every binary
/// (the SDK's default would link aws-lc-rs beside the ring that the rest uses).
pub fn http_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The SDK configuration from the environment (region, credentials, `AWS_ENDPOINT_URL*`), with
/// [`http_client`].
pub async fn sdk_config() -> aws_config::SdkConfig {
    sdk_config_with(http_client()).await
}

/// As [`sdk_config`], on another HTTP client (the in-process benchmark's).
///
/// Lambda hands every sandbox its role's credentials in `AWS_ACCESS_KEY_ID` and friends; when they
/// are there, they are used directly instead of building the SDK's whole default chain (profile
/// files, web identity, ECS, IMDS clients) at each cold start. Without them (a developer's shell
/// with a profile), the default chain applies.
pub async fn sdk_config_with(
    http: aws_sdk_dynamodb::config::SharedHttpClient,
) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http);
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() {
        loader = loader.credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        );
    }
    loader.load().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_secret_names_the_setting_without_arn() {
        assert_eq!(
            expand("JWT_SECRET_ARN", "k".repeat(40).as_str()),
            vec![("JWT_SECRET".to_string(), "k".repeat(40))]
        );
    }

    #[test]
    fn a_json_secret_provides_each_field() {
        let mut got = expand(
            "STRIPE_SECRET_ARN",
            r#"{"STRIPE_SECRET_KEY":"sk_test_1","STRIPE_WEBHOOK_SECRET":"whsec_2"}"#,
        );
        got.sort();
        assert_eq!(
            got,
            vec![
                ("STRIPE_SECRET_KEY".to_string(), "sk_test_1".to_string()),
                ("STRIPE_WEBHOOK_SECRET".to_string(), "whsec_2".to_string())
            ]
        );
    }

    #[test]
    fn json_that_is_not_an_object_of_strings_is_taken_whole() {
        assert_eq!(
            expand("X_SECRET_ARN", r#"{"a":1}"#),
            vec![("X_SECRET".to_string(), r#"{"a":1}"#.to_string())]
        );
        assert_eq!(
            expand("X_SECRET_ARN", "[1]"),
            vec![("X_SECRET".to_string(), "[1]".to_string())]
        );
    }

    #[test]
    fn blank_settings_are_missing_and_secrets_do_not_print() {
        let s = Settings::from_pairs([
            ("A".to_string(), " ".to_string()),
            ("B".to_string(), "s3cr3t-value".to_string()),
        ]);
        assert!(matches!(s.required("A"), Err(ConfigError::Missing("A"))));
        assert_eq!(s.get("B").as_deref(), Some("s3cr3t-value"));
        let shown = format!("{s:?}");
        assert!(
            shown.contains("\"B\"") && !shown.contains("s3cr3t"),
            "{shown}"
        );
        assert_eq!(format!("{:?}", Secret::new("sk_live_x")), "<redacted>");
    }
}
