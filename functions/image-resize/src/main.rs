//! Lambda entry point; the logic is in `lib.rs` (`handle`) and `image.rs` (`process`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ferrocart::runtime::serve_sqs(
        image_resize::ResizeContext::from_env(),
        image_resize::handle,
    )
    .await
}
