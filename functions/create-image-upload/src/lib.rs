//! `POST /admin/products/{id}/images` (admin) `{content_type, content_length}` → 201 a presigned S3
//! PUT into the uploads prefix. The content type and exact length are signed into the URL, so S3
//! refuses any other type or size. The image-resize consumer takes it from there.

use aws_sdk_s3::presigning::PresigningConfig;
use ferrocart::auth::{TokenService, authenticate, require_admin};
use ferrocart::ids::{ImageId, ProductId};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::{ApiError, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Built once per cold start ([`FunctionContext`]): every setting this function needs.
pub struct Context {
    pub store: Store,
    pub tokens: TokenService,
    pub max_body_bytes: usize,
    pub s3: aws_sdk_s3::Client,
    /// Bucket that product photos are uploaded into.
    pub upload_bucket: String,
    /// Largest accepted image upload, in bytes.
    pub max_upload_bytes: u64,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            tokens: startup.tokens()?,
            max_body_bytes: startup.max_body_bytes()?,
            s3: startup.s3(),
            upload_bucket: startup.required("UPLOAD_BUCKET")?,
            max_upload_bytes: startup.number("MAX_UPLOAD_BYTES", 15 * 1024 * 1024)?,
        })
    }
}

pub const ACCEPTED_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];
pub const UPLOAD_URL_TTL_SECS: u64 = 900;
/// Ready images a product may have. Each adds about 1 KB to the product item, which every
/// listing page reads, so the cap keeps catalog reads cheap (and far from the 400 KB item limit).
pub const MAX_IMAGES_PER_PRODUCT: usize = 20;

/// The object key an image is uploaded to; image-resize parses it back.
pub fn upload_key(product: &ProductId, image: &ImageId) -> String {
    format!("uploads/{product}/{image}")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadRequest {
    content_type: String,
    #[serde(deserialize_with = "ferrocart::http::whole")]
    content_length: u64,
}

#[derive(Serialize)]
struct Upload {
    method: &'static str,
    url: String,
    headers: BTreeMap<String, String>,
    expires_in: u64,
}

#[derive(Serialize)]
struct UploadResponse {
    image_id: String,
    upload: Upload,
}

pub async fn handle(ctx: &Context, req: Request) -> Result<Response<Body>, ApiError> {
    let principal = authenticate(&ctx.tokens, &ctx.store, &req).await?;
    require_admin(&principal)?;
    let id = http::path_id(&req, "id", ProductId::parse, "product")?;
    let body: UploadRequest = http::parse_json(&req, ctx.max_body_bytes)?;
    let content_type = body.content_type.trim().to_ascii_lowercase();
    if !ACCEPTED_TYPES.contains(&content_type.as_str()) {
        return Err(ApiError::validation(
            "unsupported_image_type",
            "content_type",
            format!("content_type must be one of {}", ACCEPTED_TYPES.join(", ")),
        ));
    }
    let max = ctx.max_upload_bytes;
    if body.content_length == 0 || body.content_length > max {
        return Err(ApiError::validation(
            "invalid_content_length",
            "content_length",
            format!("content_length must be from 1 to {max} bytes"),
        ));
    }
    let product = ctx
        .store
        .get_product(&id, true)
        .await?
        .ok_or(ApiError::NotFound("product"))?;
    if product.images.len() >= MAX_IMAGES_PER_PRODUCT {
        return Err(ApiError::conflict(
            "too_many_images",
            format!("a product can have at most {MAX_IMAGES_PER_PRODUCT} images"),
        ));
    }
    let bucket = &ctx.upload_bucket;
    let image_id = ImageId::generate();
    let presign = PresigningConfig::expires_in(Duration::from_secs(UPLOAD_URL_TTL_SECS))
        .map_err(ApiError::internal)?;
    let presigned = ctx
        .s3
        .put_object()
        .bucket(bucket)
        .key(upload_key(&id, &image_id))
        .content_type(&content_type)
        .content_length(body.content_length as i64)
        .presigned(presign)
        .await
        .map_err(ApiError::internal)?;
    // Only the headers the signature covers; the client must send exactly these.
    let headers = presigned
        .headers()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .filter(|(k, _)| k == "content-type" || k == "content-length")
        .collect();
    tracing::info!(product_id = %id, image_id = %image_id, admin = %principal.user_id, "image upload issued");
    Ok(http::json_response(
        StatusCode::CREATED,
        &UploadResponse {
            image_id: image_id.to_string(),
            upload: Upload {
                method: "PUT",
                url: presigned.uri().to_string(),
                headers,
                expires_in: UPLOAD_URL_TTL_SECS,
            },
        },
    ))
}
