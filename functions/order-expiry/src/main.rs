//! Lambda entry point; the consumer and its context ([`order_expiry::ExpiryContext`]) are in `lib.rs`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ferrocart::runtime::serve_sqs(order_expiry::handle).await
}
