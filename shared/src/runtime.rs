//! What every HTTP function's `main` calls: logs, context built once, then the Lambda loop.
//! Handler errors become responses here (the one mapping lives in [`crate::error`]).

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
