//! Where the local stack lives and how to reach it: the project root, the built binaries, the
//! ports, the environment every local function and test sees, and SDK clients for the local servers.

use crate::{services, template};
use anyhow::{Result, bail};
use aws_sdk_dynamodb::config::{Credentials, Region};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const API_PORT: u16 = 3000;
pub const CONTROL_PORT: u16 = 9001;
pub const CDN_PORT: u16 = 3001;
/// The built storefront (`web/dist`), as its CloudFront distribution serves it.
pub const STOREFRONT_PORT: u16 = 3002;
/// The meter in front of DynamoDB Local and of moto's SQS, for the functions (see meter.rs).
pub const METER_DYNAMODB_PORT: u16 = 8001;
pub const METER_SQS_PORT: u16 = 4567;
/// ... and of the Stripe stand-in (only for faults: its calls are not billed by AWS).
pub const METER_STRIPE_PORT: u16 = 8421;
const REGION: &str = "us-east-1";

/// An HTTP client for the local servers. reqwest is built without a bundled crypto provider (see
/// shared/Cargo.toml): ring is installed first, or the first request panics ("No provider set").
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub fn project_root() -> Result<PathBuf> {
    if let Ok(r) = std::env::var("FERROCART_ROOT") {
        return Ok(PathBuf::from(r));
    }
    let mut dir = std::env::current_dir()?;
    loop {
        if dir.join("template.yaml").is_file() && dir.join("Cargo.toml").is_file() {
            return Ok(dir);
        }
        if !dir.pop() {
            bail!(
                "run this inside the Ferrocart repository (no template.yaml found above the current directory)"
            );
        }
    }
}

pub fn bin_dir(root: &Path) -> PathBuf {
    if let Ok(d) = std::env::var("FERROCART_BIN_DIR") {
        return PathBuf::from(d);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    target.join("debug")
}

/// What every local function and test sees: local endpoints, dummy credentials, a fixed region.
pub fn local_aws_env() -> BTreeMap<String, String> {
    let ddb = format!("http://127.0.0.1:{}", services::DYNAMODB_PORT);
    let moto = format!("http://127.0.0.1:{}", services::MOTO_PORT);
    BTreeMap::from([
        ("AWS_REGION".into(), REGION.into()),
        ("AWS_DEFAULT_REGION".into(), REGION.into()),
        ("AWS_ACCESS_KEY_ID".into(), "local".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "local".into()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ("AWS_ENDPOINT_URL_DYNAMODB".into(), ddb),
        ("AWS_ENDPOINT_URL_S3".into(), moto.clone()),
        ("AWS_ENDPOINT_URL_SQS".into(), moto.clone()),
        ("AWS_ENDPOINT_URL_SESV2".into(), moto.clone()),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER".into(), moto),
    ])
}

/// What the functions see: as [`local_aws_env`], with DynamoDB and SQS reached through the meter.
pub fn function_aws_env() -> BTreeMap<String, String> {
    let mut env = local_aws_env();
    env.insert(
        "AWS_ENDPOINT_URL_DYNAMODB".into(),
        format!("http://127.0.0.1:{METER_DYNAMODB_PORT}"),
    );
    env.insert(
        "AWS_ENDPOINT_URL_SQS".into(),
        format!("http://127.0.0.1:{METER_SQS_PORT}"),
    );
    env
}

pub fn local_sesv2() -> aws_sdk_sesv2::Client {
    let conf = aws_sdk_sesv2::Config::builder()
        .http_client(ferrocart::settings::http_client())
        .behavior_version(aws_sdk_sesv2::config::BehaviorVersion::latest())
        .region(aws_sdk_sesv2::config::Region::new(REGION))
        .endpoint_url(template::MOTO_URL)
        .credentials_provider(local_credentials())
        .build();
    aws_sdk_sesv2::Client::from_conf(conf)
}

pub fn local_secretsmanager() -> aws_sdk_secretsmanager::Client {
    let conf = aws_sdk_secretsmanager::Config::builder()
        .http_client(ferrocart::settings::http_client())
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .region(aws_sdk_secretsmanager::config::Region::new(REGION))
        .endpoint_url(template::MOTO_URL)
        .credentials_provider(local_credentials())
        .build();
    aws_sdk_secretsmanager::Client::from_conf(conf)
}

pub fn local_dynamodb() -> aws_sdk_dynamodb::Client {
    let conf = aws_sdk_dynamodb::Config::builder()
        .http_client(ferrocart::settings::http_client())
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(format!("http://127.0.0.1:{}", services::DYNAMODB_PORT))
        .credentials_provider(local_credentials())
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

pub fn local_credentials() -> Credentials {
    Credentials::new("local", "local", None, None, "ferrocart-local")
}

pub fn local_s3() -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .http_client(ferrocart::settings::http_client())
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(REGION))
        .endpoint_url(template::MOTO_URL)
        .force_path_style(true)
        .credentials_provider(local_credentials())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

pub fn local_sqs() -> aws_sdk_sqs::Client {
    let conf = aws_sdk_sqs::Config::builder()
        .http_client(ferrocart::settings::http_client())
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new(REGION))
        .endpoint_url(template::MOTO_URL)
        .credentials_provider(local_credentials())
        .build();
    aws_sdk_sqs::Client::from_conf(conf)
}

pub fn load_template(root: &Path) -> Result<template::Template> {
    let overrides = template::load_env_overrides(&root.join("infra/local-env.json"))?;
    let secrets = template::load_local_secrets(&root.join("infra/local-secrets.json"))?;
    template::Template::load(&root.join("template.yaml"), &overrides, &secrets)
}
