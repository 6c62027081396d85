//! `ferrocart`: the developer's command for the local stack and admin tasks.
//!
//! ```text
//! ferrocart dev [--no-seed]              run the whole shop locally until Ctrl-C
//! ferrocart run [--no-seed] -- CMD...    bring the stack up, run CMD against it, tear it down
//! ferrocart seed [--aws --table T]       load demo data (re-runnable)
//! ferrocart create-admin --email E [--password P] [--name N] [--aws --table T]
//!                                        create an admin, or promote an existing user
//!                                        (password also from FERROCART_ADMIN_PASSWORD)
//! ferrocart pay <payment_intent_id> [--card NUMBER]
//!                                        pay a local order at the Stripe stand-in with a test
//!                                        card (default 4242 4242 4242 4242); its signed webhook
//!                                        then marks the order paid
//! ferrocart emails [--to ADDR] [--body]  the emails the local SES (moto) has accepted
//! ferrocart meter [--reset]              DynamoDB units and SQS requests the local functions
//!                                        used since the stack started (or the last reset)
//! ferrocart routes                       the HTTP routes declared in template.yaml, as JSON
//! ferrocart bench-password [--iterations N]
//!                                        time Argon2id at the parameters in use
//! ferrocart bench-resize [--input F] [--iterations N] [--one-thread]
//!                                        time image-resize on a 12 MP JPEG (made if no input)
//! ```
//! Data commands target the local stack unless `--aws` is given (then the usual AWS
//! configuration chain applies and `--table` names the deployed table).

mod bench;
mod gateway;
mod iam;
mod lambda;
mod meter;
mod procstat;
mod resources;
mod seed;
mod services;
mod sqs;
mod template;

use anyhow::{Context, Result, anyhow, bail};
use aws_sdk_dynamodb::config::{Credentials, Region};
use ferrocart::store::Store;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const API_PORT: u16 = 3000;
const CONTROL_PORT: u16 = 9001;
const CDN_PORT: u16 = 3001;
/// The meter in front of DynamoDB Local and of moto's SQS, for the functions (see meter.rs).
const METER_DYNAMODB_PORT: u16 = 8001;
const METER_SQS_PORT: u16 = 4567;
const REGION: &str = "us-east-1";

fn project_root() -> Result<PathBuf> {
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

fn bin_dir(root: &Path) -> PathBuf {
    if let Ok(d) = std::env::var("FERROCART_BIN_DIR") {
        return PathBuf::from(d);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    target.join("debug")
}

/// What every local function and test sees: local endpoints, dummy credentials, a fixed region.
fn local_aws_env() -> BTreeMap<String, String> {
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
fn function_aws_env() -> BTreeMap<String, String> {
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

fn local_sesv2() -> aws_sdk_sesv2::Client {
    let conf = aws_sdk_sesv2::Config::builder()
        .http_client(ferrocart::settings::http_client())
        .behavior_version(aws_sdk_sesv2::config::BehaviorVersion::latest())
        .region(aws_sdk_sesv2::config::Region::new(REGION))
        .endpoint_url(template::MOTO_URL)
        .credentials_provider(local_credentials())
        .build();
    aws_sdk_sesv2::Client::from_conf(conf)
}

fn local_secretsmanager() -> aws_sdk_secretsmanager::Client {
    let conf = aws_sdk_secretsmanager::Config::builder()
        .http_client(ferrocart::settings::http_client())
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .region(aws_sdk_secretsmanager::config::Region::new(REGION))
        .endpoint_url(template::MOTO_URL)
        .credentials_provider(local_credentials())
        .build();
    aws_sdk_secretsmanager::Client::from_conf(conf)
}

fn local_dynamodb() -> aws_sdk_dynamodb::Client {
    let conf = aws_sdk_dynamodb::Config::builder()
        .http_client(ferrocart::settings::http_client())
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(format!("http://127.0.0.1:{}", services::DYNAMODB_PORT))
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "ferrocart-local",
        ))
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

fn local_credentials() -> Credentials {
    Credentials::new("local", "local", None, None, "ferrocart-local")
}

fn local_s3() -> aws_sdk_s3::Client {
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

fn local_sqs() -> aws_sdk_sqs::Client {
    let conf = aws_sdk_sqs::Config::builder()
        .http_client(ferrocart::settings::http_client())
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new(REGION))
        .endpoint_url(template::MOTO_URL)
        .credentials_provider(local_credentials())
        .build();
    aws_sdk_sqs::Client::from_conf(conf)
}

fn load_template(root: &Path) -> Result<template::Template> {
    let overrides = template::load_env_overrides(&root.join("infra/local-env.json"))?;
    let secrets = template::load_local_secrets(&root.join("infra/local-secrets.json"))?;
    template::Template::load(&root.join("template.yaml"), &overrides, &secrets)
}

/// Where the Stripe stand-in delivers events: the route served by the function that holds the
/// webhook signing secret, with that secret (both from the template).
fn stripe_webhook(tpl: &template::Template) -> Option<(String, String)> {
    let (f, secret) = tpl.functions.iter().find_map(|f| {
        let secret = tpl.settings(f).remove("STRIPE_WEBHOOK_SECRET")?;
        Some((f, secret))
    })?;
    let route = tpl
        .routes
        .iter()
        .find(|r| r.function == f.logical_id && r.method == "POST")?;
    Some((format!("http://127.0.0.1:{API_PORT}{}", route.path), secret))
}

struct Stack {
    _children: Vec<tokio::process::Child>,
    pools: Vec<Arc<lambda::Pool>>,
    table: String,
    meter: meter::Meter,
}

impl Stack {
    async fn up(root: &Path, seed: bool) -> Result<Self> {
        let started = Instant::now();
        let tpl = load_template(root)?;
        let table = tpl
            .tables
            .first()
            .map(|t| t.local_name.clone())
            .ok_or_else(|| anyhow!("template declares no DynamoDB table"))?;
        for (port, what) in [
            (services::DYNAMODB_PORT, "DynamoDB Local"),
            (services::MOTO_PORT, "moto"),
            (API_PORT, "HTTP API"),
            (CONTROL_PORT, "Lambda invoke API"),
            (CDN_PORT, "media CDN"),
            (services::STRIPE_PORT, "Stripe stand-in"),
            (METER_DYNAMODB_PORT, "DynamoDB meter"),
            (METER_SQS_PORT, "SQS meter"),
        ] {
            services::ensure_free(port, what).await?;
        }
        // Check every function binary exists before starting anything.
        let base_env = function_aws_env();
        let bins = bin_dir(root);
        let mut pools = Vec::new();
        for f in &tpl.functions {
            // Names the caller in the SDK's user agent, for the local IAM check (crate::iam).
            let mut env = base_env.clone();
            env.insert("AWS_SDK_UA_APP_ID".into(), f.logical_id.clone());
            pools.push(lambda::Pool::new(f.clone(), &bins, env, 8)?);
        }

        let children = vec![
            services::start_dynamodb(root)?,
            services::start_moto(root)?,
            services::start_stripe(root, stripe_webhook(&tpl))?,
        ];
        services::wait_for_port(
            services::DYNAMODB_PORT,
            "DynamoDB Local",
            Duration::from_secs(60),
        )
        .await?;
        services::wait_for_port(services::MOTO_PORT, "moto", Duration::from_secs(60)).await?;
        services::wait_for_port(
            services::STRIPE_PORT,
            "Stripe stand-in",
            Duration::from_secs(60),
        )
        .await?;

        let ddb = local_dynamodb();
        let ready = Instant::now();
        loop {
            match ddb.list_tables().send().await {
                Ok(_) => break,
                Err(e) if ready.elapsed() > Duration::from_secs(30) => {
                    return Err(anyhow!("DynamoDB Local not answering: {e:?}"));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
        for t in &tpl.tables {
            resources::create_table(&ddb, t).await?;
            eprintln!(
                "[stack] table {} created from template resource {}",
                t.local_name, t.logical_id
            );
        }
        let (s3, sqs) = (local_s3(), local_sqs());
        resources::create_queues(&sqs, &tpl).await?;
        resources::create_buckets(&s3, &tpl).await?;
        resources::verify_senders(&local_sesv2(), &tpl).await?;
        resources::create_secrets(&local_secretsmanager(), &tpl).await?;
        if seed {
            seed::seed(&Store::new(ddb.clone(), table.clone())).await?;
        }

        let gw = Arc::new(gateway::Gateway {
            routes: tpl.routes.clone(),
            pools: pools
                .iter()
                .map(|p| (p.function.logical_id.clone(), p.clone()))
                .collect::<HashMap<_, _>>(),
            domain: format!("127.0.0.1:{API_PORT}"),
        });
        let api = tokio::net::TcpListener::bind(("127.0.0.1", API_PORT)).await?;
        let control = tokio::net::TcpListener::bind(("127.0.0.1", CONTROL_PORT)).await?;
        let meter = meter::Meter::new(meter::Iam {
            grants: tpl
                .functions
                .iter()
                .map(|f| (f.logical_id.clone(), f.grants.clone()))
                .collect(),
            keys: tpl
                .tables
                .first()
                .map(|t| iam::KeyNames::from_table(&t.properties))
                .unwrap_or_default(),
            queue_ids: tpl
                .queues
                .iter()
                .map(|q| (q.local_name.clone(), q.logical_id.clone()))
                .collect(),
        });
        let (a, c) = (
            gateway::api_router(gw.clone()),
            gateway::control_router(gw).merge(meter_routes(meter.clone())),
        );
        for (port, service, upstream) in [
            (
                METER_DYNAMODB_PORT,
                meter::Service::DynamoDb,
                services::DYNAMODB_PORT,
            ),
            (METER_SQS_PORT, meter::Service::Sqs, services::MOTO_PORT),
        ] {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            let router = meter::router(
                meter.clone(),
                service,
                format!("http://127.0.0.1:{upstream}"),
            );
            tokio::spawn(async move { axum::serve(listener, router).await });
        }
        tokio::spawn(async move { axum::serve(api, a).await });
        tokio::spawn(async move { axum::serve(control, c).await });
        if let Some(bucket) = tpl.cdn_buckets.first() {
            let cdn = tokio::net::TcpListener::bind(("127.0.0.1", CDN_PORT)).await?;
            let router = gateway::cdn_router(s3.clone(), bucket.clone());
            tokio::spawn(async move { axum::serve(cdn, router).await });
        }
        // One warm sandbox per function, as after a first request.
        for p in &pools {
            p.spawn_sandbox().await?;
        }
        for source in &tpl.sqs_sources {
            let queue = tpl
                .queues
                .iter()
                .find(|q| q.logical_id == source.queue)
                .ok_or_else(|| {
                    anyhow!(
                        "{}: SQS event names unknown queue {}",
                        source.function,
                        source.queue
                    )
                })?;
            let pool = pools
                .iter()
                .find(|p| p.function.logical_id == source.function)
                .ok_or_else(|| anyhow!("no function {}", source.function))?;
            sqs::spawn(
                sqs.clone(),
                source.clone(),
                queue.local_name.clone(),
                pool.clone(),
            );
            eprintln!("[stack] queue {} -> {}", queue.local_name, source.function);
        }

        eprintln!("[stack] ready in {:.1}s", started.elapsed().as_secs_f64());
        eprintln!("[stack] HTTP API        http://127.0.0.1:{API_PORT}");
        for r in &tpl.routes {
            eprintln!("[stack]   {:6} {:30} -> {}", r.method, r.path, r.function);
        }
        eprintln!(
            "[stack] Lambda invoke   http://127.0.0.1:{CONTROL_PORT}/2015-03-31/functions/<name>/invocations"
        );
        eprintln!(
            "[stack] DynamoDB Local  http://127.0.0.1:{} (table {table})",
            services::DYNAMODB_PORT
        );
        eprintln!(
            "[stack] moto S3/SQS/SES http://127.0.0.1:{}",
            services::MOTO_PORT
        );
        Ok(Self {
            _children: children,
            pools,
            table,
            meter,
        })
    }

    async fn down(self) {
        for p in &self.pools {
            p.shutdown().await;
        }
        drop(self._children); // kill_on_drop
        eprintln!("[stack] stopped");
    }
}

fn meter_routes(meter: meter::Meter) -> axum::Router {
    let (a, b, c, d) = (meter.clone(), meter.clone(), meter.clone(), meter);
    axum::Router::new()
        .route(
            "/__local/iam/denied",
            axum::routing::get(move || {
                let m = d.clone();
                async move { axum::Json(m.denied()) }
            }),
        )
        .route(
            "/__local/meter/sent",
            axum::routing::get(move || {
                let m = c.clone();
                async move { axum::Json(m.sent()) }
            }),
        )
        .route(
            "/__local/meter",
            axum::routing::get(move || {
                let m = a.clone();
                async move { axum::Json(m.snapshot()) }
            }),
        )
        .route(
            "/__local/meter/reset",
            axum::routing::post(move || {
                let m = b.clone();
                async move {
                    m.reset();
                    "reset"
                }
            }),
        )
}

/// Prints the emails moto's SES has accepted (newest last), optionally only those to `to`.
async fn print_emails(to: Option<&str>, full: bool) -> Result<()> {
    let data: serde_json::Value =
        reqwest::get(format!("{}/moto-api/data.json", template::MOTO_URL))
            .await
            .context("is the local stack running? (make dev)")?
            .json()
            .await?;
    let mut shown = 0;
    for m in data["ses"]["Message"].as_array().into_iter().flatten() {
        let rcpt: Vec<&str> = m["destinations"]["ToAddresses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        if to.is_some_and(|t| !rcpt.contains(&t)) {
            continue;
        }
        shown += 1;
        println!(
            "From: {}\nTo: {}\nSubject: {}\n",
            m["source"].as_str().unwrap_or(""),
            rcpt.join(", "),
            m["subject"].as_str().unwrap_or("")
        );
        if full {
            println!("{}\n", m["body"].as_str().unwrap_or(""));
        }
        println!("----");
    }
    eprintln!("{shown} email(s)");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

struct Args(Vec<String>);

impl Args {
    fn flag(&mut self, name: &str) -> bool {
        let before = self.0.len();
        self.0.retain(|a| a != name);
        before != self.0.len()
    }
    fn value(&mut self, name: &str) -> Result<Option<String>> {
        match self.0.iter().position(|a| a == name) {
            None => Ok(None),
            Some(i) if i + 1 < self.0.len() => {
                let v = self.0.remove(i + 1);
                self.0.remove(i);
                Ok(Some(v))
            }
            Some(_) => bail!("{name} needs a value"),
        }
    }
    fn done(&self) -> Result<()> {
        match self.0.first() {
            Some(a) => bail!("unexpected argument {a:?} (see the top of infra/cli/src/main.rs)"),
            None => Ok(()),
        }
    }
}

async fn data_store(args: &mut Args) -> Result<Store> {
    if args.flag("--aws") {
        let table = args
            .value("--table")?
            .ok_or_else(|| anyhow!("--aws needs --table <deployed table name>"))?;
        let conf = ferrocart::settings::sdk_config().await;
        Ok(Store::new(aws_sdk_dynamodb::Client::new(&conf), table))
    } else {
        let root = project_root()?;
        let table = load_template(&root)?
            .tables
            .first()
            .map(|t| t.local_name.clone())
            .ok_or_else(|| anyhow!("template declares no table"))?;
        Ok(Store::new(local_dynamodb(), table))
    }
}

/// Pays a PaymentIntent at the local Stripe stand-in the way Stripe.js would: a card payment
/// method, attached, then confirmed (the stand-in answers 500 to `confirm` with `payment_method`).
async fn pay_locally(payment_intent: &str, card: &str) -> Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let base = format!("http://127.0.0.1:{}", services::STRIPE_PORT);
    let key = load_template(&project_root()?)?
        .functions
        .iter()
        .find_map(|f| f.env.get("STRIPE_SECRET_KEY").cloned())
        .ok_or_else(|| anyhow!("no function has STRIPE_SECRET_KEY"))?;
    let http = reqwest::Client::new();
    let post = |path: String, form: Vec<(&'static str, String)>| {
        http.post(format!("{base}{path}"))
            .basic_auth(&key, None::<&str>)
            .form(&form)
            .send()
    };
    let json = |r: reqwest::Response| async move {
        let status = r.status();
        let v: serde_json::Value = r.json().await.unwrap_or_default();
        if status.is_success() {
            Ok(v)
        } else {
            Err(anyhow!("Stripe stand-in answered {status}: {v}"))
        }
    };
    let pm = json(
        post(
            "/v1/payment_methods".into(),
            vec![
                ("type", "card".into()),
                ("card[number]", card.replace(' ', "")),
                ("card[exp_month]", "12".into()),
                ("card[exp_year]", "2034".into()),
                ("card[cvc]", "123".into()),
            ],
        )
        .await?,
    )
    .await?;
    let pm_id = pm["id"].as_str().unwrap_or_default().to_string();
    json(
        post(
            format!("/v1/payment_intents/{payment_intent}"),
            vec![("payment_method", pm_id)],
        )
        .await?,
    )
    .await?;
    let confirmed = post(
        format!("/v1/payment_intents/{payment_intent}/confirm"),
        vec![],
    )
    .await?;
    let status = confirmed.status();
    let v: serde_json::Value = confirmed.json().await.unwrap_or_default();
    println!(
        "{payment_intent}: {} (HTTP {status}); the signed webhook reaches /payments/webhook in about a second",
        v["status"]
            .as_str()
            .or(v["error"]["message"].as_str())
            .unwrap_or("?")
    );
    Ok(())
}

fn bench_password(iterations: usize) -> Result<()> {
    use ferrocart::auth::password;
    let pw = "correct horse battery staple";
    let hash = password::hash_blocking(pw)?;
    let mut hashes = Vec::with_capacity(iterations);
    let mut verifies = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let t = Instant::now();
        std::hint::black_box(password::hash_blocking(pw)?);
        hashes.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(password::verify_blocking(pw, &hash));
        verifies.push(t.elapsed());
    }
    let stats = |v: &mut Vec<Duration>| {
        v.sort();
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
        format!(
            "min {:.1} ms, p10 {:.1} ms, median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
            at(0.0),
            at(0.1),
            at(0.5),
            at(0.9),
            at(1.0)
        )
    };
    println!(
        "argon2id m={} KiB t={} p={} ({} iterations, {} build)",
        password::M_COST_KIB,
        password::T_COST,
        password::P_COST,
        iterations,
        if cfg!(debug_assertions) {
            "debug, argon2 at opt-level 3"
        } else {
            "release"
        }
    );
    println!("hash   (register): {}", stats(&mut hashes));
    println!("verify (login):    {}", stats(&mut verifies));
    Ok(())
}

/// CPU time (user + system) this process has used, in ms (Linux `/proc/self/stat`, 100 Hz ticks).
fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 * 10.0)
}

/// Peak resident set size of this process so far, in KiB (Linux `VmHWM`).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A 12 MP (4000x3000) photo-like JPEG at quality 90: smooth gradients, texture and noise, so the
/// decoder and encoders do real work. Deterministic: the same bytes on every run.
fn synthetic_12mp_jpeg() -> Result<Vec<u8>> {
    let (w, h) = (4000u32, 3000u32);
    let mut seed = 0x9E37_79B9u32;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed % 24) as i32 - 12;
        let fx = x as f32 / w as f32;
        let fy = y as f32 / h as f32;
        let wave = ((fx * 37.0).sin() * (fy * 23.0).cos() * 40.0) as i32;
        let px = |base: f32, k: i32| (base * 255.0) as i32 + wave * k / 2 + noise;
        image::Rgb([
            px(0.2 + 0.6 * fx, 1).clamp(0, 255) as u8,
            px(0.3 + 0.5 * fy, -1).clamp(0, 255) as u8,
            px(0.5 + 0.3 * (1.0 - fx) * fy, 2).clamp(0, 255) as u8,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img)?;
    Ok(out)
}

fn bench_resize(input: Option<PathBuf>, iterations: usize, parallel: bool) -> Result<()> {
    let bytes = match &input {
        Some(p) => std::fs::read(p).with_context(|| format!("reading {}", p.display()))?,
        None => {
            let root = project_root()?;
            let path = root.join("target/bench/12mp.jpg");
            if !path.is_file() {
                std::fs::create_dir_all(path.parent().unwrap_or(&root))?;
                std::fs::write(&path, synthetic_12mp_jpeg()?)?;
            }
            eprintln!(
                "input: {} (pass it to the sharp benchmark too)",
                path.display()
            );
            std::fs::read(&path)?
        }
    };
    let before = peak_rss_kib();
    let mut times = Vec::with_capacity(iterations);
    let mut produced = Vec::new();
    let cpu_start = cpu_ms();
    for _ in 0..iterations {
        let t = Instant::now();
        produced =
            image_resize::image::process_with(&bytes, parallel).map_err(|e| anyhow!("{e}"))?;
        times.push(t.elapsed());
    }
    let cpu = cpu_ms()
        .zip(cpu_start)
        .map(|(end, start)| (end - start) / iterations as f64);
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let total: usize = produced.iter().map(|v| v.bytes.len()).sum();
    println!(
        "{}",
        serde_json::json!({
            "tool": if parallel { "ferrocart image-resize, parallel encodes" } else { "ferrocart image-resize, one thread" },
            "cpu_ms_per_iteration": cpu,
            "input_bytes": bytes.len(),
            "iterations": iterations,
            "min_ms": ms(times[0]),
            "median_ms": ms(times[times.len() / 2]),
            "peak_rss_mib": peak_rss_kib().map(|k| k as f64 / 1024.0),
            "rss_before_mib": before.map(|k| k as f64 / 1024.0),
            "variants": produced.iter().map(|v| format!("{}x{} {}", v.width, v.height, v.format.name())).collect::<Vec<_>>(),
            "output_bytes": total,
        })
    );
    Ok(())
}

/// `infra/sam-local-env.json`: what `sam local invoke|start-api --env-vars` needs so that the
/// functions, in Docker with `--docker-network host`, use the servers `make dev` runs: every
/// variable a function declares, with its local value, and the SDK pointed at moto and DynamoDB
/// Local directly (`sam local` overrides only variables the template declares, hence the
/// template's `AWS_ENDPOINT_URL*` entries). A unit test keeps the committed file current.
fn sam_local_env(tpl: &template::Template) -> Result<String> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    out.insert(
        "Parameters".into(),
        BTreeMap::from([
            (
                "AWS_ENDPOINT_URL".into(),
                format!("http://127.0.0.1:{}", services::MOTO_PORT),
            ),
            (
                "AWS_ENDPOINT_URL_DYNAMODB".into(),
                format!("http://127.0.0.1:{}", services::DYNAMODB_PORT),
            ),
        ]),
    );
    for f in &tpl.functions {
        let mut env = f.env.clone();
        // sam local runs the Lambda image (Amazon Linux), whose bundle path the template names.
        env.remove("SSL_CERT_FILE");
        out.insert(f.logical_id.clone(), env);
    }
    Ok(serde_json::to_string_pretty(&out)? + "\n")
}

/// The hot endpoints: CPU per warm request is a target for these (docs/performance.md).
const HOT: &[&str] = &[
    "list-products",
    "get-product",
    "list-categories",
    "add-to-cart",
    "get-cart",
    "me",
    "login",
];

/// `bench-functions`: starts the local stack (seeded), logs the demo customer in through it, then
/// measures every function's release binary in `bins` against `bins/hello-world` (bench.rs).
async fn bench_functions(bins: &Path, rounds: usize, warm: usize) -> Result<()> {
    let root = project_root()?;
    let bins = if bins.is_absolute() {
        bins.to_path_buf()
    } else {
        root.join(bins)
    };
    let stack = Stack::up(&root, true).await?;
    let result = async {
        let tpl = load_template(&root)?;
        rustls::crypto::ring::default_provider()
            .install_default()
            .ok();
        let http = reqwest::Client::new();
        let (email, password) = seed::DEMO_CUSTOMER;
        let log_in = || async {
            let login: serde_json::Value = http
                .post(format!("http://127.0.0.1:{API_PORT}/auth/login"))
                .json(&serde_json::json!({"email": email, "password": password}))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            login["access_token"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| anyhow!("login answered without access_token: {login}"))
        };
        let token = log_in().await?;
        // logout ends the session its token belongs to: it gets a session of its own, or every
        // function measured after it would answer 401.
        let logout_token = log_in().await?;
        let base = function_aws_env();
        let lambda_env = |f: &template::Function| {
            let mut env = base.clone();
            env.extend(f.env.clone());
            env.insert("AWS_LAMBDA_FUNCTION_NAME".into(), f.logical_id.clone());
            env.insert("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into());
            env.insert(
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
                f.memory_mb.to_string(),
            );
            env.insert("_HANDLER".into(), "bootstrap".into());
            env.insert(
                "AWS_LAMBDA_LOG_GROUP_NAME".into(),
                format!("/aws/lambda/{}", f.logical_id),
            );
            env.insert("AWS_LAMBDA_LOG_STREAM_NAME".into(), "bench".into());
            env
        };
        let mut subjects = Vec::new();
        for f in &tpl.functions {
            let token = if f.binary == "logout" {
                &logout_token
            } else {
                &token
            };
            let event = bench::subject_event(&root, f, token)?;
            subjects.push(bench::Subject {
                name: f.binary.clone(),
                binary: bins.join(&f.binary),
                env: lambda_env(f),
                http: bench::is_http_event(&event),
                event,
                hot: HOT.contains(&f.binary.as_str()),
            });
        }
        let hello_fn = template::Function {
            logical_id: "HelloWorld".into(),
            ..tpl.functions[0].clone()
        };
        let mut hello_env = lambda_env(&hello_fn);
        hello_env.retain(|k, _| k.starts_with("AWS_") || k == "_HANDLER");
        let hello = bench::Subject {
            name: "hello-world".into(),
            binary: bins.join("hello-world"),
            env: hello_env,
            event: axum::body::Bytes::from_static(b"{\"hello\":\"world\"}"),
            hot: false,
            http: false,
        };
        let handler_bench = bins.join("handler-bench");
        let missing = subjects
            .iter()
            .chain(std::iter::once(&hello))
            .map(|s| &s.binary)
            .chain(std::iter::once(&handler_bench))
            .find(|b| !b.is_file());
        if let Some(binary) = missing {
            bail!(
                "{} not found: build with `cargo build --release -p hello-bench -p handler-bench {}`",
                binary.display(),
                "$(functions)"
            );
        }
        bench::run(subjects, hello, &handler_bench, rounds, warm).await
    }
    .await;
    stack.down().await;
    result
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.is_empty() {
        bail!(
            "usage: ferrocart <dev|run|seed|create-admin|routes|bench-password> (see infra/cli/src/main.rs)"
        );
    }
    let cmd = raw.remove(0);
    // Everything after `--` belongs to the command `run` starts.
    let trailing = match raw.iter().position(|a| a == "--") {
        Some(i) => {
            let t = raw.split_off(i);
            t[1..].to_vec()
        }
        None => Vec::new(),
    };
    let mut args = Args(raw);
    match cmd.as_str() {
        "dev" => {
            let seed = !args.flag("--no-seed");
            args.done()?;
            let root = project_root()?;
            let stack = Stack::up(&root, seed).await?;
            eprintln!("[stack] press Ctrl-C to stop");
            shutdown_signal().await;
            stack.down().await;
        }
        "run" => {
            let seed = !args.flag("--no-seed");
            args.done()?;
            if trailing.is_empty() {
                bail!("usage: ferrocart run [--no-seed] -- <command> [args...]");
            }
            let root = project_root()?;
            let stack = Stack::up(&root, seed).await?;
            let mut child = tokio::process::Command::new(&trailing[0]);
            child
                .args(&trailing[1..])
                .envs(local_aws_env())
                .env("FERROCART_API_URL", format!("http://127.0.0.1:{API_PORT}"))
                .env(
                    "FERROCART_LAMBDA_URL",
                    format!("http://127.0.0.1:{CONTROL_PORT}"),
                )
                .env("FERROCART_TABLE", &stack.table)
                .kill_on_drop(true);
            let status = tokio::select! {
                s = child.status() => s.with_context(|| format!("running {}", trailing[0]))?,
                _ = shutdown_signal() => { stack.down().await; std::process::exit(130) }
            };
            let denied = stack.meter.denied();
            stack.down().await;
            if !denied.is_empty() {
                eprintln!(
                    "[iam] {} request(s) would be denied in AWS by the calling function's policy in template.yaml:",
                    denied.len()
                );
                for d in &denied {
                    eprintln!("[iam]   {d}");
                }
                if status.success() {
                    std::process::exit(3);
                }
            }
            std::process::exit(status.code().unwrap_or(1));
        }
        "seed" => {
            let store = data_store(&mut args).await?;
            args.done()?;
            seed::seed(&store).await?;
        }
        "create-admin" => {
            let email = args
                .value("--email")?
                .ok_or_else(|| anyhow!("--email is required"))?;
            let password = match args.value("--password")? {
                Some(p) => p,
                None => std::env::var("FERROCART_ADMIN_PASSWORD")
                    .map_err(|_| anyhow!("give --password or set FERROCART_ADMIN_PASSWORD"))?,
            };
            let name = args
                .value("--name")?
                .unwrap_or_else(|| "Administrator".into());
            let store = data_store(&mut args).await?;
            args.done()?;
            let created = seed::ensure_user(
                &store,
                &email,
                &password,
                &name,
                ferrocart::auth::Role::Admin,
            )
            .await?;
            println!(
                "{} {email} as admin",
                if created {
                    "created"
                } else {
                    "promoted existing user (password unchanged)"
                }
            );
        }
        "pay" => {
            let card = args
                .value("--card")?
                .unwrap_or_else(|| "4242424242424242".into());
            let pi = args.0.first().cloned().ok_or_else(|| {
                anyhow!("usage: ferrocart pay <payment_intent_id> [--card NUMBER]")
            })?;
            args.0.remove(0);
            args.done()?;
            pay_locally(&pi, &card).await?;
        }
        "emails" => {
            let to = args.value("--to")?;
            let full = args.flag("--body");
            args.done()?;
            print_emails(to.as_deref(), full).await?;
        }
        "meter" => {
            let reset = args.flag("--reset");
            args.done()?;
            let url = format!("http://127.0.0.1:{CONTROL_PORT}/__local/meter");
            let http = reqwest::Client::new();
            if reset {
                http.post(format!("{url}/reset")).send().await?;
            }
            let v: serde_json::Value = http.get(url).send().await?.json().await?;
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        "sam-env" => {
            args.done()?;
            let root = project_root()?;
            print!("{}", sam_local_env(&load_template(&root)?)?);
        }
        "routes" => {
            args.done()?;
            let root = project_root()?;
            println!(
                "{}",
                serde_json::to_string_pretty(&load_template(&root)?.routes)?
            );
        }
        "bench-functions" => {
            let bins = args
                .value("--bin-dir")?
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("target/release"));
            let rounds = args
                .value("--rounds")?
                .map(|v| v.parse())
                .transpose()?
                .unwrap_or(7usize);
            let warm = args
                .value("--warm")?
                .map(|v| v.parse())
                .transpose()?
                .unwrap_or(1000usize);
            args.done()?;
            bench_functions(&bins, rounds.max(1), warm.max(1)).await?;
        }
        "bench-password" => {
            let n = args
                .value("--iterations")?
                .map(|v| v.parse())
                .transpose()?
                .unwrap_or(20usize);
            args.done()?;
            bench_password(n.max(1))?;
        }
        "bench-resize" => {
            let input = args.value("--input")?.map(PathBuf::from);
            let n = args
                .value("--iterations")?
                .map(|v| v.parse())
                .transpose()?
                .unwrap_or(10usize);
            let one_thread = args.flag("--one-thread");
            args.done()?;
            bench_resize(input, n.max(1), !one_thread)?;
        }
        other => bail!("unknown command {other:?}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sam_local_env_file_is_current() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let want = sam_local_env(&load_template(&root).expect("template loads")).expect("renders");
        let have =
            std::fs::read_to_string(root.join("infra/sam-local-env.json")).unwrap_or_default();
        assert!(
            have == want,
            "infra/sam-local-env.json is stale: run `target/debug/ferrocart sam-env > infra/sam-local-env.json`"
        );
    }
}
