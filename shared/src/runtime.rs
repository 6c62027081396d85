//! What every function's `main` calls: logs, context built once, cold start marked, then the
//! Lambda loop. HTTP handler errors become responses here (the one mapping lives in
//! [`crate::error`]); SQS consumers report failed messages themselves ([`crate::consumer`]).

use crate::context::AppContext;
use crate::error::ApiError;
use lambda_http::{Body, Request, Response, service_fn};
use std::convert::Infallible;
use std::future::Future;

/// For endpoints that sign in or check who is calling: start-up needs the token key (`JWT_SECRET`).
pub async fn serve_http<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static AppContext, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>> + Send + 'static,
{
    serve_http_requiring(&["JWT_SECRET"], handler).await
}

/// For public endpoints (the catalog), which are given no secrets at all.
pub async fn serve_public_http<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static AppContext, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>> + Send + 'static,
{
    serve_http_requiring(&[], handler).await
}

/// As [`serve_http`], and start-up fails unless each of `required` is set and not empty.
pub async fn serve_http_requiring<F, Fut>(
    required: &'static [&'static str],
    handler: F,
) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static AppContext, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>> + Send + 'static,
{
    crate::metrics::process_started();
    crate::telemetry::init();
    let ctx = match AppContext::load(required).await {
        Ok(ctx) => ctx,
        Err(e) => {
            tracing::error!(error = %e, "start-up failed");
            return Err(e.into());
        }
    };
    // Built once per sandbox and never dropped: borrowing it for 'static keeps handlers simple.
    let ctx: &'static AppContext = Box::leak(Box::new(ctx));
    let handler = &handler;
    lambda_http::run(service_fn(move |req: Request| {
        crate::metrics::invocation_started();
        let fut = handler(ctx, req);
        async move { Ok::<_, Infallible>(fut.await.unwrap_or_else(ApiError::into_response)) }
    }))
    .await
}

/// What every SQS consumer's `main` calls: `load` builds its context once (start-up fails, logged,
/// if it cannot), then each batch goes to `handler`.
pub async fn serve_sqs<C, L, F, Fut>(load: L, handler: F) -> Result<(), lambda_runtime::Error>
where
    C: Sync + 'static,
    L: Future<Output = Result<C, crate::config::ConfigError>>,
    F: Fn(&'static C, lambda_runtime::LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>) -> Fut,
    Fut: Future<Output = Result<crate::consumer::BatchResponse, lambda_runtime::Error>>,
{
    crate::metrics::process_started();
    crate::telemetry::init();
    let ctx = load.await.map_err(|e| {
        tracing::error!(error = %e, "start-up failed");
        e
    })?;
    // Built once per sandbox and never dropped, as for HTTP functions.
    let ctx: &'static C = Box::leak(Box::new(ctx));
    let handler = &handler;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        crate::metrics::invocation_started();
        handler(ctx, event)
    }))
    .await
}
