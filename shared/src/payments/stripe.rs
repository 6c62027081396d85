//! A small Stripe API client: form-encoded requests, secret-key auth, an `Idempotency-Key` on
//! every create, the API base from configuration (the local stack points it at a Stripe fake).

use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub status: String,
    pub amount: i64,
    pub currency: String,
    #[serde(default)]
    pub client_secret: Option<String>,
}

impl PaymentError {
    /// Worth retrying later (provider unreachable, rate-limited or failing), as opposed to a
    /// request the provider will never accept.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport(_) => true,
            Self::Rejected { status, .. } => *status == 429 || *status >= 500,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("payment provider unreachable")]
    Transport(#[from] reqwest::Error),
    #[error("payment provider answered {status}: {body}")]
    Rejected { status: u16, body: String },
}

#[derive(Clone)]
pub struct StripeClient {
    http: reqwest::Client,
    base: String,
    secret_key: String,
}

impl std::fmt::Debug for StripeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// Stripe's API, unless `STRIPE_API_BASE` names another (the local Stripe stand-in).
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";

impl StripeClient {
    pub fn new(base: &str, secret_key: &str) -> Result<Self, reqwest::Error> {
        // reqwest is built without a crypto provider; use the one the AWS SDK already links.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            secret_key: secret_key.to_string(),
        })
    }

    async fn decode(resp: reqwest::Response) -> Result<PaymentIntent, PaymentError> {
        let status = resp.status();
        if !status.is_success() {
            let body = resp.text().await.unwrap_or_default();
            return Err(PaymentError::Rejected {
                status: status.as_u16(),
                body: body.chars().take(500).collect(),
            });
        }
        Ok(resp.json().await?)
    }

    /// Creates a PaymentIntent for an order. `idempotency_key` must be derived from the order, so
    /// a retry can never create a second charge at Stripe.
    pub async fn create_payment_intent(
        &self,
        amount: i64,
        currency: &str,
        order_id: &str,
        user_id: &str,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, PaymentError> {
        let form = [
            ("amount", amount.to_string()),
            ("currency", currency.to_ascii_lowercase()),
            ("metadata[order_id]", order_id.to_string()),
            ("metadata[user_id]", user_id.to_string()),
        ];
        let resp = self
            .http
            .post(format!("{}/v1/payment_intents", self.base))
            .basic_auth(&self.secret_key, None::<&str>)
            .header("Idempotency-Key", idempotency_key)
            .form(&form)
            .send()
            .await?;
        Self::decode(resp).await
    }

    /// Cancels a PaymentIntent so it can no longer be paid. Stripe refuses (4xx) if it already
    /// succeeded or was cancelled; the caller decides what that means.
    pub async fn cancel_payment_intent(
        &self,
        id: &str,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, PaymentError> {
        let resp = self
            .http
            .post(format!("{}/v1/payment_intents/{id}/cancel", self.base))
            .basic_auth(&self.secret_key, None::<&str>)
            .header("Idempotency-Key", idempotency_key)
            .send()
            .await?;
        Self::decode(resp).await
    }

    pub async fn retrieve_payment_intent(&self, id: &str) -> Result<PaymentIntent, PaymentError> {
        let resp = self
            .http
            .get(format!("{}/v1/payment_intents/{id}", self.base))
            .basic_auth(&self.secret_key, None::<&str>)
            .send()
            .await?;
        Self::decode(resp).await
    }
}
