//! What every SQS consumer shares: one span per message (carrying its id), the message's outcome
//! logged, and only the failed message ids reported (`ReportBatchItemFailures`), so SQS retries
//! exactly those and, after `maxReceiveCount`, moves them to the dead-letter queue.

use crate::chain::{BoxError, error_chain};
use aws_lambda_events::event::sqs::SqsEvent;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;
use std::future::Future;
use tracing::Instrument;

/// `{"batchItemFailures": [{"itemIdentifier": "<messageId>"}]}`
#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct BatchResponse {
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct ItemFailure {
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// Runs `process` on each message body in turn and reports the ones that failed.
pub async fn each_message<F, Fut, T>(event: SqsEvent, process: F) -> BatchResponse
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<T, BoxError>>,
    T: Debug,
{
    let mut response = BatchResponse::default();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let span = tracing::info_span!("message", message_id = %id);
        // Boxed: keeps the consumer's future type shallow (the compiler's layout depth is finite).
        let result = Box::pin(process(message.body.unwrap_or_default()))
            .instrument(span.clone())
            .await;
        let _enter = span.enter();
        match result {
            Ok(outcome) => tracing::info!(outcome = ?outcome, "message done"),
            Err(e) => {
                tracing::error!(error = %error_chain(e.as_ref()), "message failed; SQS will retry it");
                response.batch_item_failures.push(ItemFailure {
                    item_identifier: id,
                });
            }
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::sqs::SqsMessage;

    fn message(id: &str, body: &str) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = Some(id.into());
        m.body = Some(body.into());
        m
    }

    #[tokio::test]
    async fn reports_only_the_failed_messages() {
        let mut event = SqsEvent::default();
        event.records = vec![message("a", "ok"), message("b", "fail"), message("c", "ok")];
        let r = each_message(event, |body| async move {
            if body == "ok" {
                Ok(1)
            } else {
                Err(BoxError::from("nope"))
            }
        })
        .await;
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"batchItemFailures": [{"itemIdentifier": "b"}]})
        );
    }
}
