//! On-CPU time of a process, from `/proc`. Shared by `ferrocart bench-functions` (a function's
//! process) and `handler-bench` (itself, via `#[path]`): both need exactly this reading.

/// On-CPU nanoseconds of every thread of a process (`/proc/<pid>/task/*/schedstat`); 0 if unreadable.
pub fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}
