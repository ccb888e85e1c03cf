//! The lab's own resident memory, as the load benchmark, the burst and the fault tests
//! report it.

/// A field of `/proc/self/status` in KiB; 0 where the system does not tell.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// This process's resident set size in KiB (`VmRSS`).
pub fn resident_kib() -> u64 {
    status_kib("VmRSS:")
}

/// This process's peak resident set size in KiB (`VmHWM`).
pub fn peak_kib() -> u64 {
    status_kib("VmHWM:")
}
