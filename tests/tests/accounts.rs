//! Password reset and email verification through the local HTTP API, the email function and the
//! local SES: answers that never say whether an address has an account, single-use tokens that
//! expire and are voided by newer ones, sessions revoked and the login throttle cleared by a reset.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use aws_sdk_dynamodb::types::AttributeValue;
use ferrocart_tests::*;
use serde_json::{Value, json};

/// Each test asks from its own client address (the per-client budgets are per address).
fn from(ip: [u8; 4]) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

async fn post_from(ip: [u8; 4], path: &str, body: &Value) -> Resp {
    send(from(ip).post(format!("{}{path}", api_url())).json(body)).await
}

const RESET: &str = "reset your password";
const VERIFY: &str = "confirm your email address";

#[tokio::test]
async fn a_reset_answers_the_same_for_any_address_and_its_link_works_once() {
    let ip = [127, 0, 0, 31];
    let (email, old_password, pair) = new_customer("reset").await;
    let access = pair["access_token"].as_str().unwrap().to_string();
    let refresh = pair["refresh_token"].as_str().unwrap().to_string();

    // The same status and body for an account and for an address with none.
    let known = post_from(
        ip,
        "/auth/password-reset",
        &json!({"email": email.to_uppercase()}),
    )
    .await;
    let unknown = post_from(
        ip,
        "/auth/password-reset",
        &json!({"email": unique_email("nobody")}),
    )
    .await;
    assert_eq!(
        (known.status, &known.json),
        (202, &json!({"status": "accepted"}))
    );
    assert_eq!((unknown.status, &unknown.json), (known.status, &known.json));
    let first = nth_code(&email, RESET, 1).await;

    // A newer request voids the older link.
    post_from(ip, "/auth/password-reset", &json!({"email": email})).await;
    let second = nth_code(&email, RESET, 2).await;
    assert_ne!(first, second);
    let confirm = |token: &str, password: &str| {
        let body = json!({"token": token, "password": password});
        async move { post_from(ip, "/auth/password-reset/confirm", &body).await }
    };
    let r = confirm(&first, "a brand new password").await;
    assert_eq!(
        (r.status, r.code()),
        (422, "invalid_token"),
        "the older link is void"
    );

    // Bad input changes nothing: a short password, strings that are no token (400), a token
    // that is well-formed but unknown (422, as any wrong token).
    let r = confirm(&second, "short").await;
    assert_eq!((r.status, r.code()), (400, "password_too_short"));
    for bad in ["", "x", &format!("{}!", &second[..42])] {
        let r = confirm(bad, "a brand new password").await;
        assert_eq!((r.status, r.code()), (400, "invalid_token"), "{bad:?}");
    }
    let r = confirm(&"A".repeat(43), "a brand new password").await;
    assert_eq!(
        (r.status, r.code()),
        (422, "invalid_token"),
        "well-formed, unknown"
    );
    assert_eq!(login(&email, &old_password).await.status, 200);

    // The newest works once: the password changes, every session ends.
    let r = confirm(&second, "a brand new password").await;
    assert_eq!(r.status, 204, "{:?}", r.json);
    let r = confirm(&second, "yet another password").await;
    assert_eq!((r.status, r.code()), (422, "invalid_token"), "single use");
    assert_eq!(login(&email, &old_password).await.status, 401);
    assert_eq!(login(&email, "a brand new password").await.status, 200);
    assert_eq!(
        get_auth("/me", &access).await.status,
        401,
        "old sessions end"
    );
    let r = post_json("/auth/refresh", &json!({"refresh_token": refresh})).await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn a_reset_link_expires_after_its_time() {
    let ip = [127, 0, 0, 32];
    let (email, password, _) = new_customer("reset-expiry").await;
    post_from(ip, "/auth/password-reset", &json!({"email": email})).await;
    let token = nth_code(&email, RESET, 1).await;
    // Half an hour later (the token item's expiry moved into the past).
    let s = store().await;
    let key = ferrocart::keys::account_token(&ferrocart::store::tokens::hash(&token));
    s.client
        .update_item()
        .table_name(&s.table)
        .key("pk", AttributeValue::S(key.pk))
        .key("sk", AttributeValue::S(key.sk))
        .update_expression("SET expires_at = :past")
        .expression_attribute_values(
            ":past",
            AttributeValue::N((ferrocart::time::now_unix() - 1).to_string()),
        )
        .send()
        .await
        .unwrap();
    let r = post_from(
        ip,
        "/auth/password-reset/confirm",
        &json!({"token": token, "password": "too late a password"}),
    )
    .await;
    assert_eq!((r.status, r.code()), (422, "invalid_token"));
    assert_eq!(login(&email, &password).await.status, 200);
}

#[tokio::test]
async fn a_reset_clears_the_login_throttle_that_locked_the_owner_out() {
    let ip = [127, 0, 0, 33];
    let (email, _, _) = new_customer("reset-throttle").await;
    for _ in 0..5 {
        let r = send(
            from(ip)
                .post(format!("{}/auth/login", api_url()))
                .json(&json!({"email": email, "password": "forgotten it"})),
        )
        .await;
        assert_eq!(r.status, 401);
    }
    let locked = send(
        from(ip)
            .post(format!("{}/auth/login", api_url()))
            .json(&json!({"email": email, "password": "forgotten it"})),
    )
    .await;
    assert_eq!(locked.status, 429);
    post_from(ip, "/auth/password-reset", &json!({"email": email})).await;
    let token = nth_code(&email, RESET, 1).await;
    let r = post_from(
        ip,
        "/auth/password-reset/confirm",
        &json!({"token": token, "password": "remembered now"}),
    )
    .await;
    assert_eq!(r.status, 204, "{:?}", r.json);
    let r = send(
        from(ip)
            .post(format!("{}/auth/login", api_url()))
            .json(&json!({"email": email, "password": "remembered now"})),
    )
    .await;
    assert_eq!(r.status, 200, "the owner logs in at once: {:?}", r.json);
}

#[tokio::test]
async fn reset_requests_are_throttled_per_address_the_same_whether_it_has_an_account() {
    let (email, _, _) = new_customer("reset-flood").await;
    let ghost = unique_email("reset-ghost");
    for (n, address) in [&email, &ghost].into_iter().enumerate() {
        // 5 an hour per address: from different clients, so the per-client budget is not what stops it.
        let mut statuses = Vec::new();
        for i in 0..6u8 {
            let r = post_from(
                [127, 0, 1 + n as u8, 10 + i],
                "/auth/password-reset",
                &json!({"email": address}),
            )
            .await;
            statuses.push(r.status);
        }
        assert_eq!(statuses, [202, 202, 202, 202, 202, 429], "{address}");
    }
    // One client is held to 20 an hour over all addresses.
    let ip = [127, 0, 0, 34];
    let mut statuses = Vec::new();
    for _ in 0..21 {
        let r = post_from(
            ip,
            "/auth/password-reset",
            &json!({"email": unique_email("spray")}),
        )
        .await;
        statuses.push(r.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        20,
        "{statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&429));
    // Five emails reached the account, however many were asked for.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(account_emails_to(&email, RESET, 6, 1).await.len(), 5);
}

#[tokio::test]
async fn an_address_is_verified_once_with_its_newest_link() {
    let ip = [127, 0, 0, 35];
    let (email, _, pair) = new_customer("verify").await;
    let t = pair["access_token"].as_str().unwrap().to_string();
    let first = nth_code(&email, VERIFY, 1).await;
    assert_eq!(get_auth("/me", &t).await.json["email_verified"], false);

    // Asking again sends a newer link that voids the first.
    let r = call("POST", "/me/email-verification", Some(&t), None).await;
    assert_eq!((r.status, &r.json), (202, &json!({"status": "accepted"})));
    let second = nth_code(&email, VERIFY, 2).await;
    let verify = |token: &str| {
        let body = json!({"token": token});
        async move { post_from(ip, "/auth/verify-email", &body).await }
    };
    assert_eq!(verify(&first).await.code(), "invalid_token");
    let r = verify(&second).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json, json!({"email": email, "email_verified": true}));
    assert_eq!(verify(&second).await.code(), "invalid_token", "single use");
    assert_eq!(get_auth("/me", &t).await.json["email_verified"], true);
    // Verified: asking again is a 409, and no email goes out.
    let r = call("POST", "/me/email-verification", Some(&t), None).await;
    assert_eq!((r.status, r.code()), (409, "email_verified"));
    // A reset token is no verification token (and the other way round).
    post_from(ip, "/auth/password-reset", &json!({"email": email})).await;
    let reset = nth_code(&email, RESET, 1).await;
    assert_eq!(verify(&reset).await.code(), "invalid_token");
    let r = call("POST", "/me/email-verification", None, None).await;
    assert_eq!((r.status, r.code()), (401, "missing_token"));
}

#[tokio::test]
async fn each_account_email_is_sent_once_however_often_its_message_is_delivered() {
    let (email, _, _) = new_customer("once").await;
    nth_code(&email, VERIFY, 1).await;
    let msg = json!({"account_email": "password_reset", "email": email, "request_id": format!("r-{}", uuid::Uuid::new_v4())}).to_string();
    let event = sqs_event("EmailQueue", &[("m-1", &msg), ("m-2", &msg)]);
    let out = invoke("email", &event).await;
    assert_eq!(out["batchItemFailures"], json!([]), "{out}");
    let again = invoke("email", &sqs_event("EmailQueue", &[("m-3", &msg)])).await;
    assert_eq!(again["batchItemFailures"], json!([]));
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(account_emails_to(&email, RESET, 2, 1).await.len(), 1);
}
