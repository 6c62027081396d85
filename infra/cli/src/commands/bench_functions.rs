//! `ferrocart bench-functions`: every function's cold start, memory, CPU and size against a
//! hello-world binary (the harness is bench.rs; `make bench-functions`).

use crate::local::{API_PORT, function_aws_env, http, load_template, project_root};
use crate::stack::Stack;
use crate::{bench, seed, template};
use anyhow::{Result, anyhow, bail};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the release binaries are (with hello-world and handler-bench).
    #[arg(long, default_value = "target/release")]
    pub bin_dir: PathBuf,
    #[arg(long, default_value_t = 7)]
    pub rounds: usize,
    #[arg(long, default_value_t = 1000)]
    pub warm: usize,
}

pub async fn run(args: Args) -> Result<()> {
    bench_functions(&args.bin_dir, args.rounds.max(1), args.warm.max(1)).await
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
        let http = http();
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
