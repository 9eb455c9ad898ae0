//! An app and the processes it started (WebKit's web and network processes), read from
//! `/proc`: the CPU time they used, the memory they hold (RSS and PSS from `smaps_rollup`),
//! both in all and split by role (the app's own process, WebKit's web processes, its network
//! process, anything else), and ending all of them at once.

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

/// What one process (or a group of them) used: CPU time and resident memory in KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// utime + stime (and reaped children's), as in [`cpu_time`].
    pub cpu: Duration,
    /// RSS, KiB.
    pub rss_kib: u64,
    /// PSS, KiB.
    pub pss_kib: u64,
    /// How many processes this counts.
    pub processes: usize,
}

impl Usage {
    fn add(&mut self, other: Usage) {
        self.cpu += other.cpu;
        self.rss_kib += other.rss_kib;
        self.pss_kib += other.pss_kib;
        self.processes += other.processes;
    }
}

/// What a process in an app's tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The app's own process (the root of the tree).
    App,
    /// A WebKit web process (`WebKitWebProcess`: the page, its DOM and its scripts).
    Web,
    /// WebKit's network process (`WebKitNetworkProcess`: loads the page's resources).
    Network,
    /// Anything else the app started (e.g. a `bwrap` sandbox helper or a GPU process).
    Other,
}

/// The role of a process called `comm` (its `/proc/<pid>/comm`, which the kernel cuts to
/// 15 bytes) in a tree whose root is the app's.
pub fn role_of(is_root: bool, comm: &str) -> Role {
    let comm = comm.trim();
    if is_root {
        Role::App
    } else if comm.starts_with("WebKitWebProces") {
        Role::Web
    } else if comm.starts_with("WebKitNetworkPr") {
        Role::Network
    } else {
        Role::Other
    }
}

/// The usage of an app's tree split by role: `(app, web, network, other)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Split {
    /// The app's own process.
    pub app: Usage,
    /// WebKit's web processes.
    pub web: Usage,
    /// WebKit's network process.
    pub network: Usage,
    /// Everything else.
    pub other: Usage,
}

impl Split {
    /// Every process together.
    pub fn total(&self) -> Usage {
        let mut total = self.app;
        for part in [self.web, self.network, self.other] {
            total.add(part);
        }
        total
    }
}

/// Measures `pids` (the tree under `root`, from [`tree`]) one by one and adds each to its role.
pub fn split(root: u32, pids: &[u32]) -> Split {
    let mut split = Split::default();
    for pid in pids {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let (rss_kib, pss_kib) = memory_kib(&[*pid]);
        let usage = Usage {
            cpu: cpu_time(&[*pid]),
            rss_kib,
            pss_kib,
            processes: 1,
        };
        match role_of(*pid == root, &comm) {
            Role::App => split.app.add(usage),
            Role::Web => split.web.add(usage),
            Role::Network => split.network.add(usage),
            Role::Other => split.other.add(usage),
        }
    }
    split
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
