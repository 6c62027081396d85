//! search-indexer: the table's DynamoDB stream (product items only, by the event source
//! mapping's filter) → the search index, published to S3 (`ferrocart_search::publish`).
//!
//! - A batch's records are applied in order; a product's document is what search shows of its
//!   new image (`SearchDoc`), so a record whose change search does not show (a stock move on
//!   the same availability level) costs no S3 work, and re-applying a batch changes nothing.
//! - One writer: reserved concurrency 1, and the pointer is written only over the version this
//!   writer holds (a newer one makes it reload and apply again, once).
//! - A record that is not a readable product (a poison) takes the product out of search, is sent
//!   to the dead-letter queue with its reason, and does not hold the stream up. A failure to read
//!   or publish the index fails the batch from its first record (`batchItemFailures`): Lambda
//!   retries it, then sends the batch's position to the same dead-letter queue.
//! - `{"rebuild": true}` (`ferrocart search-rebuild` locally, `aws lambda invoke` deployed)
//!   builds a fresh index from the active products and publishes it: first deploys, recovery.

use ferrocart::consumer::BatchResponse;
use ferrocart::ids::ProductId;
use ferrocart::keys;
use ferrocart::settings::ConfigError;
use ferrocart::startup::{FunctionContext, Startup};
use ferrocart::store::Store;
use ferrocart::store::catalog::ProductItem;
use ferrocart::streams;
use ferrocart_search::Language;
use ferrocart_search::publish::{IndexStore, Published};
use ferrocart_search::{Catalog, Change, SearchDoc, SearchError, doc};
use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Context {
    pub index: IndexStore,
    pub store: Store,
    pub sqs: aws_sdk_sqs::Client,
    pub dead_letter_queue: String,
    pub language_code: String,
    pub language: Language,
    /// Where the writer keeps its copy of the index (under `/tmp` in Lambda).
    pub work_dir: PathBuf,
    writer: tokio::sync::Mutex<Option<Writer>>,
    loads: AtomicU64,
}

/// The writer's copy of the published index, kept warm between invocations.
struct Writer {
    catalog: Catalog,
    published: Option<Published>,
    dir: PathBuf,
}

impl FunctionContext for Context {
    fn from_startup(startup: &Startup) -> Result<Self, ConfigError> {
        let language_code = startup.required("SEARCH_LANGUAGE")?;
        let language = ferrocart_search::schema::language(&language_code).ok_or_else(|| {
            ConfigError::Invalid {
                name: "SEARCH_LANGUAGE",
                reason: format!("{language_code:?} is not a language search can stem"),
            }
        })?;
        Ok(Self {
            index: IndexStore::new(
                startup.s3(),
                startup.required("SEARCH_BUCKET")?,
                startup.required("SEARCH_INDEX_PREFIX")?,
            ),
            store: startup.store()?,
            sqs: startup.sqs(),
            dead_letter_queue: startup.required("SEARCH_DEAD_LETTER_QUEUE_URL")?,
            language_code,
            language,
            work_dir: startup
                .settings()
                .get("SEARCH_WORK_DIR")
                .map_or_else(|| std::env::temp_dir().join("search-writer"), PathBuf::from),
            writer: tokio::sync::Mutex::new(None),
            loads: AtomicU64::new(0),
        })
    }
}

/// What one record asks of the index.
#[derive(Debug)]
enum Decoded {
    Change(ProductId, Change),
    /// Not a product item (the filter should have kept it out): nothing to do.
    Other,
    /// Unreadable: take `product` (if known) out of search and send the record aside.
    Poison {
        product: Option<ProductId>,
        reason: String,
    },
}

fn decode(record: &Value) -> Decoded {
    let r = match streams::Record::read(record) {
        Ok(r) => r,
        Err(reason) => {
            return Decoded::Poison {
                product: None,
                reason,
            };
        }
    };
    let Some(product) = keys::product_of_partition(&r.pk) else {
        return Decoded::Other;
    };
    if r.sk != keys::product(&product).sk {
        return Decoded::Other;
    }
    let new = match streams::image::<ProductItem>(r.new_image, "new", "a product") {
        Ok(n) => n,
        Err(reason) => {
            return Decoded::Poison {
                product: Some(product),
                reason,
            };
        }
    };
    // An unreadable old image only costs the comparison: index the new one.
    let old = streams::image::<ProductItem>(r.old_image, "old", "a product")
        .ok()
        .flatten();
    Decoded::Change(product, doc::change(old.as_ref(), new.as_ref()))
}

pub async fn handle(
    ctx: &Context,
    event: LambdaEvent<Value>,
) -> Result<Value, lambda_runtime::Error> {
    if event.payload.get("rebuild") == Some(&Value::Bool(true)) {
        let report = rebuild(ctx).await.map_err(|e| {
            tracing::error!(error = %e, "search rebuild failed");
            e
        })?;
        return Ok(report);
    }
    let records = streams::records(&event.payload);
    Ok(serde_json::to_value(process(ctx, &records).await)?)
}

/// A batch from the stream: every readable change applied and published, poisons set aside.
pub async fn process(ctx: &Context, records: &[Value]) -> BatchResponse {
    let mut changes = Vec::new();
    let mut poisons = Vec::new();
    for record in records {
        match decode(record) {
            Decoded::Change(id, change) => changes.push((id, change)),
            Decoded::Other => {}
            Decoded::Poison { product, reason } => {
                if let Some(id) = product {
                    changes.push((id, Change::Remove));
                }
                poisons.push((record, reason));
            }
        }
    }
    if changes.iter().any(|(_, c)| *c != Change::Nothing) {
        match publish_changes(ctx, &changes).await {
            Ok(published) => tracing::info!(
                records = records.len(),
                version = published.map(|p| p.pointer.version),
                "search index updated"
            ),
            Err(e) => {
                tracing::error!(error = %e, "search index update failed; the batch will be retried");
                return streams::fail_from(records.first());
            }
        }
    }
    if let Err(retry) = streams::set_aside(&ctx.sqs, &ctx.dead_letter_queue, &poisons).await {
        return retry;
    }
    BatchResponse::default()
}

impl Context {
    fn fresh_dir(&self) -> PathBuf {
        let n = self.loads.fetch_add(1, Ordering::Relaxed);
        self.work_dir
            .join(format!("{}-{n}", ferrocart::time::now_unix_ms()))
    }

    /// The writer's copy of what is published now (or a new, empty index before the first).
    async fn load(&self) -> Result<Writer, SearchError> {
        let published = self.index.current().await?;
        let dir = self.fresh_dir();
        let catalog = match &published {
            Some(p) => {
                self.index.download(&p.pointer, &dir, &dir).await?;
                Catalog::open(&dir, self.language)?
            }
            None => Catalog::create(&dir, self.language)?,
        };
        Ok(Writer {
            catalog,
            published,
            dir,
        })
    }

    fn keep(&self, slot: &mut Option<Writer>, writer: Writer) {
        if let Some(old) = slot.take()
            && old.dir != writer.dir
        {
            let _ = std::fs::remove_dir_all(&old.dir);
        }
        *slot = Some(writer);
    }
}

async fn publish_changes(
    ctx: &Context,
    changes: &[(ProductId, Change)],
) -> Result<Option<Published>, SearchError> {
    let mut slot = ctx.writer.lock().await;
    for attempt in 0..2 {
        let mut writer = match slot.take() {
            Some(w) if attempt == 0 => w,
            stale => {
                if let Some(w) = stale {
                    let _ = std::fs::remove_dir_all(&w.dir);
                }
                ctx.load().await?
            }
        };
        if writer.catalog.apply(changes)? == 0 {
            let published = writer.published.clone();
            ctx.keep(&mut slot, writer);
            return Ok(published);
        }
        match ctx
            .index
            .publish(
                &writer.catalog.index,
                &writer.dir,
                &ctx.language_code,
                writer.published.as_ref(),
                ferrocart::time::now_unix_ms(),
            )
            .await
        {
            Ok(p) => {
                writer.published = Some(p.clone());
                ctx.keep(&mut slot, writer);
                return Ok(Some(p));
            }
            Err(SearchError::Superseded) if attempt == 0 => {
                tracing::warn!("the index was published meanwhile; reloading it");
                let _ = std::fs::remove_dir_all(&writer.dir);
            }
            Err(e) => {
                // Its copy holds unpublished commits: the next batch starts from S3.
                let _ = std::fs::remove_dir_all(&writer.dir);
                return Err(e);
            }
        }
    }
    Err(SearchError::Superseded)
}

/// Every active product, indexed afresh and published as the next version.
pub async fn rebuild(ctx: &Context) -> Result<Value, lambda_runtime::Error> {
    let docs: Vec<SearchDoc> = ctx
        .store
        .all_active_products()
        .await?
        .iter()
        .filter_map(SearchDoc::of)
        .collect();
    let mut slot = ctx.writer.lock().await;
    let dir = ctx.fresh_dir();
    let mut catalog = Catalog::create(&dir, ctx.language)?;
    catalog.fill(&docs)?;
    let previous = ctx.index.current().await?;
    let published = ctx
        .index
        .publish(
            &catalog.index,
            &dir,
            &ctx.language_code,
            previous.as_ref(),
            ferrocart::time::now_unix_ms(),
        )
        .await?;
    let report = json!({
        "rebuilt": true,
        "products": docs.len(),
        "version": published.pointer.version,
        "files": published.pointer.files.len(),
    });
    ctx.keep(
        &mut slot,
        Writer {
            catalog,
            published: Some(published),
            dir,
        },
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn record(pk: &str, sk: &str, new_image: Option<Value>) -> Value {
        json!({
            "eventName": "MODIFY",
            "dynamodb": {
                "Keys": {"pk": {"S": pk}, "sk": {"S": sk}},
                "NewImage": new_image,
                "SequenceNumber": "100",
            }
        })
    }

    #[test]
    fn records_decode_to_changes_others_and_poisons() {
        let id = ProductId::generate();
        let pk = keys::product_partition(&id);
        assert!(matches!(
            decode(&record(&pk, "STOCK#main", None)),
            Decoded::Other
        ));
        assert!(matches!(
            decode(&record("USER#x", "PRODUCT", None)),
            Decoded::Other
        ));
        // a removal of a never-indexed product is nothing
        assert!(matches!(
            decode(&record(&pk, "PRODUCT", None)),
            Decoded::Change(_, Change::Nothing)
        ));
        match decode(&record(
            &pk,
            "PRODUCT",
            Some(json!({"pk": {"S": pk}, "price": {"S": "lots"}})),
        )) {
            Decoded::Poison { product, reason } => {
                assert_eq!(product, Some(id));
                assert!(
                    reason.starts_with("new image is not a product: price:"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decode(&json!({"dynamodb": 7})),
            Decoded::Poison { product: None, .. }
        ));
        assert_eq!(
            streams::sequence_number(&record(&pk, "PRODUCT", None)),
            "100"
        );
    }
}
