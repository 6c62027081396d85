//! The context every HTTP function builds once per cold start and borrows per request.

use crate::auth::TokenService;
use crate::config::{Config, ConfigError};
use crate::store::Store;
use std::sync::OnceLock;

pub struct AppContext {
    pub config: Config,
    pub store: Store,
    pub tokens: TokenService,
    /// Present when `STRIPE_SECRET_KEY` is set (functions that need it require it at start-up).
    pub stripe: Option<crate::payments::stripe::StripeClient>,
    sdk: aws_config::SdkConfig,
    s3: OnceLock<aws_sdk_s3::Client>,
    sqs: OnceLock<aws_sdk_sqs::Client>,
}

impl AppContext {
    /// Reads the settings (environment and secrets, [`crate::settings`]), requires each of
    /// `required`, and builds the AWS clients. The SDK honours `AWS_ENDPOINT_URL` and
    /// `AWS_ENDPOINT_URL_<SERVICE>`, which is all that points it at the local stack.
    pub async fn load(required: &[&'static str]) -> Result<Self, ConfigError> {
        let (sdk, settings) = crate::settings::load().await?;
        for name in required {
            settings.required(name)?;
        }
        Ok(Self::new(Config::from_settings(&settings)?, sdk))
    }

    pub fn new(config: Config, sdk: aws_config::SdkConfig) -> Self {
        let tokens = TokenService::new(&config.auth);
        let store = Store::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            config.table_name.clone(),
        );
        let stripe = config.stripe_secret_key.as_ref().and_then(|key| {
            crate::payments::stripe::StripeClient::new(&config.stripe_api_base, key.expose())
                .map_err(|e| tracing::error!(error = %e, "payment client could not be built"))
                .ok()
        });
        Self {
            config,
            store,
            tokens,
            stripe,
            sdk,
            s3: OnceLock::new(),
            sqs: OnceLock::new(),
        }
    }

    /// The S3 client, built on first use: only the functions that call S3 link its code (its
    /// endpoint rules alone are a sizeable part of a binary), and the others never pay for it.
    pub fn s3(&self) -> &aws_sdk_s3::Client {
        self.s3.get_or_init(|| s3_client(&self.sdk))
    }

    /// The SQS client, built on first use (as [`AppContext::s3`]).
    pub fn sqs(&self) -> &aws_sdk_sqs::Client {
        self.sqs.get_or_init(|| aws_sdk_sqs::Client::new(&self.sdk))
    }
}

/// An S3 client. `S3_FORCE_PATH_STYLE=true` selects path-style addressing, which endpoints
/// without per-bucket DNS (the local stack) need; AWS itself uses virtual-hosted style.
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let path_style = std::env::var("S3_FORCE_PATH_STYLE").is_ok_and(|v| v == "true");
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(path_style)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}
