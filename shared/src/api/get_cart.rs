//! `GET /cart` (customer) → 200 the caller's cart with current prices, subtotal and stock flags.

use super::cart_view;
use crate::auth::authenticate;
use crate::{ApiError, AppContext, http};
use lambda_http::{Body, Request, Response};

pub async fn handle(ctx: &AppContext, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(ctx, &req).await?;
    http::query_params(&req, &[])?;
    cart_view::respond(ctx, &principal, None).await
}
