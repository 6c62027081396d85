//! Lambda entry point; the consumer and its context ([`email::EmailContext`]) are in `lib.rs`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ferrocart::runtime::serve_sqs(email::handle::<email::mailer::Ses>).await
}
