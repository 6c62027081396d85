//! image-resize: S3 `ObjectCreated` on `uploads/<product>/<image>` → SQS → here → WebP and JPEG
//! variants under `media/products/<product>/<image>/<width>.<ext>` in the media bucket, recorded
//! on the product.
//!
//! Safe to run twice: an image's record (`PRODUCT#<id>`/`IMAGE#<id>`) is written once, by a
//! conditional put in the same transaction that adds the image to the product; a duplicate delivery
//! finds it and does nothing, and variant keys are deterministic, so a race rewrites the same
//! objects. An object that can never become an image is recorded as rejected, with its reason, and
//! not retried. Infrastructure failures fail that message only (`batchItemFailures`), so SQS
//! retries it and, after `maxReceiveCount`, moves it to the dead-letter queue.

pub mod image;

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_s3::primitives::ByteStream;
use ferrocart::error::BoxError;
use ferrocart::ids::{ImageId, ProductId};
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::catalog::{ImageRecord, ImageStatus, ImageVariant, RecordImage};
use lambda_runtime::LambdaEvent;
use serde::Deserialize;

pub struct ResizeContext {
    pub store: Store,
    pub s3: aws_sdk_s3::Client,
    pub upload_bucket: String,
    pub media_bucket: String,
    pub max_upload_bytes: u64,
}

impl FunctionContext for ResizeContext {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        Ok(Self {
            store: startup.store()?,
            s3: startup.s3(),
            upload_bucket: startup.required("UPLOAD_BUCKET")?,
            media_bucket: startup.required("MEDIA_BUCKET")?,
            max_upload_bytes: startup.number("MAX_UPLOAD_BYTES", 15 * 1024 * 1024)?,
        })
    }
}

/// `{"batchItemFailures": [{"itemIdentifier": "<messageId>"}]}`
pub use ferrocart::consumer::{BatchResponse, ItemFailure};

/// The parts of an S3 event notification we use (S3 sends more; all of it is optional here so an
/// emitter that leaves fields out still parses).
#[derive(Debug, Deserialize)]
struct S3Notification {
    #[serde(rename = "Records", default)]
    records: Vec<S3Record>,
    #[serde(rename = "Event", default)]
    event: Option<String>,
}

#[derive(Debug, Deserialize)]
struct S3Record {
    #[serde(rename = "eventName", default)]
    event_name: String,
    s3: S3Entity,
}

#[derive(Debug, Deserialize)]
struct S3Entity {
    bucket: S3Bucket,
    object: S3Object,
}

#[derive(Debug, Deserialize)]
struct S3Bucket {
    name: String,
}

#[derive(Debug, Deserialize)]
struct S3Object {
    key: String,
    #[serde(default)]
    size: Option<u64>,
}

/// What happened to one uploaded object.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Ready { variants: usize },
    Rejected(String),
    AlreadyProcessed,
    Ignored(&'static str),
}

pub async fn handle(
    ctx: &ResizeContext,
    event: LambdaEvent<SqsEvent>,
) -> Result<BatchResponse, lambda_runtime::Error> {
    Ok(
        ferrocart::consumer::each_message(event.payload, |body| async move {
            process_message(ctx, &body).await
        })
        .await,
    )
}

/// Handles one SQS message body (one S3 notification, possibly several records).
pub async fn process_message(ctx: &ResizeContext, body: &str) -> Result<Vec<Outcome>, BoxError> {
    let note: S3Notification = serde_json::from_str(body)
        .map_err(|e| format!("message is not an S3 event notification: {e}"))?;
    if note.event.as_deref() == Some("s3:TestEvent") {
        return Ok(vec![Outcome::Ignored("s3:TestEvent")]);
    }
    if note.records.is_empty() {
        return Err("S3 notification without records".into());
    }
    let mut outcomes = Vec::new();
    for r in note.records {
        outcomes.push(process_object(ctx, &r).await?);
    }
    Ok(outcomes)
}

/// S3 URL-encodes keys in notifications (`+` for space, `%XX` for the rest).
pub fn decode_key(raw: &str) -> String {
    percent_encoding::percent_decode_str(&raw.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// `uploads/<product id>/<image id>` → the ids.
pub fn parse_upload_key(key: &str) -> Option<(ProductId, ImageId)> {
    let mut parts = key.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("uploads"), Some(p), Some(i), None) => {
            Some((ProductId::parse(p)?, ImageId::parse(i)?))
        }
        _ => None,
    }
}

pub fn variant_key(p: &ProductId, i: &ImageId, width: u32, format: image::Format) -> String {
    format!("media/products/{p}/{i}/{width}.{}", format.extension())
}

async fn process_object(ctx: &ResizeContext, r: &S3Record) -> Result<Outcome, BoxError> {
    if !r.event_name.starts_with("ObjectCreated") {
        return Ok(Outcome::Ignored("not an ObjectCreated event"));
    }
    if r.s3.bucket.name != ctx.upload_bucket {
        tracing::warn!(bucket = %r.s3.bucket.name, "event from an unexpected bucket");
        return Ok(Outcome::Ignored("unexpected bucket"));
    }
    let key = decode_key(&r.s3.object.key);
    let Some((product, image_id)) = parse_upload_key(&key) else {
        tracing::warn!(key = %key, "object key is not uploads/<product>/<image>");
        return Ok(Outcome::Ignored("unexpected key"));
    };
    if ctx
        .store
        .get_image_record(&product, &image_id)
        .await?
        .is_some()
    {
        return Ok(Outcome::AlreadyProcessed);
    }
    let result = match r.s3.object.size {
        Some(size) if size > ctx.max_upload_bytes => Err(image::Rejection::TooManyBytes(size)),
        _ => match fetch(ctx, &key).await? {
            None => return Ok(Outcome::Ignored("object no longer exists")),
            Some(bytes) if bytes.len() as u64 > ctx.max_upload_bytes => {
                Err(image::Rejection::TooManyBytes(bytes.len() as u64))
            }
            Some(bytes) => tokio::task::spawn_blocking(move || image::process(&bytes)).await?,
        },
    };
    let now = ferrocart::time::rfc3339(ferrocart::time::now_unix());
    let mut record = ImageRecord::new(&product, &image_id, &key, &now);
    let outcome = match result {
        Err(rejection) => {
            tracing::warn!(key = %key, reason = %rejection, "upload rejected");
            record.reason = Some(format!("{}: {rejection}", rejection.code()));
            Outcome::Rejected(rejection.code().to_string())
        }
        Ok(variants) => {
            for v in &variants {
                let vkey = variant_key(&product, &image_id, v.width, v.format);
                ctx.s3
                    .put_object()
                    .bucket(&ctx.media_bucket)
                    .key(&vkey)
                    .content_type(v.format.content_type())
                    .cache_control("public, max-age=31536000, immutable")
                    .body(ByteStream::from(v.bytes.clone()))
                    .send()
                    .await?;
                record.variants.push(ImageVariant {
                    width: v.width,
                    height: v.height,
                    format: v.format.name().to_string(),
                    key: vkey,
                    bytes: v.bytes.len() as u64,
                });
            }
            record.status = ImageStatus::Ready;
            Outcome::Ready {
                variants: variants.len(),
            }
        }
    };
    match ctx.store.record_image(&record).await? {
        RecordImage::Recorded => {
            let metric = match outcome {
                Outcome::Ready { .. } => ferrocart::metrics::Metric::ImagesResized,
                _ => ferrocart::metrics::Metric::ImagesRejected,
            };
            ferrocart::metrics::count(metric, &[("product_id", product.as_str())]);
            Ok(outcome)
        }
        RecordImage::AlreadyRecorded => Ok(Outcome::AlreadyProcessed),
        RecordImage::ProductGone => {
            tracing::warn!(product_id = %product, "product no longer exists; variants left unreferenced");
            Ok(Outcome::Ignored("product no longer exists"))
        }
    }
}

/// The object's bytes, or `None` if it is gone (expired or deleted since the event).
async fn fetch(ctx: &ResizeContext, key: &str) -> Result<Option<Vec<u8>>, BoxError> {
    match ctx
        .s3
        .get_object()
        .bucket(&ctx.upload_bucket)
        .key(key)
        .send()
        .await
    {
        Ok(out) => Ok(Some(out.body.collect().await?.into_bytes().to_vec())),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_decoded_and_parsed_strictly() {
        assert_eq!(decode_key("uploads%2Fa+b%C3%A9.jpg"), "uploads/a bé.jpg");
        let p = ProductId::generate();
        let i = ImageId::generate();
        let key = format!("uploads/{p}/{i}");
        assert_eq!(parse_upload_key(&key), Some((p.clone(), i.clone())));
        assert_eq!(
            parse_upload_key(&decode_key(&key.replace('/', "%2F"))),
            Some((p.clone(), i.clone()))
        );
        assert!(parse_upload_key(&format!("uploads/{p}/{i}/x")).is_none());
        assert!(parse_upload_key(&format!("other/{p}/{i}")).is_none());
        assert!(parse_upload_key("uploads/not-a-uuid/also-not").is_none());
        assert_eq!(
            variant_key(&p, &i, 480, image::Format::Webp),
            format!("media/products/{p}/{i}/480.webp")
        );
    }

    #[test]
    fn notifications_parse_with_fields_missing() {
        let body = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"uploads%2Fx"}}}]}"#;
        let n: S3Notification = serde_json::from_str(body).unwrap();
        assert_eq!(n.records[0].s3.object.key, "uploads%2Fx");
        let test: S3Notification =
            serde_json::from_str(r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#).unwrap();
        assert_eq!(test.event.as_deref(), Some("s3:TestEvent"));
        assert_eq!(
            serde_json::to_value(BatchResponse {
                batch_item_failures: vec![ItemFailure {
                    item_identifier: "m1".into()
                }]
            })
            .unwrap(),
            serde_json::json!({"batchItemFailures": [{"itemIdentifier": "m1"}]})
        );
    }
}
