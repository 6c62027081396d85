//! `ferrocart bench-functions`: start-up time, memory, CPU and size of every function's release
//! binary, side by side with a hello-world `lambda_runtime` binary built the same way
//! (`infra/bench/hello`). Each binary runs here against a minimal Lambda Runtime API, with the
//! local stack answering its SDK calls, exactly as `make dev` runs them.
//!
//! - init: from `exec` to the runtime's first `GET /runtime/invocation/next` (what Lambda reports
//!   as Init Duration), median of `rounds` cold starts; every round starts every binary once, in
//!   turn, so the ratio to hello-world compares the same moments of this noisy machine.
//! - peak RSS: `VmHWM` after `warm` invocations of the function's first event fixture
//!   (`events/<fn>/`, bearer token of the demo customer added when the function checks one).
//! - CPU per warm request: the process's on-CPU time (`/proc/<pid>/task/*/schedstat`) over those
//!   invocations, after 20 unmeasured ones; it includes the runtime client and SDK work.
//! - size: the stripped binary, and deflated as in the zip Lambda is given.
//! - CPU in our code: for HTTP functions, `handler-bench` (`infra/bench/handlers`, release build)
//!   runs the same handler in-process with its SDK calls answered from memory (recorded once from
//!   the local stack): our handler plus the SDK's request building, signing and parsing, without
//!   the runtime client or any network.

use crate::procstat::cpu_ns;
use crate::template::Function;
use anyhow::{Context, Result, anyhow, bail};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, mpsc};

const WARMUP: usize = 20;

/// One process's view of the Runtime API: events in, readiness and results out.
struct Api {
    ready: mpsc::UnboundedSender<Instant>,
    events: Mutex<mpsc::UnboundedReceiver<Bytes>>,
    done: mpsc::UnboundedSender<Result<(), String>>,
    seq: std::sync::atomic::AtomicU64,
}

async fn next(State(api): State<Arc<Api>>) -> Response {
    let _ = api.ready.send(Instant::now());
    let Some(event) = api.events.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let n = api.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let id = format!("00000000-0000-4000-8000-{n:012}");
    let mut h = HeaderMap::new();
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() + 30_000)
        .unwrap_or(0);
    for (k, v) in [
        ("lambda-runtime-aws-request-id", id.clone()),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:000000000000:function:bench".into(),
        ),
        (
            "lambda-runtime-trace-id",
            format!("Root=1-00000000-{:024x};Sampled=0", n),
        ),
    ] {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    }
    h.insert("content-type", HeaderValue::from_static("application/json"));
    (StatusCode::OK, h, event).into_response()
}

async fn response(State(api): State<Arc<Api>>, UrlPath(_id): UrlPath<String>) -> StatusCode {
    let _ = api.done.send(Ok(()));
    StatusCode::ACCEPTED
}

async fn error(
    State(api): State<Arc<Api>>,
    UrlPath(_id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    let _ = api
        .done
        .send(Err(String::from_utf8_lossy(&body).into_owned()));
    StatusCode::ACCEPTED
}

async fn init_error(State(api): State<Arc<Api>>, body: Bytes) -> StatusCode {
    let _ = api.done.send(Err(format!(
        "init error: {}",
        String::from_utf8_lossy(&body)
    )));
    StatusCode::ACCEPTED
}

/// A binary running against its own Runtime API.
struct Sandbox {
    child: tokio::process::Child,
    started: Instant,
    ready: mpsc::UnboundedReceiver<Instant>,
    events: mpsc::UnboundedSender<Bytes>,
    done: mpsc::UnboundedReceiver<Result<(), String>>,
}

impl Sandbox {
    async fn start(binary: &Path, env: &BTreeMap<String, String>) -> Result<Self> {
        let (ready_tx, ready) = mpsc::unbounded_channel();
        let (events, events_rx) = mpsc::unbounded_channel();
        let (done_tx, done) = mpsc::unbounded_channel();
        let api = Arc::new(Api {
            ready: ready_tx,
            events: Mutex::new(events_rx),
            done: done_tx,
            seq: Default::default(),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(api);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let mut cmd = tokio::process::Command::new(binary);
        cmd.env_clear()
            .envs(env)
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        let started = Instant::now();
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        Ok(Self {
            child,
            started,
            ready,
            events,
            done,
        })
    }

    /// Time from exec to the first request for an event.
    async fn init(&mut self) -> Result<Duration> {
        tokio::select! {
            t = self.ready.recv() => Ok(t.ok_or_else(|| anyhow!("runtime API closed"))? - self.started),
            d = self.done.recv() => Err(anyhow!("did not start: {:?}", d)),
            _ = tokio::time::sleep(Duration::from_secs(20)) => Err(anyhow!("no request for an event within 20 s")),
        }
    }

    async fn invoke(&mut self, event: &Bytes) -> Result<Result<(), String>> {
        self.events.send(event.clone())?;
        let r = tokio::time::timeout(Duration::from_secs(30), self.done.recv())
            .await
            .context("invocation timed out")?
            .ok_or_else(|| anyhow!("runtime API closed"))?;
        // Wait until it asks for the next one, so timings never overlap.
        tokio::time::timeout(Duration::from_secs(30), self.ready.recv())
            .await
            .context("no next request")?;
        Ok(r)
    }

    fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn deflated_size(path: &Path) -> Result<u64> {
    let bytes = std::fs::read(path)?;
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&bytes)?;
    // + the zip's local header, central directory entry and end record for one `bootstrap`.
    Ok(enc.finish()?.len() as u64 + 30 + 46 + 22 + 2 * "bootstrap".len() as u64)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

pub struct Subject {
    pub name: String,
    pub binary: PathBuf,
    pub env: BTreeMap<String, String>,
    pub event: Bytes,
    /// Warm CPU is reported for these (the hot endpoints), RSS and init for every function.
    pub hot: bool,
    /// An HTTP function: its handler is also measured in-process (`handler-bench`).
    pub http: bool,
}

/// Whether a fixture is an API Gateway HTTP API event.
pub fn is_http_event(event: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(event)
        .is_ok_and(|v| v.get("routeKey").is_some() && v.get("requestContext").is_some())
}

/// What `handler-bench` printed for one function.
#[derive(serde::Deserialize)]
struct InProcess {
    status: u16,
    sdk_calls: usize,
    cpu_us: f64,
    wall_us: f64,
    /// Start-up in our code, cumulative: SDK configuration, + settings and secrets, + context.
    init_us: [u64; 3],
}

async fn in_process(handler_bench: &Path, s: &Subject, requests: usize) -> Result<InProcess> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(handler_bench)
        .env_clear()
        .envs(&s.env)
        .args([s.name.as_str(), &requests.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", handler_bench.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(&s.event).await?;
    }
    let out = tokio::time::timeout(Duration::from_secs(300), child.wait_with_output())
        .await
        .context("handler-bench timed out")??;
    if !out.status.success() {
        bail!(
            "handler-bench {} failed: {}",
            s.name,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or("");
    serde_json::from_str(line).with_context(|| format!("handler-bench printed {line:?}"))
}

/// The event a function is benchmarked with: its first fixture, with the demo customer's bearer
/// token when it is an HTTP event and the function checks tokens.
pub fn subject_event(root: &Path, f: &Function, token: &str) -> Result<Bytes> {
    let dir = root.join("events").join(&f.binary);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    // Prefer a fixture that describes a normal request over the error cases.
    let pick = files
        .iter()
        .find(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.starts_with("valid") || n.starts_with("demo") || n.starts_with("first")
        })
        .or_else(|| files.first())
        .ok_or_else(|| anyhow!("no event fixture in {}", dir.display()))?;
    let mut event: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(pick)?)?;
    if f.env.contains_key("JWT_SECRET_ARN")
        && let Some(h) = event.get_mut("headers").and_then(|h| h.as_object_mut())
    {
        h.insert("authorization".into(), format!("Bearer {token}").into());
    }
    Ok(Bytes::from(serde_json::to_vec(&event)?))
}

#[derive(Default)]
struct Row {
    init_ms: Vec<f64>,
    ratio: Vec<f64>,
    rss_kib: Option<u64>,
    cpu_us: Option<f64>,
    wall_us: Option<f64>,
    errors: usize,
    size: u64,
    zipped: u64,
    in_process: Option<InProcess>,
}

pub async fn run(
    subjects: Vec<Subject>,
    hello: Subject,
    handler_bench: &Path,
    rounds: usize,
    warm: usize,
) -> Result<()> {
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut hello_ms = Vec::new();
    eprintln!(
        "[bench] {rounds} cold starts of {} binaries and hello-world, interleaved",
        subjects.len()
    );
    for round in 0..rounds {
        let mut sb = Sandbox::start(&hello.binary, &hello.env).await?;
        let h = sb.init().await?.as_secs_f64() * 1000.0;
        drop(sb);
        hello_ms.push(h);
        for s in &subjects {
            let mut sb = Sandbox::start(&s.binary, &s.env).await?;
            let ms = sb
                .init()
                .await
                .with_context(|| format!("{} round {round}", s.name))?
                .as_secs_f64()
                * 1000.0;
            drop(sb);
            let row = rows.entry(s.name.clone()).or_default();
            row.init_ms.push(ms);
            row.ratio.push(ms / h);
        }
    }
    eprintln!("[bench] {warm} warm invocations each");
    for s in subjects.iter().chain(std::iter::once(&hello)) {
        if s.http {
            // First, so that it records the function's normal answer (1,000 add-to-carts later the
            // line is at its quantity cap). 5x the requests: this machine counts CPU in 4 ms ticks.
            let p = in_process(handler_bench, s, warm * 5).await?;
            rows.entry(s.name.clone()).or_default().in_process = Some(p);
        }
        let mut sb = Sandbox::start(&s.binary, &s.env).await?;
        sb.init().await?;
        let mut errors = 0;
        for _ in 0..WARMUP {
            if sb.invoke(&s.event).await?.is_err() {
                errors += 1;
            }
        }
        let pid = sb.pid().ok_or_else(|| anyhow!("{} exited", s.name))?;
        let (cpu0, t0) = (cpu_ns(pid), Instant::now());
        for _ in 0..warm {
            if sb.invoke(&s.event).await?.is_err() {
                errors += 1;
            }
        }
        let wall = t0.elapsed();
        let cpu = cpu_ns(pid).saturating_sub(cpu0);
        let row = rows.entry(s.name.clone()).or_default();
        row.rss_kib = peak_rss_kib(pid);
        row.cpu_us = Some(cpu as f64 / 1000.0 / warm as f64);
        row.wall_us = Some(wall.as_secs_f64() * 1e6 / warm as f64);
        row.errors = errors;
        row.size = std::fs::metadata(&s.binary)?.len();
        row.zipped = deflated_size(&s.binary)?;
        drop(sb);
    }

    let hello_med = median(&mut hello_ms);
    let mb = |b: u64| b as f64 / 1_048_576.0;
    println!(
        "\n| function | init ms (median) | × hello-world | peak RSS MiB ({warm} warm) | CPU µs / warm request | wall µs / request | size MiB | zipped MiB |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let hello_row = rows.remove(&hello.name).unwrap_or_default();
    for s in &subjects {
        let Some(r) = rows.get_mut(&s.name) else {
            continue;
        };
        let cpu = match (s.hot, r.cpu_us) {
            (true, Some(c)) => format!("{c:.0}"),
            (false, Some(c)) => format!("({c:.0})"),
            _ => "-".into(),
        };
        println!(
            "| {}{} | {:.1} | {:.2} | {:.1} | {} | {:.0} | {:.2} | {:.2} |",
            s.name,
            if r.errors > 0 {
                format!(" ({} error replies)", r.errors)
            } else {
                String::new()
            },
            median(&mut r.init_ms),
            median(&mut r.ratio),
            r.rss_kib.unwrap_or(0) as f64 / 1024.0,
            cpu,
            r.wall_us.unwrap_or(f64::NAN),
            mb(r.size),
            mb(r.zipped),
        );
    }
    println!(
        "| hello-world (lambda_runtime) | {:.1} | 1.00 | {:.1} | {:.0} | {:.0} | {:.2} | {:.2} |",
        hello_med,
        hello_row.rss_kib.unwrap_or(0) as f64 / 1024.0,
        hello_row.cpu_us.unwrap_or(f64::NAN),
        hello_row.wall_us.unwrap_or(f64::NAN),
        mb(hello_row.size),
        mb(hello_row.zipped),
    );
    println!(
        "\nCPU in parentheses: not a hot endpoint, shown for completeness (its fixture may be an error case)."
    );

    println!(
        "\nIn-process (handler-bench): each HTTP function's handler, its SDK calls answered from memory, {} requests after 50 unmeasured ones",
        warm * 5
    );
    println!(
        "\n| function | status | SDK calls | CPU µs / request in our code | wall µs / request | start-up in our code µs: SDK config, + settings, + context |"
    );
    println!("|---|---:|---:|---:|---:|---|");
    for s in &subjects {
        let Some(p) = rows.get(&s.name).and_then(|r| r.in_process.as_ref()) else {
            continue;
        };
        let cpu = if s.hot {
            format!("{:.0}", p.cpu_us)
        } else {
            format!("({:.0})", p.cpu_us)
        };
        let [a, b, c] = p.init_us;
        println!(
            "| {} | {} | {} | {} | {:.0} | {a}, {b}, {c} |",
            s.name, p.status, p.sdk_calls, cpu, p.wall_us
        );
    }
    Ok(())
}
