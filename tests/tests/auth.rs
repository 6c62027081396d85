//! Accounts end to end through the local HTTP API: register, login, refresh, logout, /me,
//! throttling, token rotation and reuse, and the generic login failure.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart_tests::*;
use serde_json::json;

#[tokio::test]
async fn register_normalises_email_and_answers_a_taken_one_the_same_way() {
    let email = unique_email("Dup");
    let shouting = format!("  {}  ", email.to_uppercase());
    let r = register(&shouting, "correct horse battery").await;
    assert_eq!(r.status, 202, "{:?}", r.json);
    let lower = email.to_lowercase();
    assert_eq!(r.json, json!({"email": lower, "status": "accepted"}));
    // A taken address: the same status and body, nothing changes (the first password still
    // works, the second does not), and the owner is told by email instead.
    let again = register(&lower, "another password").await;
    assert_eq!((again.status, &again.json), (202, &r.json));
    assert_eq!(login(&lower, "correct horse battery").await.status, 200);
    assert_eq!(login(&lower, "another password").await.status, 401);
    let told = account_emails_to(&lower, "you already have an account", 1, 20).await;
    assert_eq!(told.len(), 1, "the owner is told once");
    let verify = account_emails_to(&lower, "confirm your email address", 1, 20).await;
    assert_eq!(
        verify.len(),
        1,
        "the new account got its verification email"
    );
    // Asked again within the hour: still one "already have an account" email.
    assert_eq!(register(&lower, "a third password").await.status, 202);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        account_emails_to(&lower, "you already have an account", 2, 1)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_create_one_account() {
    let email = unique_email("race");
    let tries = (0..10).map(|_| register(&email, "correct horse battery"));
    let results = futures::future::join_all(tries).await;
    assert!(
        results
            .iter()
            .all(|r| r.status == 202 && r.json == results[0].json),
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    // One account: its one verification email, whichever request created it.
    let verify = account_emails_to(&email, "confirm your email address", 1, 20).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        (
            verify.len(),
            account_emails_to(&email, "confirm your email address", 2, 1)
                .await
                .len()
        ),
        (1, 1)
    );
    assert_eq!(login(&email, "correct horse battery").await.status, 200);
}

#[tokio::test]
async fn login_returns_a_bearer_pair_and_me_returns_the_profile() {
    let email = unique_email("me");
    let r = post_json(
        "/auth/register",
        &json!({"email": email, "password": "pässwörd-ünicode", "name": "Ada Lovelace", "phone": "+44 20 7946 0958"}),
    )
    .await;
    assert_eq!(r.status, 202, "{:?}", r.json);
    let l = login(&email, "pässwörd-ünicode").await;
    assert_eq!(l.status, 200, "{:?}", l.json);
    assert_eq!(l.json["token_type"], "Bearer");
    assert_eq!(l.json["expires_in"], 900);
    assert!(l.json["refresh_token"].as_str().unwrap().len() > 40);
    assert_eq!(l.headers["cache-control"], "no-store");
    let me = get_auth("/me", l.json["access_token"].as_str().unwrap()).await;
    assert_eq!(me.status, 200, "{:?}", me.json);
    assert_eq!(me.json["email"], email);
    assert_eq!(me.json["name"], "Ada Lovelace");
    assert_eq!(me.json["phone"], "+442079460958");
    assert_eq!(me.json["role"], "customer");
    assert_eq!(me.json["email_verified"], false);
    assert!(me.json.get("password_hash").is_none());
    assert!(me.json.get("verify_token_hash").is_none());
}

#[tokio::test]
async fn unknown_email_and_wrong_password_look_the_same() {
    let (email, _, _) = new_customer("generic").await;
    let wrong = login(&email, "not the password").await;
    let unknown = login(&unique_email("ghost"), "not the password").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert_eq!(
        wrong.json, unknown.json,
        "bodies must not tell the two apart"
    );
    assert_eq!(wrong.code(), "invalid_credentials");
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_retry_after() {
    avoid_throttle_window_edge().await;
    let (email, password, _) = new_customer("throttle").await;
    for i in 0..5 {
        let r = login(&email, "wrong password!").await;
        assert_eq!(r.status, 401, "attempt {i}: {:?}", r.json);
    }
    let r = login(&email, "wrong password!").await;
    assert_eq!((r.status, r.code()), (429, "too_many_requests"));
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Even the right password waits now, so guessing gains nothing.
    let r = login(&email, &password).await;
    assert_eq!(r.status, 429);
    // Another account is unaffected.
    let (other, other_pw, _) = new_customer("throttle-other").await;
    assert_eq!(login(&other, &other_pw).await.status, 200);
}

#[tokio::test]
async fn concurrent_guesses_cannot_exceed_the_budget() {
    avoid_throttle_window_edge().await;
    let (email, _, _) = new_customer("throttle-race").await;
    let guesses = (0..12).map(|_| login(&email, "wrong password!"));
    let results = futures::future::join_all(guesses).await;
    let checked = results.iter().filter(|r| r.status == 401).count();
    let throttled = results.iter().filter(|r| r.status == 429).count();
    // The successful registration login used one attempt and then cleared the counter.
    assert_eq!(
        (checked, throttled),
        (5, 7),
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_successful_login_resets_the_failure_count() {
    avoid_throttle_window_edge().await;
    let (email, password, _) = new_customer("reset").await;
    for _ in 0..4 {
        assert_eq!(login(&email, "wrong password!").await.status, 401);
    }
    assert_eq!(login(&email, &password).await.status, 200);
    for _ in 0..4 {
        assert_eq!(login(&email, "wrong password!").await.status, 401);
    }
    assert_eq!(login(&email, &password).await.status, 200);
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_session() {
    let (_, _, pair) = new_customer("rotate").await;
    let first = pair["refresh_token"].as_str().unwrap().to_string();
    let r1 = post_json("/auth/refresh", &json!({"refresh_token": first})).await;
    assert_eq!(r1.status, 200, "{:?}", r1.json);
    let second = r1.json["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    let access2 = r1.json["access_token"].as_str().unwrap().to_string();
    assert_eq!(get_auth("/me", &access2).await.status, 200);

    // The spent token is presented again: the whole session is revoked.
    let reuse = post_json("/auth/refresh", &json!({"refresh_token": first})).await;
    assert_eq!((reuse.status, reuse.code()), (401, "refresh_token_reused"));
    let after = post_json("/auth/refresh", &json!({"refresh_token": second})).await;
    assert_eq!(
        after.status, 401,
        "the live token of a revoked session is dead too"
    );
    let me = get_auth("/me", &access2).await;
    assert_eq!((me.status, me.code()), (401, "session_revoked"));
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_give_at_most_one_pair() {
    let (_, _, pair) = new_customer("rotate-race").await;
    let token = pair["refresh_token"].as_str().unwrap().to_string();
    let body = json!({"refresh_token": token});
    let results =
        futures::future::join_all((0..5).map(|_| post_json("/auth/refresh", &body))).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    let denied = results.iter().filter(|r| r.status == 401).count();
    assert!(
        ok <= 1,
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(ok + denied, 5);
}

#[tokio::test]
async fn refresh_rejects_malformed_and_unknown_tokens() {
    for t in [
        "",
        "garbage",
        "0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f71.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let r = post_json("/auth/refresh", &json!({"refresh_token": t})).await;
        assert_eq!(
            (r.status, r.code()),
            (401, "invalid_refresh_token"),
            "{t:?}"
        );
    }
}

#[tokio::test]
async fn logout_revokes_access_and_refresh_at_once() {
    let (_, _, pair) = new_customer("logout").await;
    let access = pair["access_token"].as_str().unwrap();
    let r = send(
        client()
            .post(format!("{}/auth/logout", api_url()))
            .bearer_auth(access),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(get_auth("/me", access).await.code(), "session_revoked");
    let r = post_json(
        "/auth/refresh",
        &json!({"refresh_token": pair["refresh_token"]}),
    )
    .await;
    assert_eq!(r.status, 401);
    let r = send(
        client()
            .post(format!("{}/auth/logout", api_url()))
            .bearer_auth(access),
    )
    .await;
    assert_eq!(r.status, 401, "a revoked session cannot log out again");
}

#[tokio::test]
async fn sessions_are_independent() {
    let (email, password, a) = new_customer("two-devices").await;
    let b = login(&email, &password).await.json;
    let r = send(
        client()
            .post(format!("{}/auth/logout", api_url()))
            .bearer_auth(a["access_token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        get_auth("/me", b["access_token"].as_str().unwrap())
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn me_requires_a_valid_token() {
    let r = send(client().get(format!("{}/me", api_url()))).await;
    assert_eq!((r.status, r.code()), (401, "missing_token"));
    assert!(r.headers.contains_key("www-authenticate"));
    for bad in [
        "Bearer",
        "Bearer not.a.jwt",
        "Basic dXNlcjpwYXNz",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    ] {
        let r = send(
            client()
                .get(format!("{}/me", api_url()))
                .header("authorization", bad),
        )
        .await;
        assert_eq!(r.status, 401, "{bad}");
    }
}

#[tokio::test]
async fn tokens_signed_elsewhere_or_with_none_are_rejected() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let (_, _, pair) = new_customer("forge").await;
    let real = pair["access_token"].as_str().unwrap();
    let claims: serde_json::Value = {
        use base64::Engine;
        let payload = real.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap()
    };
    // Promote ourselves to admin with a key we made up.
    let mut forged = claims.clone();
    forged["role"] = json!("admin");
    let mut h = Header::new(Algorithm::HS256);
    h.typ = Some("at+jwt".into());
    let t = jsonwebtoken::encode(
        &h,
        &forged,
        &EncodingKey::from_secret(b"guessed-secret-guessed-secret-!!"),
    )
    .unwrap();
    assert_eq!(get_auth("/me", &t).await.code(), "invalid_token");
    // alg: none with the same claims.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none = format!(
        "{}.{}.",
        b64.encode(br#"{"alg":"none","typ":"at+jwt"}"#),
        b64.encode(serde_json::to_vec(&forged).unwrap())
    );
    assert_eq!(get_auth("/me", &none).await.code(), "invalid_token");
    // A tampered payload with the original signature.
    let parts: Vec<&str> = real.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(serde_json::to_vec(&forged).unwrap()),
        parts[2]
    );
    assert_eq!(get_auth("/me", &tampered).await.code(), "invalid_token");
}

#[tokio::test]
async fn seeded_admin_has_the_admin_role_and_customers_cannot_claim_it() {
    let l = login("admin@ferrocart.local", "ferrocart-admin-demo").await;
    assert_eq!(
        l.status, 200,
        "seeded admin (make dev / make test seed it): {:?}",
        l.json
    );
    let me = get_auth("/me", l.json["access_token"].as_str().unwrap()).await;
    assert_eq!(me.json["role"], "admin");
    let r = post_json(
        "/auth/register",
        &json!({"email": unique_email("wannabe"), "password": "correct horse battery", "role": "admin"}),
    )
    .await;
    assert_eq!(
        (r.status, r.code(), r.field()),
        (400, "unknown_field", Some("role"))
    );
}

/// `POST /auth/login` from another client address (the local gateway reports the TCP peer as
/// `sourceIp`, as API Gateway does; any 127.x.y.z reaches it).
async fn login_from(ip: [u8; 4], email: &str, password: &str) -> Resp {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let c = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap();
    send(
        c.post(format!("{}/auth/login", api_url()))
            .json(&json!({"email": email, "password": password})),
    )
    .await
}

/// Issue 12 hole 11: the per-account limit let anyone who knew an email lock its owner out
/// indefinitely. Now the budget is per account *and client*: a client that guesses is locked
/// out alone, with waits that grow (30 s, 60 s, ...) instead of a window that renews for ever,
/// and the owner, from anywhere else, still logs in.
#[tokio::test]
async fn a_guessing_client_locks_only_itself_out_and_its_waits_grow() {
    let (email, password, _) = new_customer("targeted").await;
    let attacker = [127, 0, 0, 21];
    for i in 0..5 {
        let r = login_from(attacker, &email, "a wrong guess").await;
        assert_eq!(r.status, 401, "guess {i}: {:?}", r.json);
    }
    let r = login_from(attacker, &email, "a wrong guess").await;
    assert_eq!(r.status, 429);
    let first_wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((25..=30).contains(&first_wait), "{first_wait}");
    // The owner, from another address, is not locked out.
    let r = login_from([127, 0, 0, 22], &email, &password).await;
    assert_eq!(r.status, 200, "{:?}", r.json);

    // The attacker's next wait, once this one has passed, is longer.
    let s = store().await;
    let guard = ferrocart::keys::login_guard(&format!(
        "{}|127.0.0.21",
        ferrocart::validate::normalise_email(&email).unwrap()
    ));
    s.client
        .update_item()
        .table_name(&s.table)
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(guard.pk))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(guard.sk))
        .update_expression("SET locked_until = :past")
        .expression_attribute_values(
            ":past",
            aws_sdk_dynamodb::types::AttributeValue::N("0".into()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        login_from(attacker, &email, "a wrong guess").await.status,
        401
    );
    let r = login_from(attacker, &email, "a wrong guess").await;
    assert_eq!(r.status, 429);
    let second_wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((55..=60).contains(&second_wait), "{second_wait}");
}

/// `POST /auth/login` as the API's CloudFront distribution forwards it: from one edge server (the
/// TCP peer), with the viewer's address in `CloudFront-Viewer-Address` and the distribution's
/// secret `X-Origin-Verify` (`edge_secret`: the real one, a wrong one, or none).
async fn login_via_edge(viewer: &str, edge_secret: Option<&str>, email: &str) -> Resp {
    let mut r = client()
        .post(format!("{}/auth/login", api_url()))
        .header("cloudfront-viewer-address", format!("{viewer}:51234"))
        .json(&json!({"email": email, "password": "a wrong guess"}));
    if let Some(s) = edge_secret {
        r = r.header("x-origin-verify", s);
    }
    send(r).await
}

/// Behind CloudFront every shopper near one edge server shares its address: login throttles by
/// the viewer's address instead, but believes it only beside the distribution's secret, so a
/// client calling API Gateway directly cannot spread its guesses over made-up addresses.
#[tokio::test]
async fn through_the_edge_the_viewer_address_is_the_client_and_a_forged_one_is_not() {
    let secret = local_secrets()["EdgeOriginSecret"]
        .as_str()
        .unwrap()
        .to_string();
    let (email, _, _) = new_customer("edge").await;
    for i in 0..5 {
        let r = login_via_edge("198.51.100.1", Some(&secret), &email).await;
        assert_eq!(r.status, 401, "guess {i}: {:?}", r.json);
    }
    let r = login_via_edge("198.51.100.1", Some(&secret), &email).await;
    assert_eq!((r.status, r.code()), (429, "too_many_requests"));
    // Another shopper behind the same edge server is not that client.
    let r = login_via_edge("198.51.100.2", Some(&secret), &email).await;
    assert_eq!(r.status, 401, "{:?}", r.json);

    // Without the secret (or with a wrong one) the header is ignored: every "viewer" is the one
    // TCP peer, so five made-up addresses spend that one client's budget.
    let (email, _, _) = new_customer("forged").await;
    for i in 0..5 {
        let forged = format!("203.0.113.{i}");
        let secret = if i % 2 == 0 { None } else { Some("a guess") };
        let r = login_via_edge(&forged, secret, &email).await;
        assert_eq!(r.status, 401, "guess {i}: {:?}", r.json);
    }
    let r = login_via_edge("203.0.113.99", None, &email).await;
    assert_eq!((r.status, r.code()), (429, "too_many_requests"));
}
