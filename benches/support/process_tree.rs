//! An app and the processes it started (WebKit's web and network processes), read from
//! `/proc`: the CPU time they used, the memory they hold (RSS and PSS from `smaps_rollup`),
//! and ending all of them at once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// `/proc/<pid>/stat` counts CPU time in USER_HZ ticks, 100 a second on Linux.
const TICKS_PER_SECOND: f64 = 100.0;

/// What `/proc/<pid>/stat` says about one process.
struct Stat {
    parent: u32,
    zombie: bool,
    /// utime + stime + cutime + cstime, in ticks.
    ticks: u64,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold anything: fields follow the last ')'.
    let fields: Vec<&str> = text
        .get(text.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    let number = |index: usize| fields.get(index).and_then(|f| f.parse::<u64>().ok());
    Some(Stat {
        parent: u32::try_from(number(1)?).ok()?,
        zombie: fields
            .first()
            .is_some_and(|state| *state == "Z" || *state == "X"),
        ticks: number(11)? + number(12)? + number(13)? + number(14)?,
    })
}

/// `root` and every live process under it.
pub fn tree(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(stat) = stat(pid).filter(|stat| !stat.zombie) {
                children.entry(stat.parent).or_default().push(pid);
            }
        }
    }
    let mut found = Vec::new();
    let mut pending = vec![root];
    while let Some(pid) = pending.pop() {
        if stat(pid).is_some_and(|stat| !stat.zombie) {
            found.push(pid);
        }
        pending.extend(children.remove(&pid).unwrap_or_default());
    }
    found
}

/// The CPU time (user and system, including reaped children) used by `pids`.
pub fn cpu_time(pids: &[u32]) -> Duration {
    let ticks: u64 = pids
        .iter()
        .filter_map(|pid| stat(*pid))
        .map(|s| s.ticks)
        .sum();
    Duration::from_secs_f64(ticks as f64 / TICKS_PER_SECOND)
}

/// Resident memory of `pids`: (RSS, PSS) summed, in KiB.
pub fn memory_kib(pids: &[u32]) -> (u64, u64) {
    let mut total = (0, 0);
    for pid in pids {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
            continue;
        };
        let field = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse::<u64>().ok())
                .unwrap_or(0)
        };
        total.0 += field("Rss:");
        total.1 += field("Pss:");
    }
    total
}

/// Kills `root`'s process group and every process under `root` (SIGKILL), then waits up to
/// `patience` until none of them is left. Returns the ones still there after that.
pub fn kill_all(root: u32, patience: Duration) -> Vec<u32> {
    use rustix::process::{kill_process, kill_process_group, Pid, Signal};

    let pids = tree(root);
    if let Some(group) = i32::try_from(root).ok().and_then(Pid::from_raw) {
        let _ = kill_process_group(group, Signal::KILL);
    }
    for pid in &pids {
        if let Some(pid) = i32::try_from(*pid).ok().and_then(Pid::from_raw) {
            let _ = kill_process(pid, Signal::KILL);
        }
    }
    let deadline = Instant::now() + patience;
    loop {
        let left: Vec<u32> = pids
            .iter()
            .copied()
            .filter(|pid| stat(*pid).is_some_and(|stat| !stat.zombie))
            .collect();
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
