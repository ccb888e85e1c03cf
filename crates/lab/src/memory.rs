//! The lab's own resident memory, as the load benchmark and the burst tests report it.

/// This process's resident set size in KiB (`VmRSS` of `/proc/self/status`); 0 where the
/// system does not tell.
pub fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}
