//! Lambda entry point; the logic is in `lib.rs`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ferrocart::metrics::process_started();
    ferrocart::telemetry::init();
    let ctx = email::EmailContext::from_env().await.map_err(|e| {
        tracing::error!(error = %e, "start-up failed");
        e
    })?;
    let ctx: &'static email::EmailContext = Box::leak(Box::new(ctx));
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        ferrocart::metrics::invocation_started();
        email::handle(ctx, event)
    }))
    .await
}
