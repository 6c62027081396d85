//! Sending: SES v2 `SendEmail` with a simple (HTML + text) message. Its errors are sorted into
//! refusals for this recipient, which are recorded and never retried, and everything else, which
//! SQS retries and, if it persists, parks in the dead-letter queue.

use aws_sdk_sesv2::error::ProvideErrorMetadata;
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use ferrocart::error::BoxError;
use std::future::Future;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
}

#[derive(Debug)]
pub enum SendFailure {
    /// Refused for this recipient (invalid address, not allowed): record it, do not retry.
    Rejected(String),
    /// Anything else (throttling, outage, our own sender misconfigured): retry.
    Transient(BoxError),
}

/// Where mail goes. SES in production and locally (moto); tests may put a stand-in here.
pub trait Mailer: Send + Sync {
    /// Sends one email; the provider's message id.
    fn send(&self, mail: &Mail) -> impl Future<Output = Result<String, SendFailure>> + Send;
}

pub struct Ses {
    pub client: aws_sdk_sesv2::Client,
    /// Optional SES configuration set (event publishing for bounces and complaints).
    pub configuration_set: Option<String>,
}

fn content(data: &str) -> Result<Content, BoxError> {
    Ok(Content::builder().data(data).charset("UTF-8").build()?)
}

impl Mailer for Ses {
    async fn send(&self, mail: &Mail) -> Result<String, SendFailure> {
        let message = Message::builder()
            .subject(content(&mail.subject).map_err(SendFailure::Transient)?)
            .body(
                Body::builder()
                    .html(content(&mail.html).map_err(SendFailure::Transient)?)
                    .text(content(&mail.text).map_err(SendFailure::Transient)?)
                    .build(),
            )
            .build();
        let result = self
            .client
            .send_email()
            .from_email_address(&mail.from)
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await;
        match result {
            Ok(out) => Ok(out.message_id.unwrap_or_default()),
            Err(e) => {
                let service = e.as_service_error();
                let message = e
                    .message()
                    .map(str::to_string)
                    .unwrap_or_else(|| e.to_string());
                match service {
                    Some(err) if is_refusal(err, &message, &mail.from) => {
                        Err(SendFailure::Rejected(format!(
                            "{}: {message}",
                            err.code().unwrap_or("MessageRejected")
                        )))
                    }
                    _ => Err(SendFailure::Transient(Box::new(e))),
                }
            }
        }
    }
}

/// `MessageRejected` and `BadRequest` concern the message or its recipient, unless the message
/// names our own sender (an unverified sender identity is our fault and must not mark customers'
/// addresses undeliverable).
pub fn is_refusal(err: &SendEmailError, message: &str, sender: &str) -> bool {
    let names_sender = message
        .to_ascii_lowercase()
        .contains(&sender.to_ascii_lowercase());
    match err {
        SendEmailError::MessageRejected(_) | SendEmailError::BadRequestException(_) => {
            !names_sender
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sesv2::types::error::{
        BadRequestException, MessageRejected, SendingPausedException, TooManyRequestsException,
    };

    #[test]
    fn refusals_are_about_the_recipient_only() {
        let rejected =
            SendEmailError::MessageRejected(MessageRejected::builder().message("x").build());
        assert!(is_refusal(
            &rejected,
            "Email address is not verified. The following identities failed the check: bob@example.com",
            "shop@ferrocart.local"
        ));
        assert!(!is_refusal(
            &rejected,
            "Email address not verified Shop@Ferrocart.local",
            "shop@ferrocart.local"
        ));
        let bad = SendEmailError::BadRequestException(
            BadRequestException::builder().message("x").build(),
        );
        assert!(is_refusal(
            &bad,
            "Missing final '@domain'",
            "shop@ferrocart.local"
        ));
        for transient in [
            SendEmailError::TooManyRequestsException(
                TooManyRequestsException::builder().message("x").build(),
            ),
            SendEmailError::SendingPausedException(
                SendingPausedException::builder().message("x").build(),
            ),
        ] {
            assert!(!is_refusal(&transient, "x", "shop@ferrocart.local"));
        }
    }
}
