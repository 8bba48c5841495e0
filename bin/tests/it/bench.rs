//! `supervm bench exec` and `supervm bench rpc`: the commands run end to end and print JSON
//! lines with committed counts; bad parameters are refused with a message naming them.

use std::process::Command;

fn bench(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_supervm"))
        .args(["bench", "exec"])
        .args(args)
        .output()
        .expect("run supervm")
}

#[test]
fn json_lines_report_every_thread_count() {
    for workload in ["native", "token", "mixed", "cip64"] {
        let output = bench(&[
            "--accounts",
            "50",
            "--txs",
            "40",
            "--threads",
            "1,2",
            "--iterations",
            "1",
            "--workload",
            workload,
            "--json",
        ]);
        assert!(
            output.status.success(),
            "{workload}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8(output.stdout).expect("utf-8");
        let lines: Vec<serde_json::Value> = stdout
            .lines()
            .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
            .collect();
        assert_eq!(lines.len(), 2, "{workload}: {stdout}");
        for (line, threads) in lines.iter().zip([1, 2]) {
            assert_eq!(line["threads"], threads);
            assert_eq!(line["workload"], workload);
            assert_eq!(line["committed"], 40, "every transaction is valid: {line}");
            assert!(line["tps"].as_f64().is_some_and(|tps| tps > 0.0), "{line}");
        }
    }
}

#[test]
fn a_serial_block_is_committed_whole() {
    let output = bench(&[
        "--accounts",
        "2",
        "--txs",
        "200",
        "--threads",
        "2",
        "--iterations",
        "1",
        "--json",
    ]);
    assert!(output.status.success());
    let line: serde_json::Value =
        serde_json::from_slice(output.stdout.trim_ascii()).expect("one JSON line");
    assert_eq!(line["committed"], 200);
}

#[test]
fn bad_parameters_are_refused_by_name() {
    for (args, named) in [
        (vec!["--accounts", "1"], "--accounts"),
        (vec!["--txs", "0"], "--txs"),
        (vec!["--threads", "0"], "--threads"),
        (vec!["--workload", "evm"], "--workload"),
        (vec!["--iterations", "0"], "--iterations"),
    ] {
        let output = bench(&args);
        assert!(!output.status.success(), "{args:?} accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
}

fn bench_rpc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_supervm"))
        .args(["bench", "rpc"])
        .args(args)
        .output()
        .expect("run supervm")
}

#[test]
fn rpc_bench_reports_every_phase_with_committed_counts() {
    let output = bench_rpc(&[
        "--txs",
        "60",
        "--connections",
        "2",
        "--senders",
        "3",
        "--rounds",
        "1",
        "--invalid-connections",
        "1",
        "--json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    let phases: Vec<&str> = lines.iter().filter_map(|l| l["phase"].as_str()).collect();
    assert_eq!(
        phases,
        ["chain_id", "admission", "end_to_end", "admission_attacked"],
        "{stdout}"
    );
    for line in &lines {
        assert_eq!(line["requests"], 60, "{line}");
        assert!(line["per_sec"].as_f64().is_some_and(|r| r > 0.0), "{line}");
        assert!(line["p50_us"].as_f64().is_some_and(|p| p > 0.0), "{line}");
        if line["phase"] != "chain_id" {
            assert_eq!(line["committed"], 60, "every transfer is committed: {line}");
        }
    }
    let attacked = &lines[3];
    assert!(
        attacked["refused"].as_u64().is_some_and(|n| n > 0),
        "the invalid transactions were sent and refused: {attacked}"
    );
}

#[test]
fn rpc_bench_refuses_bad_parameters_by_name() {
    for (args, named) in [
        (vec!["--connections", "0"], "--connections"),
        (vec!["--senders", "0"], "--senders"),
        (vec!["--txs", "0"], "--txs"),
        (vec!["--rounds", "0"], "--rounds"),
        (vec!["--url", "ftp://127.0.0.1:1"], "--url"),
        (vec!["--url", "not a url"], "--url"),
    ] {
        let output = bench_rpc(&args);
        assert!(!output.status.success(), "{args:?} accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
}
