//! The benchmark report: each benchmark prints its rows and writes them to
//! `target/bench/rows/<bench>.tsv` (measure, Authdeck, baseline, ratio, goal), and
//! `scripts/bench.sh` prints every file as one table. A report, never a pass/fail test.

use std::path::PathBuf;
use std::time::Duration;

/// One row of the report: a measure of Authdeck beside its own baseline from the same run.
pub struct Row {
    /// What was measured, e.g. "100-account vote, provider answering in 100 ms".
    pub measure: String,
    /// Authdeck's figure with its unit, e.g. "290 ms".
    pub ours: String,
    /// The baseline's figure with its unit, e.g. "84 ms (1,000 bare POSTs)".
    pub baseline: String,
    /// `ours / baseline`.
    pub ratio: f64,
    /// The goal, e.g. "<= 1.5x".
    pub goal: String,
}

impl Row {
    /// A row for two durations; the ratio is computed from them.
    #[allow(dead_code)]
    pub fn durations(
        measure: &str,
        ours: Duration,
        baseline: Duration,
        what: &str,
        goal: &str,
    ) -> Self {
        Self {
            measure: measure.into(),
            ours: format!("{:.1} ms", ms(ours)),
            baseline: format!("{:.1} ms ({what})", ms(baseline)),
            ratio: ours.as_secs_f64() / baseline.as_secs_f64().max(f64::MIN_POSITIVE),
            goal: goal.into(),
        }
    }
}

/// Milliseconds, for printing.
#[allow(dead_code)]
pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}

/// The median of some samples (the upper middle one for an even count).
#[allow(dead_code)]
pub fn median<T: Ord + Copy>(mut samples: Vec<T>) -> T {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// `target/bench/rows`, beside the build's own `target/tmp`.
fn rows_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(&tmp).join("bench").join("rows")
}

/// Prints the rows and writes them to `target/bench/rows/<bench>.tsv`, replacing that
/// benchmark's earlier rows.
pub fn publish(bench: &str, rows: &[Row]) {
    let mut text = String::new();
    for row in rows {
        println!(
            "  {:<58} {:>14}  vs {:<34} {:>6.2}x  (goal {})",
            row.measure, row.ours, row.baseline, row.ratio, row.goal
        );
        let clean = |value: &str| value.replace(['\t', '\n'], " ");
        text.push_str(&format!(
            "{}\t{}\t{}\t{:.2}\t{}\n",
            clean(&row.measure),
            clean(&row.ours),
            clean(&row.baseline),
            row.ratio,
            clean(&row.goal)
        ));
    }
    let dir = rows_dir();
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join(format!("{bench}.tsv")), text));
    match written {
        Ok(()) => println!(
            "  (rows written to {})",
            dir.join(format!("{bench}.tsv")).display()
        ),
        Err(err) => eprintln!("  could not write the rows to {}: {err}", dir.display()),
    }
}
