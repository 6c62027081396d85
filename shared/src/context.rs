//! The context every HTTP function builds once per cold start and borrows per request.

use crate::auth::TokenService;
use crate::config::{Config, ConfigError};
use crate::store::Store;

pub struct AppContext {
    pub config: Config,
    pub store: Store,
    pub tokens: TokenService,
}

impl AppContext {
    /// Reads the environment and builds the AWS clients. The SDK honours `AWS_ENDPOINT_URL` and
    /// `AWS_ENDPOINT_URL_DYNAMODB`, which is all that points it at the local stack.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Ok(Self::new(config, aws_sdk_dynamodb::Client::new(&sdk)))
    }

    pub fn new(config: Config, dynamodb: aws_sdk_dynamodb::Client) -> Self {
        let tokens = TokenService::new(&config.auth);
        let store = Store::new(dynamodb, config.table_name.clone());
        Self {
            config,
            store,
            tokens,
        }
    }
}
