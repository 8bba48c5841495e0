//! The oracle price feeder (`supervm oracle-feeder`), end to end: fake price APIs on 127.0.0.1
//! (sane, lying, silent, broken), a poll round's median and per-source diagnosis, a report
//! transaction mined by an in-process node whose genesis whitelists the feeder's key, the
//! `/health` endpoint of the running loop, and the binary's configuration and key handling.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::common::*;
use axum::{http::StatusCode, routing::get, Router};
use supervm_oracle::{aggregate::to_fixed, PRICE_SCALE};
use supervm_oracle_feeder::{
    poll_token, source_client, Feeder, FeederConfig, Fraction, NoPrice, SourceError, SourceStatus,
    SystemClock,
};

/// Governance of the test chain.
const GOVERNANCE: Address = address!("0x0000000000000000000000000000000000000a11");
/// "ETH in USD" → sUSD base units per wei: × 10⁶ / 10¹⁸.
const SCALE: &str = "0.000000000001";

/// The feeder's reporter key in these tests (no value anywhere else).
fn reporter_key() -> B256 {
    B256::repeat_byte(0x42)
}

fn reporter() -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&reporter_key()).expect("valid key")
}

// ----------------------------------------------------------------------------------------------
// Fake price APIs.
// ----------------------------------------------------------------------------------------------

/// Serves the fake APIs on 127.0.0.1:0:
/// - `/a` `{"ethereum":{"usd":3000}}`, `/b` `{"price":"3001.5"}`, `/inverted` `{"rate":0.000333}`
///   (ETH per USD, i.e. 3003.003… USD per ETH): three honest sources;
/// - `/liar`: 10× the price; `/slow`: never answers; `/garbage`: truncated JSON;
/// - `/error`: HTTP 500; `/missing`: JSON without the field.
async fn serve_sources() -> SocketAddr {
    let json = |body: &'static str| {
        move || async move {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
        }
    };
    let app = Router::new()
        .route("/a", get(json(r#"{"ethereum":{"usd":3000}}"#)))
        .route("/b", get(json(r#"{"price":"3001.5"}"#)))
        .route("/inverted", get(json(r#"{"rate":0.000333}"#)))
        .route("/liar", get(json(r#"{"ethereum":{"usd":30015}}"#)))
        .route("/slow", get(std::future::pending::<&'static str>))
        .route("/garbage", get(json(r#"{"ethereum":{"usd":30"#)))
        .route(
            "/error",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "{}") }),
        )
        .route("/missing", get(json(r#"{"bitcoin":{"usd":90000}}"#)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// A source line of the configuration: (name, path, pointer, invert).
type Src = (&'static str, &'static str, &'static str, bool);

const HONEST: [Src; 3] = [
    ("a", "/a", "/ethereum/usd", false),
    ("b", "/b", "/price", false),
    ("inverted", "/inverted", "/rate", true),
];
const LIAR: Src = ("liar", "/liar", "/ethereum/usd", false);
const SLOW: Src = ("slow", "/slow", "/ethereum/usd", false);
const GARBAGE: Src = ("garbage", "/garbage", "/ethereum/usd", false);
const ERROR: Src = ("error", "/error", "/ethereum/usd", false);
const MISSING: Src = ("missing", "/missing", "/ethereum/usd", false);

/// A feeder configuration for sUSD over `sources`, with `top` lines at the top level.
fn feeder_toml(top: &str, api: SocketAddr, sources: &[Src], min_sources: usize) -> String {
    let mut text = format!(
        "{top}\nrequest_timeout_ms = 500\n\n[key]\nenv = \"SUPERVM_FEEDER_KEY\"\n\n\
         [[tokens]]\naddress = \"{SUSD:#x}\"\nsymbol = \"sUSD\"\nmin_sources = {min_sources}\n\
         max_spread_bps = 200\n"
    );
    for (name, path, pointer, invert) in sources {
        text.push_str(&format!(
            "\n[[tokens.sources]]\nname = \"{name}\"\nurl = \"http://{api}{path}\"\n\
             pointer = \"{pointer}\"\ninvert = {invert}\nscale = \"{SCALE}\"\n"
        ));
    }
    text
}

fn parse_config(text: &str) -> FeederConfig {
    FeederConfig::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn decimal(text: &str) -> Fraction {
    Fraction::parse_decimal(text).expect("decimal")
}

/// The median of the honest sources: 3001.5 USD per ETH in sUSD base units per wei.
fn honest_price() -> Fraction {
    decimal("3001.5")
        .checked_mul(decimal(SCALE))
        .expect("price")
}

fn status_of<'a>(outcome: &'a supervm_oracle_feeder::PollOutcome, name: &str) -> &'a SourceStatus {
    &outcome
        .sources
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no source {name} in {outcome:?}"))
        .status
}

// ----------------------------------------------------------------------------------------------
// Poll rounds against fake APIs.
// ----------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_round_takes_the_median_of_the_sane_sources() {
    let api = serve_sources().await;
    let mut sources = HONEST.to_vec();
    sources.extend([LIAR, SLOW, GARBAGE, ERROR, MISSING]);
    let config = parse_config(&feeder_toml("", api, &sources, 2));
    let client = source_client().expect("client");
    // The silent source never answers: the round ends only if its request timeout cuts it off.
    let outcome = tokio::time::timeout(
        TIMEOUT,
        poll_token(&client, &config.tokens[0], config.request_timeout),
    )
    .await
    .expect("the silent source must not hold the round beyond its timeout");

    assert_eq!(outcome.price, Ok(honest_price()), "{outcome:#?}");
    for name in ["a", "b", "inverted"] {
        assert_eq!(
            status_of(&outcome, name),
            &SourceStatus::Used,
            "{name}: {outcome:#?}"
        );
    }
    let inverted = outcome
        .sources
        .iter()
        .find(|s| s.name == "inverted")
        .unwrap();
    assert_eq!(
        inverted.price,
        Some(
            decimal("0.000333")
                .invert()
                .checked_mul(decimal(SCALE))
                .unwrap()
        )
    );
    assert!(
        matches!(status_of(&outcome, "liar"), SourceStatus::Outlier { deviation_bps } if *deviation_bps > 80_000),
        "{outcome:#?}"
    );
    assert!(
        matches!(
            status_of(&outcome, "slow"),
            SourceStatus::Failed(SourceError::Timeout(_))
        ),
        "{outcome:#?}"
    );
    assert!(
        matches!(
            status_of(&outcome, "garbage"),
            SourceStatus::Failed(SourceError::NotJson(_))
        ),
        "{outcome:#?}"
    );
    assert!(
        matches!(
            status_of(&outcome, "error"),
            SourceStatus::Failed(SourceError::HttpStatus(500))
        ),
        "{outcome:#?}"
    );
    assert!(
        matches!(
            status_of(&outcome, "missing"),
            SourceStatus::Failed(SourceError::PointerMissing(_))
        ),
        "{outcome:#?}"
    );
    // The reasons read well in logs and /health.
    let liar = outcome.sources.iter().find(|s| s.name == "liar").unwrap();
    assert!(liar.problem().unwrap().starts_with("outlier"), "{liar:?}");
}

#[tokio::test]
async fn a_round_without_enough_agreeing_sources_yields_nothing() {
    let api = serve_sources().await;
    let client = source_client().expect("client");

    // One honest source against a liar: they disagree, nobody breaks the tie.
    let config = parse_config(&feeder_toml("", api, &[HONEST[0], LIAR, SLOW, GARBAGE], 2));
    let outcome = poll_token(&client, &config.tokens[0], config.request_timeout).await;
    assert!(
        matches!(
            outcome.price,
            Err(NoPrice::TooFewAgree {
                agreeing: 1,
                needed: 2,
                ..
            })
        ),
        "{outcome:#?}"
    );
    assert_eq!(status_of(&outcome, "a"), &SourceStatus::Unused);

    // Only one sane source at all.
    let config = parse_config(&feeder_toml("", api, &[HONEST[0], SLOW, GARBAGE], 2));
    let outcome = poll_token(&client, &config.tokens[0], config.request_timeout).await;
    assert_eq!(
        outcome.price,
        Err(NoPrice::TooFewSane { sane: 1, needed: 2 }),
        "{outcome:#?}"
    );

    // Three honest sources, but three are required and one is down.
    let config = parse_config(&feeder_toml("", api, &[HONEST[0], HONEST[1], ERROR], 3));
    let outcome = poll_token(&client, &config.tokens[0], config.request_timeout).await;
    assert_eq!(
        outcome.price,
        Err(NoPrice::TooFewSane { sane: 2, needed: 3 }),
        "{outcome:#?}"
    );
}

// ----------------------------------------------------------------------------------------------
// End to end with a node.
// ----------------------------------------------------------------------------------------------

/// A genesis with sUSD (seeded at 3000 USD per ETH) whose only reporter is `reporter`, funded
/// with 10 ether; one report makes a quorum.
fn feeder_genesis(reporter: Address) -> Value {
    let susd = GenesisTokenSpec {
        address: SUSD,
        name: "Sample USD".into(),
        symbol: "sUSD".into(),
        decimals: 6,
        balances: vec![],
        rate: Some((U256::from(3u64), pow10(9))),
        enabled: true,
    };
    let mut genesis = genesis_json(&[(reporter, ether(10))], GOVERNANCE, None, &[susd]);
    genesis["config"]["supervm"]["tokens"][0]["reporters"] = json!([format!("{reporter:#x}")]);
    genesis["config"]["supervm"]["oracle"] =
        json!({"minReports": 1, "maxAgeSeconds": 300, "maxChangeBps": 1000});
    genesis
}

#[tokio::test]
async fn a_report_is_mined_and_health_turns_ok() {
    let signer = reporter();
    let node = TestNode::with_genesis(&feeder_genesis(signer.address()), |_| {}).await;
    let api = serve_sources().await;
    let mut sources = HONEST.to_vec();
    sources.extend([LIAR, SLOW, GARBAGE]);
    let config = parse_config(&feeder_toml(
        &format!(
            "rpc_url = \"{}\"\npoll_interval_secs = 1\nhealth_addr = \"127.0.0.1:0\"",
            node.http_url()
        ),
        api,
        &sources,
        2,
    ));
    let feeder = Feeder::connect(config, signer.clone(), Arc::new(SystemClock))
        .await
        .expect("feeder connects to the node");
    assert_eq!(feeder.reporter(), signer.address());

    // One round: the median of the honest sources is reported.
    let rounds = feeder.round().await;
    assert_eq!(rounds.len(), 1);
    let round = &rounds[0];
    let price = honest_price();
    assert_eq!(round.poll.price, Ok(price), "{:#?}", round.poll);
    let submitted = match &round.report {
        Some(Ok(submitted)) => *submitted,
        other => panic!("the report was not submitted: {other:?}"),
    };
    let rpc = node.rpc();
    let receipt = rpc.wait_receipt_json(submitted.hash).await;
    assert_eq!(
        receipt["status"], "0x1",
        "report reverted ({submitted:?}): {receipt}"
    );
    assert_eq!(address_of(&receipt["from"]), signer.address());
    assert_eq!(address_of(&receipt["to"]), ORACLE);

    // The oracle logged Reported(token, reporter, numerator, denominator).
    let topic0 = IOracle::Reported::SIGNATURE_HASH;
    let logs = receipt["logs"].as_array().expect("logs");
    let reported = logs
        .iter()
        .find(|log| {
            address_of(&log["address"]) == ORACLE
                && log["topics"][0] == json!(format!("{topic0:#x}"))
        })
        .unwrap_or_else(|| panic!("no Reported log from the oracle in {receipt}"));
    let topics: Vec<B256> = serde_json::from_value(reported["topics"].clone()).expect("topics");
    assert_eq!(topics[1], SUSD.into_word());
    assert_eq!(topics[2], signer.address().into_word());
    let data: Bytes = serde_json::from_value(reported["data"].clone()).expect("data");
    assert_eq!(data.len(), 64, "{reported}");
    let (numerator, denominator) =
        <(U256, U256)>::abi_decode(&data).expect("Reported data: two uint256");
    assert_eq!(numerator, price.numerator());
    assert_eq!(denominator, price.denominator());

    // With a quorum of one, the accepted rate follows at the end of the block (well within the
    // 10 % breaker of the seeded 3000 USD per ETH): price in 10^36 fixed point.
    let rate = rpc.view(ORACLE, IOracle::rateOfCall { token: SUSD }).await;
    let accepted = Fraction::new(rate.numerator, rate.denominator).expect("a rate");
    let fixed = to_fixed(price.numerator(), price.denominator()).expect("fixed point");
    assert_eq!(accepted, Fraction::new(fixed, PRICE_SCALE).unwrap());

    // The running loop serves /health: ok, with the report and the per-source diagnosis.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let health_url = format!("http://{}/health", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(feeder.run_with_listener(listener, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let response = client.get(&health_url).send().await.expect("GET /health");
    assert_eq!(response.status().as_u16(), 200);
    let health: Value = response.json().await.expect("JSON");
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(address_of(&health["reporter"]), signer.address());
    let token = &health["tokens"][0];
    assert_eq!(token["symbol"], "sUSD");
    assert_eq!(address_of(&token["address"]), SUSD);
    assert_eq!(
        token["last_price"]["numerator"],
        price.numerator().to_string()
    );
    assert_eq!(
        token["last_price"]["denominator"],
        price.denominator().to_string()
    );
    assert!(token["last_report_tx"].is_string(), "{health}");
    assert!(token["last_report_at"].as_u64().is_some(), "{health}");
    assert!(
        token["last_report_status"] == "pending" || token["last_report_status"] == "mined",
        "{health}"
    );
    let source = |name: &str| {
        token["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no source {name} in {health}"))
    };
    assert_eq!(source("a")["ok"], true);
    assert_eq!(source("a")["error"], Value::Null);
    assert_eq!(source("liar")["ok"], false);
    assert!(source("liar")["error"]
        .as_str()
        .unwrap()
        .contains("outlier"));
    assert_eq!(source("slow")["ok"], false);
    assert!(source("slow")["error"]
        .as_str()
        .unwrap()
        .contains("no answer within"));
    assert!(source("garbage")["error"]
        .as_str()
        .unwrap()
        .contains("not JSON"));

    stop.send(()).expect("loop still running");
    tokio::time::timeout(TIMEOUT, running)
        .await
        .expect("the loop stops on shutdown")
        .expect("task")
        .expect("clean stop");
    node.stop().await;
}

// ----------------------------------------------------------------------------------------------
// The binary.
// ----------------------------------------------------------------------------------------------

/// Runs `supervm ARGS…` to completion with `env`; (success, stdout + stderr).
fn run_binary(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_supervm"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("SUPERVM_FEEDER_KEY")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run supervm");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn write_config(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write config");
    path.to_str().expect("utf-8 path").to_string()
}

#[test]
fn configuration_errors_stop_the_feeder_with_the_field_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let good = feeder_toml("", api, &HONEST, 2);
    let cases = [
        (
            "unknown-field.toml",
            good.replace(
                "max_spread_bps = 200",
                "max_spread_bps = 200\nmax_sprad_bps = 100",
            ),
            "unknown field `max_sprad_bps`",
        ),
        (
            "no-key.toml",
            good.replace("[key]\nenv = \"SUPERVM_FEEDER_KEY\"\n", ""),
            "key: missing [key] section",
        ),
        (
            "empty-key.toml",
            good.replace("env = \"SUPERVM_FEEDER_KEY\"", ""),
            "key: set key.keystore",
        ),
        (
            "bad-url.toml",
            good.replace(&format!("http://{api}/b"), "http//nowhere"),
            "tokens[0].sources[1].url",
        ),
        (
            "bad-scheme.toml",
            good.replace(&format!("http://{api}/b"), "file:///etc/passwd"),
            "tokens[0].sources[1].url",
        ),
        (
            "bad-rpc.toml",
            format!("rpc_url = \"127.0.0.1:8545\"\n{good}"),
            "rpc_url",
        ),
    ];
    for (name, text, expected) in cases {
        let path = write_config(&dir, name, &text);
        let (ok, output) = run_binary(&["oracle-feeder", "--config", &path], &[]);
        assert!(
            !ok,
            "{name}: the feeder started with a bad configuration:\n{output}"
        );
        assert!(
            output.contains(expected),
            "{name}: expected {expected:?} in:\n{output}"
        );
        assert!(
            output.contains(name),
            "{name}: the error should name the file:\n{output}"
        );
    }
    let (ok, output) = run_binary(
        &["oracle-feeder", "--config", "/nonexistent/feeder.toml"],
        &[],
    );
    assert!(
        !ok && output.contains("/nonexistent/feeder.toml"),
        "{output}"
    );

    // A valid file, but the key's environment variable is not set: refused before any
    // network activity, naming the variable.
    let path = write_config(&dir, "good.toml", &good);
    let (ok, output) = run_binary(&["oracle-feeder", "--config", &path], &[]);
    assert!(!ok, "{output}");
    assert!(output.contains("SUPERVM_FEEDER_KEY"), "{output}");
}

#[test]
fn the_key_is_never_accepted_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let path = write_config(&dir, "feeder.toml", &feeder_toml("", api, &HONEST, 2));
    let key = format!("{:#x}", reporter_key());
    for args in [
        vec!["oracle-feeder", "--config", &path, "--private-key", &key],
        vec!["oracle-feeder", "--config", &path, "--key", &key],
        vec!["oracle-feeder", "--config", &path, &key],
        vec!["oracle-feeder", "--private-key", &key, "--config", &path],
    ] {
        let (ok, output) = run_binary(&args, &[]);
        assert!(!ok, "{args:?} was accepted:\n{output}");
        assert!(
            output.contains("unexpected argument"),
            "{args:?}:\n{output}"
        );
    }
    // The help offers no way to pass a key.
    let (ok, help) = run_binary(&["oracle-feeder", "--help"], &[]);
    assert!(ok, "{help}");
    assert!(help.contains("--config"), "{help}");
    let flags: Vec<&str> = help
        .split_whitespace()
        .filter(|w| w.starts_with("--"))
        .collect();
    assert!(
        flags
            .iter()
            .all(|f| ["--config", "--help"].contains(&f.trim_end_matches(','))),
        "unexpected flags {flags:?} in:\n{help}"
    );
    // Nor does the top-level help list anything but the subcommand.
    let (_, help) = run_binary(&["--help"], &[]);
    assert!(help.contains("oracle-feeder"), "{help}");
}

/// The binary with the key in the environment: reports to a node, serves /health, and exits
/// cleanly on SIGTERM. (Multi-threaded: the in-process node must keep answering while this
/// test waits on the child process.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_reports_and_stops_on_sigterm() {
    let signer = reporter();
    let node = TestNode::with_genesis(&feeder_genesis(signer.address()), |_| {}).await;
    let api = serve_sources().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_config(
        &dir,
        "feeder.toml",
        &feeder_toml(
            &format!(
                "rpc_url = \"{}\"\npoll_interval_secs = 1\nhealth_addr = \"127.0.0.1:0\"",
                node.http_url()
            ),
            api,
            &HONEST,
            2,
        ),
    );
    let key = format!("{:#x}", reporter_key());
    let mut child = Command::new(env!("CARGO_BIN_EXE_supervm"))
        .args(["oracle-feeder", "--config", &path])
        .env("SUPERVM_FEEDER_KEY", &key)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn supervm oracle-feeder");
    let stderr = child.stderr.take().expect("stderr");
    let log = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = {
        let log = log.clone();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("health endpoint on http://").nth(1) {
                    if let (Some(addr), Some(tx)) = (rest.split("/health").next(), tx.take()) {
                        let _ = tx.send(addr.to_string());
                    }
                }
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        })
    };
    let log_text = || log.lock().unwrap().clone();
    let addr = tokio::task::spawn_blocking(move || rx.recv_timeout(TIMEOUT))
        .await
        .expect("waiting task");
    let addr = match addr {
        Ok(addr) => addr,
        Err(_) => {
            let _ = child.kill();
            panic!("no health endpoint line; log:\n{}", log_text());
        }
    };

    // Wait for a report to be accepted (health turns ok).
    let client = reqwest::Client::new();
    let deadline = Instant::now() + TIMEOUT;
    let health = loop {
        let response = client
            .get(format!("http://{addr}/health"))
            .send()
            .await
            .expect("GET /health");
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("JSON");
        if status == 200 {
            break body;
        }
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["status"], "degraded");
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("health never turned ok: {body}\nlog:\n{}", log_text());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let hash: B256 =
        serde_json::from_value(health["tokens"][0]["last_report_tx"].clone()).expect("tx hash");
    let receipt = node.rpc().wait_receipt_json(hash).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");

    // SIGTERM: a clean exit.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let deadline = Instant::now() + TIMEOUT;
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the feeder did not stop on SIGTERM; log:\n{}", log_text());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    reader.join().expect("log reader");
    let log = log_text();
    assert!(exit.success(), "exit {exit:?}; log:\n{log}");
    assert!(log.contains("report submitted"), "{log}");
    assert!(log.contains("oracle feeder stopping"), "{log}");
    assert!(
        !log.contains(&key[2..]),
        "the key must never be logged:\n{log}"
    );
    node.stop().await;
}
