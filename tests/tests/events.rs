//! `events/<function>/<case>.json` are real API Gateway HTTP API (payload 2.0) events. Each is
//! parsed as one, then run through its function binary via the local Lambda invoke API, the same
//! way `cargo lambda invoke --data-file` or `sam local invoke -e` would deliver it.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::sqs::SqsEvent;
use ferrocart_tests::*;
use serde_json::Value;
use std::collections::BTreeSet;

fn load(rel: &str) -> Value {
    let path = repo_root().join("events").join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).unwrap();
    if SCHEDULED_FUNCTIONS
        .iter()
        .any(|f| rel.starts_with(&format!("{f}/")))
    {
        assert_eq!(
            v["detail-type"], "Scheduled Event",
            "{rel} is not an EventBridge schedule"
        );
        assert_eq!(v["source"], "aws.events", "{rel}");
    } else if STREAM_FUNCTIONS
        .iter()
        .any(|f| rel.starts_with(&format!("{f}/")))
    {
        let records = v["Records"]
            .as_array()
            .unwrap_or_else(|| panic!("{rel}: no Records"));
        for r in records {
            assert_eq!(
                r["eventSource"], "aws:dynamodb",
                "{rel} is not a DynamoDB stream event"
            );
            assert!(r["dynamodb"]["SequenceNumber"].is_string(), "{rel}");
            assert!(r["dynamodb"]["Keys"].is_object(), "{rel}");
        }
    } else if SQS_FUNCTIONS
        .iter()
        .any(|f| rel.starts_with(&format!("{f}/")))
    {
        serde_json::from_value::<SqsEvent>(v.clone())
            .unwrap_or_else(|e| panic!("{rel} is not an SQS event: {e}"));
    } else {
        serde_json::from_value::<ApiGatewayV2httpRequest>(v.clone())
            .unwrap_or_else(|e| panic!("{rel} is not a payload 2.0 event: {e}"));
    }
    v
}

fn body_of(resp: &Value) -> Value {
    serde_json::from_str(resp["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

/// Functions fed by SQS; their fixtures are SQS events.
const SQS_FUNCTIONS: &[&str] = &["image-resize", "order-expiry", "order-fulfilment", "email"];

/// Functions fed by the table's DynamoDB stream; their fixtures are stream events.
const STREAM_FUNCTIONS: &[&str] = &["search-indexer", "order-archiver"];

/// Stream fixtures and the sequence numbers each must report failed (none: a stock row and a
/// draft's edit are nothing search shows, so the index is not touched).
/// The archiver's: a paid order (archived, with no lines: it is not in the table), the same
/// order moving on (nothing) and a poison (to the dead-letter queue): nothing to retry.
const STREAM_CASES: &[(&str, &[&str])] = &[
    ("search-indexer/stock-row-and-draft.json", &[]),
    ("order-archiver/paid-order-and-poison.json", &[]),
];

#[tokio::test]
async fn stream_fixtures_report_exactly_their_failed_records() {
    reports_exactly(STREAM_CASES).await;
}

/// Each fixture through its function: the batch response names exactly these items as failed.
async fn reports_exactly(cases: &[(&str, &[&str])]) {
    for (rel, failed) in cases {
        let function = rel.split('/').next().unwrap();
        let resp = invoke(function, &load(rel)).await;
        let got: Vec<&str> = resp["batchItemFailures"]
            .as_array()
            .unwrap_or_else(|| panic!("{rel}: {resp}"))
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap())
            .collect();
        assert_eq!(got, *failed, "{rel}");
    }
}

/// Functions run on a schedule; their fixtures are EventBridge "Scheduled Event"s.
const SCHEDULED_FUNCTIONS: &[&str] = &["reconciler", "recommendations"];

/// Scheduled fixtures: each run answers its report (what it did, by kind: these counts).
const SCHEDULED_CASES: &[(&str, &[&str])] = &[
    (
        "reconciler/scheduled.json",
        &[
            "due",
            "expiry_requested",
            "fulfilment_requested",
            "late_payments_refunded",
            "failed",
        ],
    ),
    (
        "recommendations/scheduled.json",
        &[
            "objects",
            "orders",
            "lines",
            "products",
            "written",
            "unchanged",
        ],
    ),
];

#[tokio::test]
async fn scheduled_fixtures_run_and_report() {
    for (rel, fields) in SCHEDULED_CASES {
        let function = rel.split('/').next().unwrap();
        let resp = invoke(function, &load(rel)).await;
        for field in *fields {
            assert!(resp[field].is_u64(), "{rel}: {field} in {resp}");
        }
    }
}

/// (SQS fixture, message ids the function must report as failed)
const SQS_CASES: &[(&str, &[&str])] = &[
    ("image-resize/s3-test-event.json", &[]),
    (
        "image-resize/poison-and-unknown-key.json",
        &["0a1b2c3d-0000-4000-8000-000000000001"],
    ),
    (
        "order-expiry/unknown-order-and-poison.json",
        &["6c1f0e2a-0000-4000-8000-000000000002"],
    ),
    // Fulfilment and email cannot do anything for an order that does not exist: both fail (and
    // would end in the DLQ), as does the malformed message.
    (
        "order-fulfilment/unknown-order-and-poison.json",
        &[
            "7d2a1f3b-0000-4000-8000-000000000001",
            "7d2a1f3b-0000-4000-8000-000000000002",
        ],
    ),
    (
        "email/unknown-order-and-poison.json",
        &[
            "8e3b2a4c-0000-4000-8000-000000000001",
            "8e3b2a4c-0000-4000-8000-000000000002",
        ],
    ),
];

/// (fixture, expected status, expected error code or "" for success)
const CASES: &[(&str, u16, &str)] = &[
    ("list-products/first-page.json", 200, ""),
    ("list-products/bad-limit.json", 400, "invalid_limit"),
    ("get-product/unknown-id.json", 404, "not_found"),
    ("get-product/demo-product.json", 200, ""),
    ("product-page/demo-product.json", 200, ""),
    ("product-page/malformed-id.json", 404, ""),
    ("category-page/garden.json", 200, ""),
    ("category-page/unknown.json", 404, ""),
    ("get-recommendations/unknown-id.json", 404, "not_found"),
    ("get-recommendations/demo-product.json", 200, ""),
    ("list-categories/all.json", 200, ""),
    ("list-shipping-options/germany.json", 200, ""),
    (
        "list-shipping-options/no-country.json",
        400,
        "country_required",
    ),
    ("route-fallback/trace-cart.json", 405, "method_not_allowed"),
    ("create-product/no-token.json", 401, "missing_token"),
    ("update-product/no-token.json", 401, "missing_token"),
    ("set-stock/no-token.json", 401, "missing_token"),
    ("create-image-upload/no-token.json", 401, "missing_token"),
    ("add-to-cart/guest.json", 200, ""),
    ("apply-discount/guest-no-cart.json", 409, "cart_empty"),
    ("apply-discount/bad-code.json", 400, "invalid_discount_code"),
    ("remove-discount/guest.json", 200, ""),
    ("put-discount/no-token.json", 401, "missing_token"),
    ("list-discounts/no-token.json", 401, "missing_token"),
    ("admin-list-orders/no-token.json", 401, "missing_token"),
    ("admin-get-order/no-token.json", 401, "missing_token"),
    ("admin-get-product/no-token.json", 401, "missing_token"),
    ("create-refund/no-token.json", 401, "missing_token"),
    ("cancel-order/no-token.json", 401, "missing_token"),
    ("resend-email/no-token.json", 401, "missing_token"),
    ("list-images/no-token.json", 401, "missing_token"),
    ("list-low-stock/no-token.json", 401, "missing_token"),
    ("search/demo-misspelt.json", 200, ""),
    ("search/bad-sort.json", 400, "invalid_sort"),
    ("search-suggest/typing.json", 200, ""),
    ("put-tax-settings/no-token.json", 401, "missing_token"),
    ("put-shipping/no-token.json", 401, "missing_token"),
    ("get-selling-settings/no-token.json", 401, "missing_token"),
    ("checkout/no-token.json", 401, "missing_token"),
    ("checkout/guest.json", 409, "cart_empty"),
    (
        "payment-webhook/bad-signature.json",
        401,
        "invalid_signature",
    ),
    (
        "payment-webhook/missing-signature.json",
        401,
        "invalid_signature",
    ),
    ("list-orders/no-token.json", 401, "missing_token"),
    ("get-order/no-token.json", 401, "missing_token"),
    ("get-order/guest.json", 404, "not_found"),
    ("get-cart/guest.json", 200, ""),
    ("update-cart-item/guest.json", 404, "not_found"),
    ("remove-cart-item/guest.json", 404, "not_found"),
    ("register/unknown-field.json", 400, "unknown_field"),
    ("register/base64-invalid-email.json", 400, "invalid_email"),
    ("login/valid-demo-customer.json", 200, ""),
    ("login/not-json.json", 415, "unsupported_media_type"),
    ("refresh/malformed-token.json", 401, "invalid_refresh_token"),
    ("logout/no-token.json", 401, "missing_token"),
    ("me/no-token.json", 401, "missing_token"),
    ("me/expired-token.json", 401, "invalid_token"),
    ("list-addresses/no-token.json", 401, "missing_token"),
    ("request-password-reset/valid-any-address.json", 202, ""),
    (
        "confirm-password-reset/unknown-token.json",
        422,
        "invalid_token",
    ),
    ("verify-email/unknown-token.json", 422, "invalid_token"),
    (
        "request-email-verification/no-token.json",
        401,
        "missing_token",
    ),
    ("create-address/no-token.json", 401, "missing_token"),
    ("update-address/no-token.json", 401, "missing_token"),
    ("delete-address/no-token.json", 401, "missing_token"),
];

#[tokio::test]
async fn fixtures_run_through_their_functions() {
    for (rel, status, code) in CASES {
        let function = rel.split('/').next().unwrap();
        let resp = invoke(function, &load(rel)).await;
        assert_eq!(
            resp["statusCode"].as_u64(),
            Some(*status as u64),
            "{rel}: {resp}"
        );
        let body = body_of(&resp);
        if code.is_empty() {
            assert!(body.get("error").is_none(), "{rel}: {body}");
        } else {
            assert_eq!(body["error"]["code"], *code, "{rel}: {body}");
        }
    }
}

#[tokio::test]
async fn sqs_fixtures_report_exactly_their_failed_messages() {
    reports_exactly(SQS_CASES).await;
}

#[tokio::test]
async fn valid_register_fixture_creates_an_account() {
    // The fixture's email is fixed; give it a fresh one so the test can run again on the same stack.
    let mut event = load("register/valid.json");
    let mut body: Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
    let email = unique_email("fixture");
    body["email"] = Value::String(email.clone());
    event["body"] = Value::String(body.to_string());
    let resp = invoke("register", &event).await;
    assert_eq!(resp["statusCode"], 202, "{resp}");
    assert_eq!(body_of(&resp)["email"], email);
}

#[test]
fn every_function_has_fixtures_and_every_fixture_a_function() {
    let functions: BTreeSet<String> = std::fs::read_dir(repo_root().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let fixtures: BTreeSet<String> = std::fs::read_dir(repo_root().join("events"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(functions, fixtures);
    let covered: BTreeSet<&str> = CASES
        .iter()
        .map(|(rel, ..)| *rel)
        .chain(SQS_CASES.iter().map(|(rel, _)| *rel))
        .chain(STREAM_CASES.iter().map(|(rel, _)| *rel))
        .chain(SCHEDULED_CASES.iter().map(|(rel, _)| *rel))
        .collect();
    for f in &fixtures {
        for e in std::fs::read_dir(repo_root().join("events").join(f)).unwrap() {
            let rel = format!("{f}/{}", e.unwrap().file_name().into_string().unwrap());
            load(&rel);
            assert!(
                covered.contains(rel.as_str()) || rel == "register/valid.json",
                "{rel} is not exercised"
            );
        }
    }
}
