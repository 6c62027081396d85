//! Lambda entry point; the logic is in `lib.rs`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ferrocart::runtime::serve_sqs(email::EmailContext::from_env(), email::handle).await
}
