//! Data access: one DynamoDB table, items as serde structs through serde_dynamo, keys from
//! [`crate::keys`]. Invariants are conditions or transactions on the write itself.

pub mod addresses;
pub mod admin_orders;
pub mod cart;
pub mod catalog;
pub mod details;
pub mod discounts;
pub mod emails;
pub mod expiry;
pub mod fulfilment;
pub mod holds;
pub mod idempotency;
pub mod images;
pub mod orders;
pub mod payments;
pub mod reconcile;
pub mod refunds;
pub mod selling;
pub mod sessions;
pub mod stock;
pub mod throttle;
pub mod tokens;
pub mod users;

use crate::chain::BoxError;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("conditional check failed")]
    ConditionFailed,
    /// A transaction was cancelled; one reason code per action, in order (`None` = that action was fine).
    #[error("transaction cancelled: {reasons:?}")]
    TransactionCanceled { reasons: Vec<Option<String>> },
    /// DynamoDB could not do it now (throttled, a conflicting transaction on the item, a 5xx,
    /// a timeout, unreachable) after the SDK's own retries: the caller may try again later.
    #[error("dynamodb {operation} unavailable")]
    Unavailable {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
    #[error("dynamodb {operation} failed")]
    Dynamo {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
    #[error("item could not be converted")]
    Serde(#[from] serde_dynamo::Error),
}

impl StoreError {
    /// Maps an SDK error, recognising a failed condition.
    pub fn from_sdk<E, R>(operation: &'static str, e: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        if e.code() == Some("ConditionalCheckFailedException") {
            return Self::ConditionFailed;
        }
        if let SdkError::ServiceError(service) = &e {
            let err = service.err();
            if err.code() == Some("TransactionCanceledException") {
                // The typed reasons are only on the TransactWriteItems error; parse the message
                // form "... [ConditionalCheckFailed, None]" as a fallback for other callers.
                let reasons = err
                    .message()
                    .and_then(|m| {
                        m.rsplit_once('[')
                            .map(|(_, r)| r.trim_end_matches(']').to_string())
                    })
                    .map(|r| {
                        r.split(',')
                            .map(|s| s.trim())
                            .map(|s| (s != "None").then(|| s.to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                return Self::TransactionCanceled { reasons };
            }
        }
        if is_transient(&e) {
            return Self::Unavailable {
                operation,
                source: Box::new(e),
            };
        }
        Self::Dynamo {
            operation,
            source: Box::new(e),
        }
    }

    /// Worth retrying later as it is: a conflicting transaction, throttling, or DynamoDB
    /// unavailable. Never a failed condition (that is an answer).
    pub fn is_transient(&self) -> bool {
        self.is_conflict()
            || matches!(self, Self::Unavailable { .. })
            || matches!(self, Self::TransactionCanceled { reasons }
                if reasons.iter().flatten().any(|r| r == "ThrottlingError"))
    }

    /// True when action `index` of a cancelled transaction failed its condition.
    pub fn condition_failed_at(&self, index: usize) -> bool {
        match self {
            Self::TransactionCanceled { reasons } => reasons
                .get(index)
                .and_then(|r| r.as_deref())
                .is_some_and(|r| r == "ConditionalCheckFailed"),
            Self::ConditionFailed => true,
            _ => false,
        }
    }

    /// True when a transaction was cancelled because another one was writing the same items
    /// (safe to retry).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::TransactionCanceled { reasons }
            if reasons.iter().flatten().any(|r| r == "TransactionConflict"))
    }
}

/// Attempts of a transaction that DynamoDB cancels for a conflicting one.
pub const CONFLICT_ATTEMPTS: u32 = 5;

/// "Full jitter" exponential backoff: a random wait up to 25 ms × 2^attempt, capped at 1 s.
pub fn backoff(attempt: u32) -> std::time::Duration {
    let cap = (25u64 << attempt.min(6)).min(1_000);
    std::time::Duration::from_millis(rand::random_range(cap / 4..=cap))
}

/// Errors DynamoDB may not give again: throttling, a transaction in progress on the item, 5xx,
/// timeouts and connection failures (what the SDK's standard retries have already retried).
fn is_transient<E, R>(e: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    match e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ResponseError(_) => true,
        SdkError::ServiceError(service) => matches!(
            service.err().code(),
            Some(
                "ThrottlingException"
                    | "ProvisionedThroughputExceededException"
                    | "RequestLimitExceeded"
                    | "TransactionConflictException"
                    | "TransactionInProgressException"
                    | "InternalServerError"
                    | "ServiceUnavailable"
            )
        ),
        _ => false,
    }
}

/// `Ok(true)` if a conditional write happened, `Ok(false)` if its condition failed.
pub fn condition_held<T>(result: Result<T, StoreError>) -> Result<bool, StoreError> {
    match result {
        Ok(_) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Maps a TransactWriteItems error, keeping the per-action cancellation reasons.
pub fn from_transact_error<R>(
    e: SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> StoreError
where
    R: std::fmt::Debug + Send + Sync + 'static,
{
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    if let SdkError::ServiceError(service) = &e
        && let TransactWriteItemsError::TransactionCanceledException(c) = service.err()
    {
        let reasons = c
            .cancellation_reasons()
            .iter()
            .map(|r| r.code().filter(|c| *c != "None").map(str::to_string))
            .collect();
        return StoreError::TransactionCanceled { reasons };
    }
    StoreError::from_sdk("TransactWriteItems", e)
}

/// The table and its client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pub client: Client,
    pub table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Reads one item by key. `consistent` for reads that must see the latest write.
    pub async fn get<T: serde::de::DeserializeOwned>(
        &self,
        key: &crate::keys::Key,
        consistent: bool,
    ) -> Result<Option<T>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("GetItem", e))?;
        match out.item {
            Some(item) => Ok(Some(serde_dynamo::from_item(item)?)),
            None => Ok(None),
        }
    }
}

/// Up to `limit + 1` items of `query` from `from` on, in its order: one more than a page tells
/// whether there is a next page. DynamoDB stops a query at 1 MB and says where
/// (`LastEvaluatedKey`): this goes on from there until the page is full or the items end, or the
/// rest of a listing would be unreachable.
pub(crate) async fn query_page<T: serde::de::DeserializeOwned>(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    mut from: Option<Item>,
    limit: usize,
) -> Result<Vec<T>, StoreError> {
    let mut items: Vec<T> = Vec::new();
    loop {
        let out = query
            .clone()
            .limit((limit + 1 - items.len()) as i32)
            .set_exclusive_start_key(from.take())
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("Query", e))?;
        items.extend(serde_dynamo::from_items::<_, T>(
            out.items.unwrap_or_default(),
        )?);
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() && items.len() <= limit => from = Some(k),
            _ => break,
        }
    }
    Ok(items)
}

impl Store {
    /// Every item of one partition (of the table, or of `index`), optionally only sort keys
    /// beginning with `sk_prefix`, following pages. For partitions known to be small and bounded
    /// (a cart, a product's stock rows, the catalog's category list).
    pub async fn query_partition(
        &self,
        index: Option<(&str, &str, &str)>,
        partition: &str,
        sk_prefix: Option<&str>,
        consistent: bool,
    ) -> Result<Vec<Item>, StoreError> {
        let (index_name, pk_attr, sk_attr) = match index {
            Some((name, pk, sk)) => (Some(name), pk, sk),
            None => (None, crate::keys::PK, crate::keys::SK),
        };
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index_name.map(str::to_string))
                .expression_attribute_names("#p", pk_attr)
                .expression_attribute_values(":p", s(partition))
                .consistent_read(consistent && index_name.is_none())
                .set_exclusive_start_key(start.take());
            q = match sk_prefix {
                Some(prefix) => q
                    .key_condition_expression("#p = :p AND begins_with(#s, :pre)")
                    .expression_attribute_names("#s", sk_attr)
                    .expression_attribute_values(":pre", s(prefix)),
                None => q.key_condition_expression("#p = :p"),
            };
            let page = q
                .send()
                .await
                .map_err(|e| StoreError::from_sdk("Query", e))?;
            out.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(out),
            }
        }
    }
}

impl Store {
    /// Runs one transaction. A cancelled one keeps its reason per action
    /// ([`StoreError::TransactionCanceled`], [`StoreError::condition_failed_at`]).
    pub async fn transact(
        &self,
        actions: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
    ) -> Result<(), StoreError> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await
            .map_err(from_transact_error)?;
        Ok(())
    }

    /// Runs one transaction, trying it again while DynamoDB cancels it for a conflicting one
    /// (up to [`CONFLICT_ATTEMPTS`] in all, with jittered exponential backoff), as AWS advises
    /// for `TransactionConflict`. A conflict left after that is returned (transient: 503).
    pub async fn transact_retrying_conflicts(
        &self,
        actions: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let mut attempt = 0;
        loop {
            match self.transact(actions.clone()).await {
                Err(e) if e.is_conflict() && attempt + 1 < CONFLICT_ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// A transaction action that puts `item` if `condition` holds (e.g. `attribute_not_exists(pk)`).
    pub fn tx_put<T: serde::Serialize>(
        &self,
        item: &T,
        condition: &str,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError> {
        let put = aws_sdk_dynamodb::types::Put::builder()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(item)?))
            .condition_expression(condition)
            .build()
            .map_err(users::build_err)?;
        Ok(aws_sdk_dynamodb::types::TransactWriteItem::builder()
            .put(put)
            .build())
    }
}

/// The key attributes of `key` as an item fragment.
pub fn key_item(key: &crate::keys::Key) -> Item {
    HashMap::from([
        (
            crate::keys::PK.to_string(),
            AttributeValue::S(key.pk.clone()),
        ),
        (
            crate::keys::SK.to_string(),
            AttributeValue::S(key.sk.clone()),
        ),
    ])
}

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
