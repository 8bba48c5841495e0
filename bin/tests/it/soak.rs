//! `supervm bench soak`: a short run of the soak command starts its own node process, drives
//! every kind of load, and writes one table row per sample (live and as CSV); parameters
//! that cannot work are refused with a message. The real 30-minute soak is opt-in (see
//! docs/benchmarks.md); this only proves the command measures what it claims.

use std::process::Command;

fn soak(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_supervm"))
        .args(["bench", "soak"])
        .args(args)
        .output()
        .expect("run supervm")
}

#[test]
fn a_short_soak_samples_every_kind_of_load() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("soak.csv");
    let output = soak(&[
        "--seconds",
        "16",
        "--sample-secs",
        "2",
        "--senders",
        "4",
        "--tps",
        "20",
        "--reads",
        "10",
        "--log-queries",
        "2",
        "--subscribers",
        "2",
        "--streams",
        "1",
        "--session-secs",
        "5",
        // Sixteen seconds are warm-up: judge nothing about the plateau here.
        "--max-growth-pct",
        "100000",
        "--out",
        csv.to_str().expect("utf-8 path"),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let table = std::fs::read_to_string(&csv).expect("CSV written");
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let rows: Vec<Vec<f64>> = lines
        .map(|line| {
            line.split(',')
                .map(|v| v.parse().expect("numeric cell"))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 8, "one row per sample:\n{table}");
    let column = |name: &str| {
        let index = header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("column {name} in {header:?}"));
        rows.iter().map(move |row| row[index])
    };
    assert!(column("rss_mib").all(|rss| rss > 1.0), "{table}");
    assert!(column("fds").all(|fds| fds > 3.0), "{table}");
    assert!(column("p99_ms").all(|p99| p99 > 0.0), "{table}");
    assert_eq!(column("errors").sum::<f64>(), 0.0, "{stdout}");
    assert!(column("tx_committed_per_s").sum::<f64>() > 0.0, "{table}");
    assert!(column("ws_notifications").sum::<f64>() > 0.0, "{table}");
    assert!(column("grpc_blocks").sum::<f64>() > 0.0, "{table}");
    assert!(stdout.contains("| t_s | rss_mib |"), "{stdout}");
    assert!(stdout.contains("verdict: "), "{stdout}");
}

#[test]
fn a_sample_interval_longer_than_the_run_is_refused() {
    let output = soak(&["--seconds", "5", "--sample-secs", "10"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the sample interval must be positive and no longer than the run"),
        "{stderr}"
    );
}

#[test]
fn a_zero_rate_is_refused_by_name() {
    let output = soak(&["--tps", "0"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--tps"), "{stderr}");
}
