//! `ferrocart pay <payment_intent_id>`: pays a local order at the Stripe stand-in with a test card;
//! the stand-in's signed webhook then marks the order paid.

use crate::local::{http, load_template, project_root};
use crate::services;
use anyhow::{Result, anyhow};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The order's PaymentIntent (`payment.payment_intent_id` in checkout's answer).
    pub payment_intent: String,
    /// A Stripe test card: 4000000000000341 is declined.
    #[arg(long, default_value = "4242424242424242")]
    pub card: String,
}

pub async fn run(args: Args) -> Result<()> {
    pay(&args.payment_intent, &args.card).await
}

/// Pays a PaymentIntent at the local Stripe stand-in the way Stripe.js would: a card payment
/// method, attached, then confirmed (the stand-in answers 500 to `confirm` with `payment_method`).
async fn pay(payment_intent: &str, card: &str) -> Result<()> {
    let base = format!("http://127.0.0.1:{}", services::STRIPE_PORT);
    // The key the functions read from Secrets Manager (STRIPE_SECRET_KEY inside the secret
    // their *_SECRET_ARN names), resolved from the local secrets as the stack stores them.
    let tpl = load_template(&project_root()?)?;
    let key = tpl
        .functions
        .iter()
        .find_map(|f| tpl.settings(f).remove("STRIPE_SECRET_KEY"))
        .ok_or_else(|| anyhow!("no function in template.yaml is given STRIPE_SECRET_KEY"))?;
    let http = http();
    let post = |path: String, form: Vec<(&'static str, String)>| {
        http.post(format!("{base}{path}"))
            .basic_auth(&key, None::<&str>)
            .form(&form)
            .send()
    };
    let json = |r: reqwest::Response| async move {
        let status = r.status();
        let v: serde_json::Value = r.json().await.unwrap_or_default();
        if status.is_success() {
            Ok(v)
        } else {
            Err(anyhow!("Stripe stand-in answered {status}: {v}"))
        }
    };
    let pm = json(
        post(
            "/v1/payment_methods".into(),
            vec![
                ("type", "card".into()),
                ("card[number]", card.replace(' ', "")),
                ("card[exp_month]", "12".into()),
                ("card[exp_year]", "2034".into()),
                ("card[cvc]", "123".into()),
            ],
        )
        .await?,
    )
    .await?;
    let pm_id = pm["id"].as_str().unwrap_or_default().to_string();
    json(
        post(
            format!("/v1/payment_intents/{payment_intent}"),
            vec![("payment_method", pm_id)],
        )
        .await?,
    )
    .await?;
    let confirmed = post(
        format!("/v1/payment_intents/{payment_intent}/confirm"),
        vec![],
    )
    .await?;
    let status = confirmed.status();
    let v: serde_json::Value = confirmed.json().await.unwrap_or_default();
    println!(
        "{payment_intent}: {} (HTTP {status}); the signed webhook reaches /payments/webhook in about a second",
        v["status"]
            .as_str()
            .or(v["error"]["message"].as_str())
            .unwrap_or("?")
    );
    Ok(())
}
