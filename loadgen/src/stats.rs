//! Latencies and outcomes per operation.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
struct Op {
    /// Milliseconds of the successful calls.
    ok: Vec<f64>,
    /// When each successful call started, in the same order as `ok`.
    at: Vec<Instant>,
    /// Failures by `status code` (and the API's error code when there is one).
    errors: BTreeMap<String, usize>,
    first: Option<Instant>,
    last: Option<Instant>,
}

/// Every operation's record, shared by the tasks.
#[derive(Debug, Default)]
pub struct Stats {
    ops: Mutex<BTreeMap<&'static str, Op>>,
}

impl Stats {
    pub fn ok(&self, op: &'static str, started: Instant) {
        let now = Instant::now();
        let mut ops = self.ops.lock().unwrap_or_else(|e| e.into_inner());
        let o = ops.entry(op).or_default();
        o.ok.push((now - started).as_secs_f64() * 1e3);
        o.at.push(started);
        o.first.get_or_insert(started);
        o.last = Some(now);
    }

    pub fn error(&self, op: &'static str, what: String) {
        let mut ops = self.ops.lock().unwrap_or_else(|e| e.into_inner());
        *ops.entry(op).or_default().errors.entry(what).or_default() += 1;
    }

    /// One line per operation: count, rate over its own span, percentiles, errors.
    pub fn report(&self, ceiling: Option<f64>) -> String {
        let ops = self.ops.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        out.push_str(&format!(
            "{:<16} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9}  errors\n",
            "operation", "ok", "per s", "p50 ms", "p90 ms", "p99 ms", "max ms", "÷ceiling"
        ));
        for (name, o) in ops.iter() {
            let mut ms = o.ok.clone();
            ms.sort_by(f64::total_cmp);
            let at = |q: f64| if ms.is_empty() { 0.0 } else { ms[((ms.len() - 1) as f64 * q).round() as usize] };
            let span = match (o.first, o.last) {
                (Some(a), Some(b)) => (b - a).max(Duration::from_millis(1)).as_secs_f64(),
                _ => 1.0,
            };
            let rate = ms.len() as f64 / span;
            let ratio = ceiling.map_or(String::from("-"), |c| format!("{:.3}", rate / c));
            let errors: Vec<String> = o.errors.iter().map(|(k, v)| format!("{k}×{v}")).collect();
            out.push_str(&format!(
                "{:<16} {:>8} {:>9.0} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>9}  {}\n",
                name,
                ms.len(),
                rate,
                at(0.5),
                at(0.9),
                at(0.99),
                ms.last().copied().unwrap_or(0.0),
                ratio,
                if errors.is_empty() { "none".to_owned() } else { errors.join(", ") }
            ));
        }
        out
    }

    /// The rate of one operation over its own span.
    pub fn rate(&self, op: &'static str) -> Option<f64> {
        let ops = self.ops.lock().unwrap_or_else(|e| e.into_inner());
        let o = ops.get(op)?;
        let span = (o.last? - o.first?).max(Duration::from_millis(1)).as_secs_f64();
        Some(o.ok.len() as f64 / span)
    }

    /// Where an operation's slow calls fall in time: for each second of its span that
    /// started a call slower than `slow_ms`, the second, how many started then and how
    /// many of those were slow. Bursts show a stall (of the machine, the database or the
    /// server); an even spread shows a uniform tail.
    pub fn slow_seconds(&self, op: &'static str, slow_ms: f64) -> Vec<(u64, usize, usize)> {
        let ops = self.ops.lock().unwrap_or_else(|e| e.into_inner());
        let Some(o) = ops.get(op) else { return Vec::new() };
        let Some(first) = o.first else { return Vec::new() };
        let mut per_second: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
        for (ms, at) in o.ok.iter().zip(&o.at) {
            let entry = per_second.entry((*at - first).as_secs()).or_default();
            entry.0 += 1;
            if *ms > slow_ms {
                entry.1 += 1;
            }
        }
        per_second.into_iter().filter(|(_, (_, slow))| *slow > 0).map(|(s, (n, slow))| (s, n, slow)).collect()
    }

    /// When the first successful call of `op` started.
    pub fn first(&self, op: &'static str) -> Option<Instant> {
        self.ops.lock().unwrap_or_else(|e| e.into_inner()).get(op).and_then(|o| o.first)
    }

    /// Failures other than those listed as expected.
    pub fn unexpected(&self, expected: &[&str]) -> usize {
        let ops = self.ops.lock().unwrap_or_else(|e| e.into_inner());
        ops.values()
            .flat_map(|o| o.errors.iter())
            .filter(|(k, _)| !expected.iter().any(|e| k.contains(e)))
            .map(|(_, v)| *v)
            .sum()
    }
}

/// CPU seconds and peak resident memory of a process, from /proc (Linux).
pub fn process_usage(pid: u32) -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces) start after ") ".
    let rest = stat.rsplit_once(") ")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let hwm_kb: u64 = status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
    // Clock ticks are 100 per second on Linux.
    Some((ticks / 100.0, hwm_kb * 1024))
}

/// The machine's CPU time so far, from the first line of /proc/stat, in clock ticks: (busy,
/// stolen by the hypervisor, all).
fn machine_ticks() -> Option<(u64, u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat.lines().next()?.split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let all: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3)? + fields.get(4)?;
    let steal = *fields.get(7)?;
    Some((all - idle - steal, steal, all))
}

/// One second of the machine and the server: the share of all cores busy, the share the
/// hypervisor took (steal), and the server's cores.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub at: Instant,
    pub busy: f64,
    pub steal: f64,
    pub server_cores: f64,
}

/// Samples the machine and the server process every second until `until` is set.
pub async fn sample_cpu(server: u32, until: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Vec<Sample> {
    let mut out = Vec::new();
    let mut before = (machine_ticks(), process_usage(server), Instant::now());
    while !until.load(std::sync::atomic::Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = (machine_ticks(), process_usage(server), Instant::now());
        if let ((Some((b0, s0, a0)), Some((c0, _)), t0), (Some((b1, s1, a1)), Some((c1, _)), t1)) = (before, now) {
            let all = (a1 - a0).max(1) as f64;
            out.push(Sample {
                at: t0,
                busy: (b1 - b0) as f64 / all,
                steal: (s1 - s0) as f64 / all,
                server_cores: (c1 - c0) / (t1 - t0).as_secs_f64(),
            });
        }
        before = now;
    }
    out
}
