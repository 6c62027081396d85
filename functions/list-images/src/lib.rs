//! `GET /admin/images?status=rejected|ready&limit=&cursor=` (admin) → 200 `{items, next_cursor}`:
//! the uploaded images image-resize processed, in that status, newest first: for a rejected one
//! why (`reason`: not an image, too many bytes or pixels, a format not read), for a ready one
//! its variants. One Query on GSI1 (`store::images`); `cursor` is the last page's `next_cursor`
//! (anything else is 422 `invalid_cursor`).

use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::catalog::{ImageStatus, ImageVariant};
use ferrocart::store::images::ImageCursor;
use ferrocart::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
        })
    }
}

#[derive(Serialize)]
struct ImageView {
    product_id: String,
    image_id: String,
    status: ImageStatus,
    reason: Option<String>,
    /// The upload's object key in the uploads bucket.
    source_key: String,
    variants: Vec<ImageVariant>,
    processed_at: String,
}

#[derive(Serialize)]
struct Page {
    items: Vec<ImageView>,
    next_cursor: Option<String>,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    require_admin(&principal)?;
    let q = http::query_params(&req, &["status", "limit", "cursor"])?;
    let status = match q.get("status").map(String::as_str) {
        Some("rejected") => ImageStatus::Rejected,
        Some("ready") => ImageStatus::Ready,
        Some(_) => {
            return Err(ApiError::validation(
                "invalid_status",
                "status",
                "status is rejected or ready",
            ));
        }
        None => {
            return Err(ApiError::validation(
                "status_required",
                "status",
                "status (rejected or ready) is required",
            ));
        }
    };
    let limit = http::limit_param(&q, 50, 100)?;
    let after = match q.get("cursor").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(ImageCursor::parse(c).ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_cursor",
                "cursor",
                "cursor is not one this listing returned",
            )
        })?),
    };
    let (records, next) = ctx.store.list_images(status, limit, after.as_ref()).await?;
    Ok(http::json_response(
        StatusCode::OK,
        &Page {
            items: records
                .into_iter()
                .map(|r| ImageView {
                    product_id: r.product_id.to_string(),
                    image_id: r.image_id.to_string(),
                    status: r.status,
                    reason: r.reason,
                    source_key: r.source_key,
                    variants: r.variants,
                    processed_at: r.processed_at,
                })
                .collect(),
            next_cursor: next,
        },
    ))
}
