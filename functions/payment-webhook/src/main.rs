//! Lambda entry point; the logic is `ferrocart::api::payment_webhook`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ferrocart::runtime::serve_http_requiring(
        &[
            "STRIPE_WEBHOOK_SECRET",
            "FULFILMENT_QUEUE_URL",
            "EMAIL_QUEUE_URL",
        ],
        ferrocart::api::payment_webhook::handle,
    )
    .await
}
