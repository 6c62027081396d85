//! A local Lambda service: runs each function's real binary against an emulation of the Lambda
//! Runtime API (`/2018-06-01/runtime/invocation/next`, `/{id}/response`, `/{id}/error`,
//! `/init/error`), one port per sandbox, scaling out to a few sandboxes per function when
//! invocations overlap, as Lambda does.

use crate::template::Function;
use anyhow::{Context, Result, anyhow};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, mpsc, oneshot};

/// How one invocation ended.
#[derive(Debug)]
pub enum Outcome {
    /// The function's response payload.
    Response(Bytes),
    /// The function reported an error (payload: Lambda's error JSON).
    Error(Bytes),
    /// The sandbox died or could not start.
    Crashed(String),
    /// No answer within the function's timeout.
    TimedOut,
}

struct Invocation {
    id: String,
    event: Bytes,
    deadline_ms: u64,
    reply: oneshot::Sender<Outcome>,
}

struct Sandbox {
    pool: Arc<Pool>,
    current: Mutex<Option<(String, oneshot::Sender<Outcome>)>>,
}

pub struct Pool {
    pub function: Function,
    binary: PathBuf,
    base_env: BTreeMap<String, String>,
    tx: mpsc::UnboundedSender<Invocation>,
    rx: Mutex<mpsc::UnboundedReceiver<Invocation>>,
    /// Sandboxes alive, and those waiting in `/next`.
    live: AtomicUsize,
    idle: AtomicUsize,
    /// Invocations since start (for the local meter).
    pub invocations: AtomicUsize,
    max_sandboxes: usize,
    children: Mutex<Vec<Child>>,
    spawn_lock: Mutex<()>,
}

/// The Embedded Metric Format documents functions printed (what CloudWatch would turn into
/// metrics), each with `"function": <logical id>` added; served at `/__local/metrics`.
static METRICS: std::sync::Mutex<Vec<serde_json::Value>> = std::sync::Mutex::new(Vec::new());

fn record_metric(function: &str, line: &str) {
    if !line.starts_with('{') || !line.contains("\"_aws\"") {
        return;
    }
    if let Ok(serde_json::Value::Object(mut doc)) = serde_json::from_str(line) {
        doc.insert("function".into(), function.into());
        if let Ok(mut m) = METRICS.lock() {
            m.push(serde_json::Value::Object(doc));
        }
    }
}

pub fn emitted_metrics() -> Vec<serde_json::Value> {
    METRICS.lock().map(|m| m.clone()).unwrap_or_default()
}

/// Every live sandbox by its label (`<function>-<n>`, what its SDK clients send as their app id),
/// so a fault can kill the process that made a request ([`kill_sandbox`]).
static SANDBOXES: std::sync::Mutex<BTreeMap<String, (std::sync::Weak<Pool>, u32)>> =
    std::sync::Mutex::new(BTreeMap::new());
static NEXT_SANDBOX: AtomicUsize = AtomicUsize::new(1);

/// Kills (SIGKILL) the sandbox with this label, as Lambda does when a function is killed
/// mid-invocation; its invocation ends `Crashed`. `false` if there is no such sandbox.
pub async fn kill_sandbox(label: &str) -> bool {
    let entry = SANDBOXES.lock().ok().and_then(|s| s.get(label).cloned());
    let Some((pool, pid)) = entry else {
        return false;
    };
    let Some(pool) = pool.upgrade() else {
        return false;
    };
    let mut children = pool.children.lock().await;
    match children.iter_mut().find(|c| c.id() == Some(pid)) {
        Some(child) => {
            crate::log::say!("[{label}] killed (injected fault)");
            child.start_kill().is_ok()
        }
        None => false,
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Pool {
    pub fn new(
        function: Function,
        bin_dir: &std::path::Path,
        base_env: BTreeMap<String, String>,
        max_sandboxes: usize,
    ) -> Result<Arc<Self>> {
        let binary = bin_dir.join(&function.binary);
        if !binary.is_file() {
            return Err(anyhow!(
                "{}: binary {} not found; build it first (cargo build --bins)",
                function.logical_id,
                binary.display()
            ));
        }
        let (tx, rx) = mpsc::unbounded_channel();
        Ok(Arc::new(Self {
            function,
            binary,
            base_env,
            tx,
            rx: Mutex::new(rx),
            live: AtomicUsize::new(0),
            idle: AtomicUsize::new(0),
            invocations: AtomicUsize::new(0),
            max_sandboxes: max_sandboxes.max(1),
            children: Mutex::new(Vec::new()),
            spawn_lock: Mutex::new(()),
        }))
    }

    /// Invokes the function with `event` (raw JSON) and waits for the outcome.
    pub async fn invoke(self: &Arc<Self>, event: Bytes) -> Outcome {
        self.invocations.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = self.ensure_capacity().await {
            return Outcome::Crashed(e.to_string());
        }
        let timeout = Duration::from_secs(self.function.timeout_secs.max(1));
        let (reply, rx) = oneshot::channel();
        let inv = Invocation {
            id: uuid::Uuid::new_v4().to_string(),
            event,
            deadline_ms: now_ms() + timeout.as_millis() as u64,
            reply,
        };
        if self.tx.send(inv).is_err() {
            return Outcome::Crashed("function pool is shut down".into());
        }
        // Cold starts count against the timeout in Lambda too; allow start-up on top locally.
        match tokio::time::timeout(timeout + Duration::from_secs(5), rx).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Outcome::Crashed("sandbox dropped the invocation".into()),
            Err(_) => Outcome::TimedOut,
        }
    }

    async fn ensure_capacity(self: &Arc<Self>) -> Result<()> {
        let _guard = self.spawn_lock.lock().await;
        if self.idle.load(Ordering::SeqCst) == 0
            && self.live.load(Ordering::SeqCst) < self.max_sandboxes
        {
            self.spawn_sandbox().await?;
        }
        Ok(())
    }

    /// Starts one sandbox now (used at start-up to pre-warm one per function).
    pub async fn spawn_sandbox(self: &Arc<Self>) -> Result<()> {
        let sandbox = Arc::new(Sandbox {
            pool: self.clone(),
            current: Mutex::new(None),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(sandbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });

        let f = &self.function;
        self.live.fetch_add(1, Ordering::SeqCst);
        let n = NEXT_SANDBOX.fetch_add(1, Ordering::SeqCst);
        let label = format!("{}-{n}", f.logical_id);
        // Each sandbox has a /tmp of its own, as in Lambda (the search functions keep their index
        // there): TMPDIR points at a fresh directory per sandbox.
        let tmp = std::env::temp_dir()
            .join("ferrocart-sandboxes")
            .join(&label);
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let mut cmd = Command::new(&self.binary);
        cmd.env_clear()
            .env("TMPDIR", &tmp)
            .envs(&self.base_env)
            .envs(&f.env)
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &f.logical_id)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", f.memory_mb.to_string())
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", f.logical_id),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", format!("local/{n}"))
            // Names the caller in the SDK's user agent: the local IAM check (crate::iam) and the
            // fault layer (crate::faults) know which function, and which sandbox, asked.
            .env("AWS_SDK_UA_APP_ID", &label)
            .env("_HANDLER", "bootstrap")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
        ]
        .into_iter()
        .flatten()
        {
            let label = label.clone();
            let function = f.logical_id.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    record_metric(&function, &line);
                    crate::log::say!("[{label}] {line}");
                }
            });
        }
        let pid = child.id();
        self.children.lock().await.push(child);
        if let (Some(pid), Ok(mut all)) = (pid, SANDBOXES.lock()) {
            all.insert(label.clone(), (Arc::downgrade(self), pid));
        }
        // Watch for the sandbox exiting: fail what it held and forget it.
        let pool = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let mut children = pool.children.lock().await;
                let Some(pos) = children.iter().position(|c| c.id() == pid) else {
                    return;
                };
                if let Ok(Some(status)) = children[pos].try_wait() {
                    children.remove(pos);
                    if let Ok(mut all) = SANDBOXES.lock() {
                        all.remove(&label);
                    }
                    drop(children);
                    pool.live.fetch_sub(1, Ordering::SeqCst);
                    crate::log::say!("[{label}] sandbox exited ({status})");
                    if let Some((_, reply)) = sandbox.current.lock().await.take() {
                        let _ = reply.send(Outcome::Crashed(format!("sandbox exited ({status})")));
                    }
                    return;
                }
            }
        });
        Ok(())
    }

    pub async fn shutdown(&self) {
        for mut c in self.children.lock().await.drain(..) {
            let _ = c.kill().await;
        }
    }
}

async fn next(State(sb): State<Arc<Sandbox>>) -> Response {
    if let Some((_, reply)) = sb.current.lock().await.take() {
        let _ = reply.send(Outcome::Crashed(
            "runtime asked for the next event without answering".into(),
        ));
    }
    let pool = &sb.pool;
    pool.idle.fetch_add(1, Ordering::SeqCst);
    let inv = pool.rx.lock().await.recv().await;
    pool.idle.fetch_sub(1, Ordering::SeqCst);
    let Some(inv) = inv else {
        return StatusCode::GONE.into_response();
    };
    let mut headers = HeaderMap::new();
    let f = &pool.function;
    let put = |h: &mut HeaderMap, k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    put(
        &mut headers,
        "lambda-runtime-aws-request-id",
        inv.id.clone(),
    );
    put(
        &mut headers,
        "lambda-runtime-deadline-ms",
        inv.deadline_ms.to_string(),
    );
    put(
        &mut headers,
        "lambda-runtime-invoked-function-arn",
        format!(
            "arn:aws:lambda:us-east-1:000000000000:function:{}",
            f.logical_id
        ),
    );
    put(
        &mut headers,
        "lambda-runtime-trace-id",
        format!(
            "Root=1-{:08x}-{};Sampled=0",
            now_ms() / 1000,
            &inv.id.replace('-', "")[..24]
        ),
    );
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    *sb.current.lock().await = Some((inv.id, inv.reply));
    (StatusCode::OK, headers, inv.event).into_response()
}

async fn finish(sb: &Sandbox, id: &str, outcome: Outcome) -> StatusCode {
    let mut cur = sb.current.lock().await;
    match cur.take() {
        Some((cid, reply)) if cid == id => {
            let _ = reply.send(outcome);
            StatusCode::ACCEPTED
        }
        other => {
            *cur = other;
            StatusCode::BAD_REQUEST
        }
    }
}

async fn response(
    State(sb): State<Arc<Sandbox>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    finish(&sb, &id, Outcome::Response(body)).await
}

async fn error(State(sb): State<Arc<Sandbox>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    finish(&sb, &id, Outcome::Error(body)).await
}

async fn init_error(State(sb): State<Arc<Sandbox>>, body: Bytes) -> StatusCode {
    crate::log::say!(
        "[{}] init error: {}",
        sb.pool.function.logical_id,
        String::from_utf8_lossy(&body)
    );
    StatusCode::ACCEPTED
}
