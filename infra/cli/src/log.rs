//! Where the local stack's own lines go: the gateway's access lines, every sandbox's output, the
//! servers' (DynamoDB Local, moto, the Stripe stand-in) and the stack's notes. By default standard
//! error, as `ferrocart dev` wants; `ferrocart run --log FILE` sends them to a file instead, so a
//! test run's output is the tests' own and the stack's tens of thousands of lines stay readable on
//! their own (`make test` keeps them in target/logs/).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

static SINK: OnceLock<(PathBuf, Mutex<File>)> = OnceLock::new();

/// Sends every later line to `path` (created, or truncated). Once per process.
pub fn to_file(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = File::create(path)?;
    SINK.set((path.to_path_buf(), Mutex::new(file)))
        .map_err(|_| anyhow::anyhow!("the stack's log is already set"))
}

/// The file the lines go to, when not standard error.
pub fn file() -> Option<&'static Path> {
    SINK.get().map(|(p, _)| p.as_path())
}

pub fn line(args: std::fmt::Arguments<'_>) {
    match SINK.get() {
        Some((_, file)) => {
            let mut f = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            // A log line that cannot be written is not worth failing the stack for.
            let _ = writeln!(f, "{args}");
        }
        None => eprintln!("{args}"),
    }
}

/// Standard error for a server the stack starts: the log file when there is one.
pub fn stdio() -> std::process::Stdio {
    SINK.get()
        .and_then(|(_, file)| {
            let f = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f.try_clone().ok()
        })
        .map_or_else(std::process::Stdio::inherit, std::process::Stdio::from)
}

/// `say!(...)`: `eprintln!` for the stack's lines, through [`line`].
macro_rules! say {
    ($($arg:tt)*) => { $crate::log::line(format_args!($($arg)*)) };
}
pub(crate) use say;
