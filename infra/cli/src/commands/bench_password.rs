//! `ferrocart bench-password`: Argon2id's hash and verify time at the parameters in use.

use anyhow::Result;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value_t = 20)]
    pub iterations: usize,
}

pub fn run(args: Args) -> Result<()> {
    bench_password(args.iterations.max(1))
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
