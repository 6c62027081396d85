//! Lambda entry point; the logic is in `lib.rs` (`handle`) and `image.rs` (`process`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ferrocart::metrics::process_started();
    ferrocart::telemetry::init();
    let ctx = image_resize::ResizeContext::from_env().await.map_err(|e| {
        tracing::error!(error = %e, "start-up failed");
        e
    })?;
    let ctx: &'static image_resize::ResizeContext = Box::leak(Box::new(ctx));
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        ferrocart::metrics::invocation_started();
        image_resize::handle(ctx, event)
    }))
    .await
}
