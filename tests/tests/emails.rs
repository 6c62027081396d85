//! The email consumer's failure paths, run in-process against DynamoDB Local with a stand-in
//! mailer (moto's SES accepts every recipient, so refusals cannot be provoked through it):
//! a refused address is recorded and never retried, later emails to it are recorded, not sent;
//! a transient failure gives the claim back so the retry sends.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use email::mailer::{Mail, Mailer, SendFailure};
use email::{EmailContext, Outcome};
use ferrocart::ids::OrderId;
use ferrocart::messages::EmailKind;
use ferrocart_tests::*;
use serde_json::json;
use std::sync::Mutex;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Refuse,
    Fail,
    Deliver,
}

struct Stand {
    mode: Mutex<Mode>,
    sent: Mutex<Vec<Mail>>,
}

impl Mailer for Stand {
    async fn send(&self, mail: &Mail) -> Result<String, SendFailure> {
        let mode = *self.mode.lock().unwrap();
        match mode {
            Mode::Refuse => Err(SendFailure::Rejected(
                "MessageRejected: address does not exist".into(),
            )),
            Mode::Fail => Err(SendFailure::Transient("SES is throttling".into())),
            Mode::Deliver => {
                self.sent.lock().unwrap().push(mail.clone());
                Ok(format!("msg-{}", self.sent.lock().unwrap().len()))
            }
        }
    }
}

async fn ctx(mode: Mode) -> EmailContext<Stand> {
    EmailContext {
        store: store().await,
        mailer: Stand {
            mode: Mutex::new(mode),
            sent: Mutex::new(Vec::new()),
        },
        sender: "shop@ferrocart.local".into(),
        shop_name: "Ferrocart".into(),
        storefront_url: None,
        order_links: ferrocart::auth::OrderLinks::new(&[7u8; 40]),
        reset_ttl_secs: 1_800,
        verify_ttl_secs: 172_800,
    }
}

fn request(kind: EmailKind, order: &str) -> String {
    json!({"kind": kind, "order_id": order}).to_string()
}

#[tokio::test]
async fn a_refused_address_is_recorded_not_retried_and_not_mailed_again() {
    let (email, _, order) = unpaid_order("refused").await;
    let c = ctx(Mode::Refuse).await;
    let out = email::process(&c, &request(EmailKind::PaymentFailed, &order))
        .await
        .unwrap();
    assert!(
        matches!(&out, Outcome::Undeliverable(r) if r.contains("does not exist")),
        "{out:?}"
    );
    // Recorded on the email and on the customer.
    let store = store().await;
    let id = OrderId::parse(&order).unwrap();
    let d = store.get_order_details(&id).await.unwrap().unwrap();
    assert_eq!(d.emails[0].status, "undeliverable");
    assert_eq!(d.emails[0].to.as_deref(), Some(email.as_str()));
    let user = store.get_user(&d.order.user_id).await.unwrap().unwrap();
    assert_eq!(user.undeliverable_email.as_deref(), Some(email.as_str()));
    // The same message again: nothing happens (not retried forever).
    *c.mailer.mode.lock().unwrap() = Mode::Deliver;
    assert_eq!(
        email::process(&c, &request(EmailKind::PaymentFailed, &order))
            .await
            .unwrap(),
        Outcome::AlreadyHandled
    );
    // A later email to the same address is recorded, not sent.
    assert!(
        store
            .cancel_unpaid_order(
                &d.order,
                &d.lines,
                ("reservation_expired", "order-expiry"),
                1_795_291_080_000,
            )
            .await
            .unwrap()
    );
    let out = email::process(&c, &request(EmailKind::OrderCancelled, &order))
        .await
        .unwrap();
    assert!(
        matches!(&out, Outcome::Undeliverable(r) if r.starts_with("address refused before")),
        "{out:?}"
    );
    assert!(c.mailer.sent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_transient_failure_gives_the_claim_back_and_the_retry_sends_once() {
    let (email, _, order) = unpaid_order("transient").await;
    let c = ctx(Mode::Fail).await;
    let body = request(EmailKind::PaymentFailed, &order);
    assert!(
        email::process(&c, &body).await.is_err(),
        "the message fails, SQS retries it"
    );
    let store = store().await;
    let id = OrderId::parse(&order).unwrap();
    let d = store.get_order_details(&id).await.unwrap().unwrap();
    assert_eq!(
        (d.emails[0].status.as_str(), d.emails[0].claimed_until),
        ("sending", 0),
        "claim released"
    );
    *c.mailer.mode.lock().unwrap() = Mode::Deliver;
    assert!(matches!(
        email::process(&c, &body).await.unwrap(),
        Outcome::Sent { .. }
    ));
    assert_eq!(
        email::process(&c, &body).await.unwrap(),
        Outcome::AlreadyHandled
    );
    let sent = c.mailer.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, email);
    assert!(sent[0].text.contains("£9.90") && sent[0].html.contains("£9.90"));
    let d = store.get_order_details(&id).await.unwrap().unwrap();
    assert_eq!(
        (d.emails[0].status.as_str(), d.emails[0].attempts),
        ("sent", 2)
    );
}

#[tokio::test]
async fn an_email_about_a_state_the_order_is_not_in_is_retried_or_skipped() {
    let (_, _, order) = unpaid_order("state").await;
    let c = ctx(Mode::Deliver).await;
    // Not shipped yet: fail (retry later), claim nothing.
    assert!(
        email::process(&c, &request(EmailKind::Shipped, &order))
            .await
            .is_err()
    );
    assert!(
        email::process(&c, &request(EmailKind::OrderConfirmation, &order))
            .await
            .is_err()
    );
    let id = OrderId::parse(&order).unwrap();
    let d = store().await.get_order_details(&id).await.unwrap().unwrap();
    assert!(d.emails.is_empty());
    assert!(c.mailer.sent.lock().unwrap().is_empty());
}
