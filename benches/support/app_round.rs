//! One round of the startup benchmark: starts an app, watches it for a fixed window of time
//! (when its toplevel is mapped, when its page reports the first paint on stderr, every frame
//! painted), measures its process tree at the end of the window (CPU time, RSS, PSS, in all
//! and per process role), and kills the whole tree, waiting until it is gone.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::process_tree;
use crate::x11_watch::{Display, Seen};

/// The line both apps print (Authdeck through its log) once the page has painted.
pub const PAINT_MARK: &str = "first paint:";

/// How an app is started for a round.
pub struct Launch {
    /// The executable.
    pub binary: PathBuf,
    /// Environment variables set for it (on top of the benchmark's own environment).
    pub env: Vec<(String, OsString)>,
    /// How long it is watched from the spawn on.
    pub window: Duration,
    /// Whether to echo every line the app writes on stderr (for finding out what it did).
    pub echo: bool,
}

/// What one round measured; times count from just before the spawn.
pub struct Sample {
    /// When the toplevel window was mapped.
    pub mapped: Option<Duration>,
    /// When the `first paint:` line arrived on stderr.
    pub painted: Option<Duration>,
    /// How many accounts the `first paint:` line says were listed.
    pub listed: Option<u64>,
    /// Frames (damage notifications) from the map to the end of the window.
    pub frames: usize,
    /// Of those, the frames after the first paint.
    pub frames_after_paint: usize,
    /// CPU time of the app and all its processes at the end of the window.
    pub cpu: Duration,
    /// RSS of the app and all its processes at the end of the window, KiB.
    pub rss_kib: u64,
    /// PSS of the app and all its processes at the end of the window, KiB.
    pub pss_kib: u64,
    /// How many processes the app had at the end of the window.
    pub processes: usize,
    /// The same figures split by process: the app's own, WebKit's web and network ones.
    pub split: process_tree::Split,
}

/// How many of an app's last stderr lines an error quotes.
const QUOTED_LINES: usize = 12;

/// What a round collects while it watches.
struct Watch {
    echo: bool,
    started: Instant,
    pid: u32,
    sample: Sample,
    frame_times: Vec<Instant>,
    last_lines: Vec<String>,
}

impl Watch {
    /// Takes in what the display reported since the last look.
    fn look_at_display(&mut self, display: &mut Display) -> Result<(), String> {
        while let Some(seen) = display.next()? {
            let now = Instant::now();
            match seen {
                Seen::Mapped(window) if self.sample.mapped.is_none() => {
                    // The app's own toplevel, not one of its WebKit processes' windows.
                    let owner = display.window_pid(window);
                    if owner.is_none_or(|owner| owner == self.pid) {
                        self.sample.mapped = Some(now - self.started);
                        display.watch_frames(window)?;
                    }
                }
                Seen::Mapped(_) => {}
                Seen::Painted => self.frame_times.push(now),
            }
        }
        Ok(())
    }

    /// Takes in one line the app wrote on stderr, received at `at`.
    fn read_line(&mut self, at: Instant, line: String) {
        if self.echo {
            println!("    | {line}");
        }
        if self.sample.painted.is_none() {
            if let Some(rest) = line.split(PAINT_MARK).nth(1) {
                self.sample.painted = Some(at - self.started);
                self.sample.listed = rest.split_whitespace().next().and_then(|n| n.parse().ok());
            }
        }
        self.last_lines.push(line);
        if self.last_lines.len() > QUOTED_LINES {
            self.last_lines.remove(0);
        }
    }
}

/// Runs `launch` once, watched on `display`, and ends it.
pub fn run(display: &mut Display, launch: &Launch) -> Result<Sample, String> {
    display.settle()?;
    let mut command = Command::new(&launch.binary);
    command
        .envs(launch.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        // Its own process group, so the whole tree can be ended at once.
        .process_group(0);
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|err| format!("cannot start {}: {err}", launch.binary.display()))?;
    let (lines_tx, lines) = mpsc::channel::<(Instant, String)>();
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let Some(stderr) = stderr else { return };
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    let mut watch = Watch {
        echo: launch.echo,
        started,
        pid: child.id(),
        sample: Sample {
            mapped: None,
            painted: None,
            listed: None,
            frames: 0,
            frames_after_paint: 0,
            cpu: Duration::ZERO,
            rss_kib: 0,
            pss_kib: 0,
            processes: 0,
            split: process_tree::Split::default(),
        },
        frame_times: Vec::new(),
        last_lines: Vec::new(),
    };

    let deadline = started + launch.window;
    let mut failure = None;
    while Instant::now() < deadline {
        if let Err(err) = watch.look_at_display(display) {
            failure = Some(err);
            break;
        }
        while let Ok((at, line)) = lines.try_recv() {
            watch.read_line(at, line);
        }
        if let Ok(Some(status)) = child.try_wait() {
            failure = Some(format!("it exited early ({status})"));
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    if failure.is_none() {
        let pids = process_tree::tree(watch.pid);
        let split = process_tree::split(watch.pid, &pids);
        let total = split.total();
        watch.sample.cpu = total.cpu;
        (watch.sample.rss_kib, watch.sample.pss_kib) = (total.rss_kib, total.pss_kib);
        watch.sample.processes = total.processes;
        watch.sample.split = split;
    }

    display.stop_watching_frames();
    let left = process_tree::kill_all(watch.pid, Duration::from_secs(10));
    let _ = child.wait();
    if left.is_empty() {
        // Every writer of the pipe is gone: the reader sees its end.
        let _ = reader.join();
    } else {
        failure = Some(format!("processes {left:?} outlived SIGKILL"));
    }
    while let Ok((at, line)) = lines.try_recv() {
        watch.read_line(at, line);
    }
    if let Some(failure) = failure {
        return Err(format!(
            "{}: {failure}; its last stderr lines:\n    {}",
            launch.binary.display(),
            watch.last_lines.join("\n    ")
        ));
    }
    let mut sample = watch.sample;
    sample.frames = watch.frame_times.len();
    let painted_at = sample.painted.map(|painted| started + painted);
    sample.frames_after_paint = painted_at.map_or(0, |painted_at| {
        watch
            .frame_times
            .iter()
            .filter(|at| **at > painted_at)
            .count()
    });
    Ok(sample)
}
