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

#[derive(Debug, Clone, Deserialize)]
pub struct Refund {
    pub id: String,
    pub status: String,
    /// Minor units refunded by this refund.
    #[serde(default)]
    pub amount: i64,
}

impl PaymentError {
    /// Stripe's refusal because the payment is refunded already (`charge_already_refunded`).
    pub fn already_refunded(&self) -> bool {
        matches!(self, Self::Rejected { status: 400, body } if body.contains("charge_already_refunded"))
    }

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

/// The largest amount Stripe charges, in minor units (eight digits: 999,999.99 in a 2-decimal
/// currency; Stripe's documented limit, "Amount must be no more than 99,999,999").
pub const MAX_CHARGE_MINOR: i64 = 99_999_999;

/// The smallest amount Stripe charges in each currency the shop accepts, in minor units
/// (Stripe's "Minimum and maximum charge amounts" table: 0.50 for most, 0.30 GBP, 50 JPY, ...).
pub const MIN_CHARGE_MINOR: &[(&str, i64)] = &[
    ("AUD", 50),
    ("CAD", 50),
    ("CHF", 50),
    ("DKK", 250),
    ("EUR", 50),
    ("GBP", 30),
    ("JPY", 50),
    ("NOK", 300),
    ("PLN", 200),
    ("SEK", 300),
    ("USD", 50),
];

/// `Ok` if Stripe would accept a charge of `amount` (minor units) in `currency`, otherwise a
/// customer-readable reason.
pub fn payable(amount: i64, currency: &str) -> Result<(), String> {
    let min = MIN_CHARGE_MINOR
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(currency))
        .map(|(_, m)| *m)
        .ok_or_else(|| format!("payments in {currency} are not accepted"))?;
    let upper = currency.to_ascii_uppercase();
    if amount < min {
        return Err(format!(
            "the order total {} is below the smallest payment accepted, {}",
            crate::money::format(amount, &upper),
            crate::money::format(min, &upper)
        ));
    }
    if amount > MAX_CHARGE_MINOR {
        return Err(format!(
            "the order total {} is above the largest payment accepted, {}; split the order",
            crate::money::format(amount, &upper),
            crate::money::format(MAX_CHARGE_MINOR, &upper)
        ));
    }
    Ok(())
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

    async fn decode<T: serde::de::DeserializeOwned>(
        resp: reqwest::Response,
    ) -> Result<T, PaymentError> {
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

    /// Refunds a PaymentIntent's payment in full. `idempotency_key` must be derived from what
    /// is refunded, so a retry never refunds twice.
    pub async fn refund_payment_intent(
        &self,
        payment_intent: &str,
        idempotency_key: &str,
    ) -> Result<Refund, PaymentError> {
        self.refund(payment_intent, None, None, idempotency_key)
            .await
    }

    /// Refunds `amount` (all that is left when `None`) of a PaymentIntent's payment, recording
    /// `reason` (`requested_by_customer`, `duplicate`, `fraudulent`) in the refund's metadata
    /// (`metadata[reason]`: the local stand-in, localstripe, refuses Stripe's own `reason`
    /// field). Stripe refuses more than is left to refund (400).
    pub async fn refund(
        &self,
        payment_intent: &str,
        amount: Option<i64>,
        reason: Option<&str>,
        idempotency_key: &str,
    ) -> Result<Refund, PaymentError> {
        let mut form = vec![("payment_intent", payment_intent.to_string())];
        if let Some(a) = amount {
            form.push(("amount", a.to_string()));
        }
        if let Some(r) = reason {
            form.push(("metadata[reason]", r.to_string()));
        }
        let resp = self
            .http
            .post(format!("{}/v1/refunds", self.base))
            .basic_auth(&self.secret_key, None::<&str>)
            .header("Idempotency-Key", idempotency_key)
            .form(&form)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_outside_stripes_limits_are_not_payable() {
        assert!(payable(0, "GBP").is_err());
        assert!(payable(29, "GBP").is_err());
        assert!(payable(30, "GBP").is_ok());
        assert!(payable(49, "EUR").is_err());
        assert!(payable(MAX_CHARGE_MINOR, "USD").is_ok());
        assert!(payable(MAX_CHARGE_MINOR + 1, "USD").is_err());
        assert!(payable(100, "XTS").is_err());
        // Every currency the shop sells in has a minimum.
        for (c, _) in crate::money::CURRENCIES {
            assert!(payable(1_000_000, c).is_ok(), "{c}");
        }
    }
}
