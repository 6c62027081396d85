//! The context every HTTP function builds once per cold start and borrows per request.

use crate::auth::TokenService;
use crate::config::{Config, ConfigError};
use crate::store::Store;

pub struct AppContext {
    pub config: Config,
    pub store: Store,
    pub tokens: TokenService,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    /// Present when `STRIPE_SECRET_KEY` is set (functions that need it require it at start-up).
    pub stripe: Option<crate::payments::stripe::StripeClient>,
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
        let config = Config::from_settings(&settings)?;
        let s3 = s3_client(&sdk);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        Ok(Self::new(
            config,
            aws_sdk_dynamodb::Client::new(&sdk),
            s3,
            sqs,
        ))
    }

    pub fn new(
        config: Config,
        dynamodb: aws_sdk_dynamodb::Client,
        s3: aws_sdk_s3::Client,
        sqs: aws_sdk_sqs::Client,
    ) -> Self {
        let tokens = TokenService::new(&config.auth);
        let store = Store::new(dynamodb, config.table_name.clone());
        let stripe = config.stripe_secret_key.as_ref().and_then(|key| {
            crate::payments::stripe::StripeClient::new(&config.stripe_api_base, key.expose())
                .map_err(|e| tracing::error!(error = %e, "payment client could not be built"))
                .ok()
        });
        Self {
            config,
            store,
            tokens,
            s3,
            sqs,
            stripe,
        }
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
