//! `ferrocart bench-resize`: image-resize's time and memory on a 12 MP JPEG (made if no input).

use crate::local::project_root;
use anyhow::{Context, Result, anyhow};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A JPEG to resize (default: a synthetic 12 MP photo).
    #[arg(long)]
    pub input: Option<PathBuf>,
    #[arg(long, default_value_t = 10)]
    pub iterations: usize,
    /// Resize the variants one after another instead of in parallel.
    #[arg(long)]
    pub one_thread: bool,
}

pub fn run(args: Args) -> Result<()> {
    bench_resize(args.input, args.iterations.max(1), !args.one_thread)
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
