//! Bad input never reaches the data: every malformed body gets a clear 4xx JSON error naming
//! the problem (RELIABILITY.md items 14-15), on every JSON endpoint.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart_tests::*;
use serde_json::json;

const JSON_ENDPOINTS: [&str; 3] = ["/auth/register", "/auth/login", "/auth/refresh"];

async fn post_raw(path: &str, content_type: Option<&str>, body: Vec<u8>) -> Resp {
    let mut req = client().post(format!("{}{path}", api_url())).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    send(req).await
}

#[tokio::test]
async fn every_malformed_body_is_a_4xx_with_a_stable_code() {
    let j = Some("application/json");
    for path in JSON_ENDPOINTS {
        let cases: Vec<(Option<&str>, Vec<u8>, u16, &str)> = vec![
            (
                None,
                br#"{"email":"a@b.co"}"#.to_vec(),
                415,
                "unsupported_media_type",
            ),
            (
                Some("text/plain"),
                b"{}".to_vec(),
                415,
                "unsupported_media_type",
            ),
            (
                Some("application/x-www-form-urlencoded"),
                b"email=a".to_vec(),
                415,
                "unsupported_media_type",
            ),
            (j, Vec::new(), 400, "malformed_json"),
            (j, b"   ".to_vec(), 400, "malformed_json"),
            (j, b"{\"email\":".to_vec(), 400, "malformed_json"),
            (j, b"{\"email\": \"a\"}}".to_vec(), 400, "malformed_json"),
            (j, vec![0xff, 0xfe, 0x00, 0x7b], 400, "malformed_json"),
            (j, b"null".to_vec(), 400, "invalid_type"),
            (j, b"[1,2,3]".to_vec(), 400, "invalid_type"),
            (j, b"\"just a string\"".to_vec(), 400, "invalid_type"),
            (j, b"{}".to_vec(), 400, "missing_field"),
            (
                j,
                format!("{{\"pad\":\"{}\"}}", "x".repeat(17 * 1024)).into_bytes(),
                413,
                "payload_too_large",
            ),
        ];
        for (ct, body, status, code) in cases {
            let shown = String::from_utf8_lossy(&body)
                .chars()
                .take(40)
                .collect::<String>();
            let r = post_raw(path, ct, body).await;
            assert_eq!(
                (r.status, r.code()),
                (status, code),
                "{path} {ct:?} {shown:?}: {:?}",
                r.json
            );
            assert!(r.json["error"]["message"].is_string());
            assert!(r.json["error"].as_object().unwrap().contains_key("field"));
        }
    }
}

#[tokio::test]
async fn register_validates_each_field_and_names_it() {
    let ok_pw = "correct horse battery";
    let cases = [
        (
            json!({"email": "a@b.co", "password": ok_pw, "role": "admin"}),
            "unknown_field",
            "role",
        ),
        (
            json!({"email": "a@b.co", "password": ok_pw, "user_id": "x"}),
            "unknown_field",
            "user_id",
        ),
        (json!({"password": ok_pw}), "missing_field", "email"),
        (json!({"email": "a@b.co"}), "missing_field", "password"),
        (
            json!({"email": 42, "password": ok_pw}),
            "invalid_type",
            "email",
        ),
        (
            json!({"email": "a@b.co", "password": 12345678}),
            "invalid_type",
            "password",
        ),
        (
            json!({"email": "a@b.co", "password": ok_pw, "name": ["x"]}),
            "invalid_type",
            "name",
        ),
        (
            json!({"email": "not-an-email", "password": ok_pw}),
            "invalid_email",
            "email",
        ),
        (
            json!({"email": "a@localhost", "password": ok_pw}),
            "invalid_email",
            "email",
        ),
        (
            json!({"email": format!("{}@example.com", "a".repeat(250)), "password": ok_pw}),
            "invalid_email",
            "email",
        ),
        (
            json!({"email": unique_email("v"), "password": "short"}),
            "password_too_short",
            "password",
        ),
        (
            json!({"email": unique_email("v"), "password": "x".repeat(129)}),
            "password_too_long",
            "password",
        ),
        (
            json!({"email": unique_email("v"), "password": ok_pw, "name": "  "}),
            "invalid_name",
            "name",
        ),
        (
            json!({"email": unique_email("v"), "password": ok_pw, "name": "x".repeat(101)}),
            "invalid_name",
            "name",
        ),
        (
            json!({"email": unique_email("v"), "password": ok_pw, "phone": "call me"}),
            "invalid_phone",
            "phone",
        ),
    ];
    for (body, code, field) in cases {
        let r = post_json("/auth/register", &body).await;
        assert_eq!(
            (r.status, r.code(), r.field()),
            (400, code, Some(field)),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_rejected_registration_writes_nothing() {
    let email = unique_email("nothing");
    let r = post_json(
        "/auth/register",
        &json!({"email": email, "password": "short"}),
    )
    .await;
    assert_eq!(r.status, 400);
    // Had anything been written, the email would now be taken.
    let r = register(&email, "correct horse battery").await;
    assert_eq!(r.status, 202, "{:?}", r.json);
}

#[tokio::test]
async fn passwords_count_characters_not_bytes() {
    // 8 emoji are 32 bytes but 8 characters: allowed. 128 multi-byte characters: allowed.
    let r = register(&unique_email("emoji"), "🔒🔒🔒🔒🔒🔒🔒🔒").await;
    assert_eq!(r.status, 202, "{:?}", r.json);
    let email = unique_email("long");
    let pw = "é".repeat(128);
    assert_eq!(register(&email, &pw).await.status, 202);
    assert_eq!(login(&email, &pw).await.status, 200);
}

#[tokio::test]
async fn unknown_routes_are_404_and_missing_methods_405_json() {
    for (method, path, status, code) in [
        ("GET", "/nope", 404, "not_found"),
        ("GET", "/auth/login", 405, "method_not_allowed"),
        ("DELETE", "/me", 405, "method_not_allowed"),
        ("POST", "/me/", 404, "not_found"),
    ] {
        let r =
            send(client().request(method.parse().unwrap(), format!("{}{path}", api_url()))).await;
        assert_eq!((r.status, r.code()), (status, code), "{method} {path}");
    }
}
