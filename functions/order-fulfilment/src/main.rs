//! Lambda entry point; the logic is in `lib.rs`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ferrocart::runtime::serve_sqs(
        order_fulfilment::FulfilmentContext::from_env(),
        order_fulfilment::handle,
    )
    .await
}
