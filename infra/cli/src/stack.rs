//! The local stack: DynamoDB Local, moto, the Stripe stand-in, the meter, and every function
//! behind a local HTTP API, SQS pollers and a media CDN (`ferrocart dev` and `ferrocart run`).

use crate::local::*;
use crate::{gateway, iam, lambda, meter, resources, seed, services, sqs, streams, template};
use anyhow::{Result, anyhow};
use ferrocart::store::Store;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

pub struct Stack {
    _children: Vec<tokio::process::Child>,
    pools: Vec<Arc<lambda::Pool>>,
    pub table: String,
    pub meter: meter::Meter,
}

impl Stack {
    pub async fn up(root: &Path, seed: bool) -> Result<Self> {
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
            (STOREFRONT_PORT, "storefront"),
            (services::STRIPE_PORT, "Stripe stand-in"),
            (METER_DYNAMODB_PORT, "DynamoDB meter"),
            (METER_SQS_PORT, "SQS meter"),
            (METER_STRIPE_PORT, "Stripe meter"),
        ] {
            services::ensure_free(port, what).await?;
        }
        // Check every function binary exists before starting anything.
        let base_env = function_aws_env();
        let bins = bin_dir(root);
        let mut pools = Vec::new();
        for f in &tpl.functions {
            // The Stripe stand-in, too, is reached through the meter (for its faults).
            let mut f = f.clone();
            if f.env.contains_key("STRIPE_API_BASE") {
                f.env.insert(
                    "STRIPE_API_BASE".into(),
                    format!("http://127.0.0.1:{METER_STRIPE_PORT}"),
                );
            }
            let most = f.reserved_concurrency.unwrap_or(8).min(8);
            pools.push(lambda::Pool::new(f, &bins, base_env.clone(), most)?);
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
            crate::log::say!(
                "[stack] table {} created from template resource {}",
                t.local_name,
                t.logical_id
            );
        }
        let (s3, sqs) = (local_s3(), local_sqs());
        resources::create_queues(&sqs, &tpl).await?;
        resources::create_buckets(&s3, &tpl).await?;
        resources::verify_senders(&local_sesv2(), &tpl).await?;
        resources::create_secrets(&local_secretsmanager(), &tpl).await?;
        if seed {
            seed::seed(&Store::new(ddb.clone(), table.clone()), true).await?;
        }

        let gw = Arc::new(gateway::Gateway {
            routes: tpl.routes.clone(),
            pools: pools
                .iter()
                .map(|p| (p.function.logical_id.clone(), p.clone()))
                .collect::<HashMap<_, _>>(),
            domain: format!("127.0.0.1:{API_PORT}"),
            cors: tpl.cors.clone(),
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
            (
                METER_STRIPE_PORT,
                meter::Service::Stripe,
                services::STRIPE_PORT,
            ),
        ] {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            let router = meter::router(
                meter.clone(),
                service,
                format!("http://127.0.0.1:{upstream}"),
            );
            tokio::spawn(async move { axum::serve(listener, router).await });
        }
        tokio::spawn(async move {
            axum::serve(
                api,
                a.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
        });
        tokio::spawn(async move { axum::serve(control, c).await });
        if let Some(bucket) = tpl.cdn_buckets.first() {
            let cdn = tokio::net::TcpListener::bind(("127.0.0.1", CDN_PORT)).await?;
            let router = gateway::cdn_router(s3.clone(), bucket.clone());
            tokio::spawn(async move { axum::serve(cdn, router).await });
        }
        let dist = root.join("web/dist");
        if dist.join("index.html").is_file() {
            let web = tokio::net::TcpListener::bind(("127.0.0.1", STOREFRONT_PORT)).await?;
            let pages = tpl
                .buckets
                .iter()
                .find(|b| b.logical_id == "StorefrontBucket")
                .map(|b| crate::storefront::Pages {
                    s3: s3.clone(),
                    bucket: b.local_name.clone(),
                    api: format!("http://127.0.0.1:{API_PORT}"),
                    http: crate::local::http(),
                    synced: Default::default(),
                });
            // Published as a deploy publishes it, before the first page is asked for.
            if let Some(p) = &pages {
                crate::storefront::sync_index(p, &dist).await?;
            }
            let router = crate::storefront::router(dist, pages);
            tokio::spawn(async move { axum::serve(web, router).await });
            crate::log::say!("[stack] storefront      http://127.0.0.1:{STOREFRONT_PORT}");
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
            crate::log::say!("[stack] queue {} -> {}", queue.local_name, source.function);
        }

        for source in &tpl.stream_sources {
            let pool = pools
                .iter()
                .find(|p| p.function.logical_id == source.function)
                .ok_or_else(|| anyhow!("no function {}", source.function))?
                .clone();
            let on_failure = match &source.on_failure_queue {
                None => None,
                Some(id) => Some(
                    tpl.queues
                        .iter()
                        .find(|q| &q.logical_id == id)
                        .map(|q| template::queue_url(&q.local_name))
                        .ok_or_else(|| {
                            anyhow!("{}: OnFailure names unknown queue {id}", source.function)
                        })?,
                ),
            };
            streams::spawn(streams::Feed {
                ddb: ddb.clone(),
                sqs: sqs.clone(),
                table: table.clone(),
                source: source.clone(),
                on_failure,
                pool,
            });
            crate::log::say!("[stack] table stream {table} -> {}", source.function);
        }

        for schedule in &tpl.schedules {
            let pool = pools
                .iter()
                .find(|p| p.function.logical_id == schedule.function)
                .ok_or_else(|| anyhow!("no function {}", schedule.function))?
                .clone();
            let every = local_period(&schedule.expression, local_schedule_period());
            crate::log::say!(
                "[stack] {} on {} (locally every {}s)",
                schedule.function,
                schedule.expression,
                every.as_secs()
            );
            tokio::spawn(run_on_schedule(pool, every));
        }

        crate::log::say!("[stack] ready in {:.1}s", started.elapsed().as_secs_f64());
        crate::log::say!("[stack] HTTP API        http://127.0.0.1:{API_PORT}");
        for r in &tpl.routes {
            crate::log::say!("[stack]   {:6} {:30} -> {}", r.method, r.path, r.function);
        }
        crate::log::say!(
            "[stack] Lambda invoke   http://127.0.0.1:{CONTROL_PORT}/2015-03-31/functions/<name>/invocations"
        );
        crate::log::say!(
            "[stack] DynamoDB Local  http://127.0.0.1:{} (table {table})",
            services::DYNAMODB_PORT
        );
        crate::log::say!(
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

    pub async fn down(self) {
        for p in &self.pools {
            p.shutdown().await;
        }
        // Killed and reaped before we return: a stack started right after this one (make test's
        // contract stack) must find the ports free, not a DynamoDB Local still exiting.
        for mut child in self._children {
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
        }
        crate::log::say!("[stack] stopped");
    }
}

/// How often scheduled functions run locally: `FERROCART_SCHEDULE_SECONDS`, default 5 (their
/// schedules are minutes in AWS; locally the reconciler's work should be seen in seconds).
fn local_schedule_period() -> Duration {
    let secs = std::env::var("FERROCART_SCHEDULE_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5u64)
        .max(1);
    Duration::from_secs(secs)
}

/// A schedule's local period: its AWS period divided by 12, from `base` (what `rate(1 minute)`
/// becomes) to at most a minute (a daily job still runs while someone looks). A `cron(...)`
/// schedule runs every `base`.
fn local_period(expression: &str, base: Duration) -> Duration {
    let aws_secs = expression
        .strip_prefix("rate(")
        .and_then(|r| r.strip_suffix(')'))
        .and_then(|r| r.split_once(' '))
        .and_then(|(n, unit)| {
            let n: u64 = n.trim().parse().ok()?;
            let unit = match unit.trim().trim_end_matches('s') {
                "minute" => 60,
                "hour" => 3_600,
                "day" => 86_400,
                _ => return None,
            };
            Some(n * unit)
        });
    match aws_secs {
        Some(secs) => Duration::from_secs(secs / 12).clamp(base, Duration::from_secs(60).max(base)),
        None => base,
    }
}

/// Invokes a scheduled function with an EventBridge "Scheduled Event", one run at a time.
async fn run_on_schedule(pool: Arc<lambda::Pool>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let event = serde_json::json!({
            "version": "0",
            "id": uuid::Uuid::new_v4().to_string(),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "000000000000",
            "time": ferrocart::time::rfc3339(ferrocart::time::now_unix()),
            "region": "us-east-1",
            "resources": [format!("arn:aws:events:us-east-1:000000000000:rule/{}", pool.function.logical_id)],
            "detail": {},
        });
        match pool.invoke(event.to_string().into()).await {
            lambda::Outcome::Response(_) => {}
            other => crate::log::say!(
                "[schedule] {} run failed: {other:?}",
                pool.function.logical_id
            ),
        }
    }
}

fn meter_routes(meter: meter::Meter) -> axum::Router {
    let (a, b, c, d) = (meter.clone(), meter.clone(), meter.clone(), meter.clone());
    let (f1, f2, f3) = (meter.clone(), meter.clone(), meter);
    axum::Router::new()
        .route(
            "/__local/faults",
            axum::routing::get(move || {
                let m = f1.clone();
                async move { axum::Json(m.faults().report()) }
            })
            .put(move |body: axum::body::Bytes| {
                let m = f2.clone();
                async move {
                    use axum::http::StatusCode;
                    let plan = serde_json::from_slice::<crate::faults::Plan>(&body)
                        .map_err(|e| e.to_string())
                        .and_then(|p| m.faults().set(p));
                    match plan {
                        Ok(()) => (StatusCode::OK, axum::Json(m.faults().report())),
                        Err(e) => (
                            StatusCode::BAD_REQUEST,
                            axum::Json(serde_json::json!({"error": e})),
                        ),
                    }
                }
            })
            .delete(move || {
                let m = f3.clone();
                async move {
                    m.faults().clear();
                    axum::Json(m.faults().report())
                }
            }),
        )
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

pub async fn shutdown_signal() {
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

#[cfg(test)]
mod schedule_tests {
    use std::time::Duration;

    #[test]
    fn local_periods_scale_aws_schedules_into_a_minute() {
        let base = Duration::from_secs(5);
        let p = |e| super::local_period(e, base).as_secs();
        assert_eq!(p("rate(1 minute)"), 5);
        assert_eq!(p("rate(5 minutes)"), 25);
        assert_eq!(p("rate(1 day)"), 60);
        assert_eq!(p("cron(0 3 * * ? *)"), 5);
        assert_eq!(
            super::local_period("rate(1 day)", Duration::from_secs(90)).as_secs(),
            90
        );
    }
}
