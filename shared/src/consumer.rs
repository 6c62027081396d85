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

/// Time kept back from the invocation's deadline to answer with the failures.
pub const DEADLINE_MARGIN: std::time::Duration = std::time::Duration::from_secs(2);

/// As [`each_message`], but the messages are processed at the same time and the batch answers
/// before `deadline` (the invocation's, less [`DEADLINE_MARGIN`]): a message still working then
/// is stopped and reported failed, so one slow dependency fails only the messages that waited
/// on it and SQS retries only those. Stopping a message mid-way is as safe as the function
/// being killed there, which every consumer must already survive.
pub async fn each_message_by<F, Fut, T>(
    event: SqsEvent,
    deadline: std::time::SystemTime,
    process: F,
) -> BatchResponse
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<T, BoxError>>,
    T: Debug,
{
    let budget = deadline
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default()
        .saturating_sub(DEADLINE_MARGIN);
    let runs = event.records.into_iter().map(|message| {
        let id = message.message_id.clone().unwrap_or_default();
        let span = tracing::info_span!("message", message_id = %id);
        let work = Box::pin(process(message.body.unwrap_or_default())).instrument(span.clone());
        async move {
            let result = tokio::time::timeout(budget, work).await;
            let _enter = span.enter();
            match result {
                Ok(Ok(outcome)) => {
                    tracing::info!(outcome = ?outcome, "message done");
                    None
                }
                Ok(Err(e)) => {
                    tracing::error!(error = %error_chain(e.as_ref()), "message failed; SQS will retry it");
                    Some(id)
                }
                Err(_) => {
                    tracing::error!(budget_ms = budget.as_millis() as u64, "message not done before the invocation's deadline; SQS will retry it");
                    Some(id)
                }
            }
        }
    });
    BatchResponse {
        batch_item_failures: futures_util::future::join_all(runs)
            .await
            .into_iter()
            .flatten()
            .map(|item_identifier| ItemFailure { item_identifier })
            .collect(),
    }
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

    #[tokio::test]
    async fn a_slow_message_fails_alone_before_the_deadline() {
        let mut event = SqsEvent::default();
        event.records = (0..10)
            .map(|i| message(&i.to_string(), if i == 3 { "slow" } else { "ok" }))
            .collect();
        let started = std::time::Instant::now();
        let deadline =
            std::time::SystemTime::now() + DEADLINE_MARGIN + std::time::Duration::from_millis(300);
        let run = each_message_by(event, deadline, |body| async move {
            if body == "slow" {
                // A dependency that never answers.
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            Ok::<_, BoxError>(())
        });
        let r = tokio::time::timeout(std::time::Duration::from_secs(5), run)
            .await
            .expect("the batch answers before its deadline");
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"batchItemFailures": [{"itemIdentifier": "3"}]})
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
