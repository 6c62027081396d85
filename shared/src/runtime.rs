//! What every function's `main` calls: logs, the function's context built once (a setting missing
//! stops the cold start, logged, naming it), cold start marked, then the Lambda loop. HTTP handler
//! errors become responses here (the one mapping lives in [`crate::error`]); SQS consumers report
//! failed messages themselves ([`crate::consumer`]).

use crate::error::ApiError;
use crate::startup::{FunctionContext, Startup};
use lambda_http::{Body, Request, Response, service_fn};
use std::convert::Infallible;
use std::future::Future;

/// Builds the context once per sandbox. It is never dropped: borrowing it for `'static` keeps
/// handlers simple.
async fn context<C: FunctionContext>() -> Result<&'static C, crate::settings::ConfigError> {
    crate::metrics::process_started();
    crate::telemetry::init();
    let ctx = Startup::load()
        .await
        .and_then(|startup| C::from_startup(&startup))
        .map_err(|e| {
            tracing::error!(error = %e, "start-up failed");
            e
        })?;
    Ok(Box::leak(Box::new(ctx)))
}

/// An HTTP function: `handler(&Context, Request)`, its context type `C` built at start-up.
pub async fn serve_http<C, F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    C: FunctionContext,
    F: Fn(&'static C, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>> + Send + 'static,
{
    let ctx = context::<C>().await?;
    let handler = &handler;
    lambda_http::run(service_fn(move |req: Request| {
        crate::metrics::invocation_started();
        let fut = handler(ctx, req);
        async move { Ok::<_, Infallible>(fut.await.unwrap_or_else(ApiError::into_response)) }
    }))
    .await
}

/// An SQS consumer: each batch goes to `handler(&Context, event)`.
pub async fn serve_sqs<C, F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    C: FunctionContext,
    F: Fn(&'static C, lambda_runtime::LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>) -> Fut,
    Fut: Future<Output = Result<crate::consumer::BatchResponse, lambda_runtime::Error>>,
{
    serve_events(handler).await
}

/// A scheduled function (an EventBridge schedule): each run goes to `handler(&Context, event)`,
/// whose answer (a report of what it did) is the invocation's result.
pub async fn serve_scheduled<C, F, Fut, R>(handler: F) -> Result<(), lambda_runtime::Error>
where
    C: FunctionContext,
    F: Fn(&'static C, lambda_runtime::LambdaEvent<serde_json::Value>) -> Fut,
    Fut: Future<Output = Result<R, lambda_runtime::Error>>,
    R: serde::Serialize,
{
    serve_events(handler).await
}

/// Any event function (a DynamoDB stream consumer, say): `handler(&Context, event)` per
/// invocation, its answer the result.
pub async fn serve_events<C, E, F, Fut, R>(handler: F) -> Result<(), lambda_runtime::Error>
where
    C: FunctionContext,
    E: serde::de::DeserializeOwned,
    F: Fn(&'static C, lambda_runtime::LambdaEvent<E>) -> Fut,
    Fut: Future<Output = Result<R, lambda_runtime::Error>>,
    R: serde::Serialize,
{
    let ctx = context::<C>().await?;
    let handler = &handler;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        crate::metrics::invocation_started();
        handler(ctx, event)
    }))
    .await
}
