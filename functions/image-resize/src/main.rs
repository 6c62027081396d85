//! Lambda entry point; the consumer and its context ([`image_resize::ResizeContext`]) are in `lib.rs`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ferrocart::runtime::serve_sqs(image_resize::handle).await
}
