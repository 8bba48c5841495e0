//! A real network: `supervm testnet init` writes four validators and a follower, each runs
//! as its own `supervm node` process on 127.0.0.1, and they talk over commonware's
//! authenticated p2p. Transactions sent to different nodes are finalized with identical
//! blocks everywhere; a killed validator does not stop the others, and catches up when it
//! restarts; a follower started late catches up from genesis.

use std::{ffi::OsString, path::Path, process::Command, time::Duration};

use crate::common::*;

/// `supervm testnet init` in a new directory; returns it with the parsed `testnet.json`.
fn init(validators: u32, followers: u32) -> (tempfile::TempDir, Value) {
    let dir = tempfile::Builder::new()
        .prefix("supervm-testnet-")
        .tempdir()
        .expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_supervm"))
        .args(["testnet", "init", "--base-port", "0"])
        .args(["--validators", &validators.to_string()])
        .args(["--followers", &followers.to_string()])
        .arg("--dir")
        .arg(dir.path())
        .output()
        .expect("run supervm testnet init");
    assert!(
        output.status.success(),
        "testnet init failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let manifest = std::fs::read_to_string(dir.path().join("testnet.json")).expect("testnet.json");
    (
        dir,
        serde_json::from_str(&manifest).expect("testnet.json is JSON"),
    )
}

/// Starts node `index` of the testnet as `supervm node --config …`, logging to `log`.
fn start(dir: &Path, net: &Value, index: usize, log: &str) -> BinNode {
    let node = &net["nodes"][index];
    let config = node["config"].as_str().expect("config path");
    let args: Vec<OsString> = ["node", "--config", config]
        .iter()
        .map(Into::into)
        .collect();
    BinNode::spawn_args(&args, dir.join(log))
}

/// Waits until every node's `eth_blockNumber` is at least `height`.
async fn wait_height(nodes: &[&BinNode], height: u64) {
    for node in nodes {
        let rpc = node.rpc();
        let reached = tokio::time::timeout(TIMEOUT, async {
            while rpc.block_number().await < height {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
        .await;
        assert!(
            reached.is_ok(),
            "node at {} did not reach block {height}; its log:\n{}",
            node.rpc_addr,
            node.log()
        );
    }
}

/// Block `height` as every node sees it: hash and state root must agree.
async fn assert_same_block(nodes: &[&BinNode], height: u64) {
    let mut seen = Vec::new();
    for node in nodes {
        let block = node
            .rpc()
            .block_json(json!(format!("{height:#x}")), false)
            .await;
        seen.push((block["hash"].clone(), block["stateRoot"].clone()));
    }
    assert!(
        seen.iter().all(|b| *b == seen[0] && !b.0.is_null()),
        "nodes disagree on block {height}: {seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validators_finalize_the_same_chain_survive_a_crash_and_followers_catch_up() {
    let (dir, net) = init(4, 1);
    assert_eq!(net["nodes"].as_array().map(Vec::len), Some(5));
    assert_eq!(net["nodes"][4]["role"], "follower");
    let mut validators: Vec<BinNode> = (0..4)
        .map(|i| start(dir.path(), &net, i, &format!("validator-{i}.log")))
        .collect();
    wait_height(&validators.iter().collect::<Vec<_>>(), 1).await;

    // One transfer from each of four accounts, each sent to a different validator: gossip
    // brings them to every proposer, and all are finalized.
    let accounts = dev_accounts();
    let recipient = Address::repeat_byte(0x42);
    let mut hashes = Vec::new();
    // The first through alloy's provider and wallet, as an application would send it.
    let wallet = ProviderBuilder::new()
        .wallet(EthereumWallet::from(accounts[0].signer.clone()))
        .connect_http(http_url(validators[0].rpc_addr));
    let pending = wallet
        .send_transaction(
            TransactionRequest::default()
                .with_to(recipient)
                .with_value(U256::from(1000)),
        )
        .await
        .expect("alloy sends a transfer to validator 0");
    hashes.push(*pending.tx_hash());
    for (i, node) in validators.iter().enumerate().skip(1) {
        let rpc = node.rpc();
        let max_fee = rpc.usual_max_fee().await;
        let hash = rpc
            .send_eip1559(
                &accounts[i].signer,
                recipient,
                U256::from(1000 + i),
                Bytes::new(),
                21_000,
                max_fee,
                GWEI,
            )
            .await
            .unwrap_or_else(|e| panic!("validator {i} refused a transfer: {e:?}"));
        hashes.push(hash);
    }
    let first = validators[0].rpc();
    let mut last_block = 0;
    for hash in &hashes {
        let receipt = tokio::time::timeout(TIMEOUT, first.wait_receipt_json(*hash))
            .await
            .unwrap_or_else(|_| panic!("{hash} was not finalized; log:\n{}", validators[0].log()));
        assert_eq!(receipt["status"], "0x1");
        last_block = last_block.max(
            u64::from_str_radix(
                receipt["blockNumber"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_start_matches("0x"),
                16,
            )
            .expect("block number"),
        );
    }
    let all: Vec<&BinNode> = validators.iter().collect();
    wait_height(&all, last_block).await;
    for height in 1..=last_block {
        assert_same_block(&all, height).await;
    }
    assert_eq!(
        first.balance(recipient, "latest").await,
        U256::from(1000 + 1001 + 1002 + 1003)
    );

    // Blocks come from consensus: evm_mine says so instead of mining.
    let err = first.call_err("evm_mine", json!([])).await;
    assert!(
        err.message.contains("only available in dev mode"),
        "{err:?}"
    );

    // Three of four keep finalizing without the fourth.
    validators[3].kill();
    let height = first.block_number().await;
    let three: Vec<&BinNode> = validators.iter().take(3).collect();
    wait_height(&three, height + 3).await;
    assert_same_block(&three, height + 3).await;

    // The fourth restarts and catches up; a follower started only now catches up from
    // genesis. Both then follow the chain the validators finalize.
    validators[3] = start(dir.path(), &net, 3, "validator-3-restarted.log");
    let follower = start(dir.path(), &net, 4, "follower-0.log");
    let target = first.block_number().await + 2;
    let everyone: Vec<&BinNode> = validators.iter().chain([&follower]).collect();
    wait_height(&everyone, target).await;
    assert_same_block(&everyone, target).await;
    assert_same_block(&everyone, 1).await;
    let status = follower.rpc().call("supervm_consensus", json!([])).await;
    assert_eq!(status["mode"], "follower");
}

/// Runs `supervm node --config` on `config`, which must fail at startup naming `expected`.
fn refuses_to_start(config: &Path, expected: &str) {
    let output = Command::new(env!("CARGO_BIN_EXE_supervm"))
        .arg("node")
        .arg("--config")
        .arg(config)
        .output()
        .expect("run supervm node");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "the node started with {}",
        config.display()
    );
    assert!(
        stderr.contains(expected),
        "expected '{expected}' in:\n{stderr}"
    );
}

#[test]
fn misconfigured_validators_and_followers_refuse_to_start() {
    let (_dir, net) = init(2, 1);
    let config =
        |index: usize| std::path::PathBuf::from(net["nodes"][index]["config"].as_str().unwrap());
    let edit = |index: usize, from: &str, to: &str| {
        let path = config(index);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{from} not in {}", path.display());
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    };
    // A follower's key is not in the validator set.
    edit(2, "mode = \"follower\"", "mode = \"validator\"");
    refuses_to_start(&config(2), "is not in the genesis validator set");
    // A validator's key used by a follower.
    edit(1, "mode = \"validator\"", "mode = \"follower\"");
    refuses_to_start(&config(1), "is a validator's");
    // A validator without an address.
    let validator_1 = net["nodes"][1]["publicKey"].as_str().unwrap().to_string();
    let follower = net["nodes"][2]["publicKey"].as_str().unwrap().to_string();
    edit(0, &validator_1, &follower);
    refuses_to_start(&config(0), "has no address");
    // A key file other users can read.
    let key = config(2).with_file_name("node.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        edit(2, "mode = \"validator\"", "mode = \"follower\"");
        refuses_to_start(&config(2), "chmod 600");
    }
}

/// Writes `accepted_tokens` into the `[miner]` section of node `index`'s configuration.
fn accept_only(net: &Value, index: usize, tokens: &[Address]) {
    let path = net["nodes"][index]["config"].as_str().expect("config path");
    let config = std::fs::read_to_string(path).expect("read config");
    let list: Vec<String> = tokens.iter().map(|t| format!("\"{t}\"")).collect();
    let edited = config.replacen(
        "[miner]\n",
        &format!("[miner]\naccepted_tokens = [{}]\n", list.join(", ")),
        1,
    );
    assert_ne!(edited, config, "no [miner] section in {path}");
    std::fs::write(path, edited).expect("write config");
}

/// The `miner` of the block holding `receipt`.
async fn miner_of(rpc: &RawRpc, receipt: &Value) -> Value {
    rpc.block_json(receipt["blockNumber"].clone(), false).await["miner"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_validator_chooses_the_fee_tokens_of_its_own_blocks() {
    let (dir, net) = init(4, 0);
    // Nobody accepts GOLD; validator 1 does not accept sUSD either.
    for index in 0..4 {
        let mut tokens = vec![Address::ZERO, SBTC];
        if index != 1 {
            tokens.push(SUSD);
        }
        accept_only(&net, index, &tokens);
    }
    let mut validators: Vec<BinNode> = (0..4)
        .map(|i| start(dir.path(), &net, i, &format!("validator-{i}.log")))
        .collect();
    let refuser = net["nodes"][1]["beneficiary"].clone();
    let accounts = dev_accounts();

    // sUSD-paid transfers, one sent to each validator (the refusing one included), are all
    // finalized — never in a block validator 1 proposed.
    let mut receipts = Vec::new();
    for (i, node) in validators.iter().enumerate() {
        let rpc = node.rpc();
        let tx = build_cip64(
            &rpc,
            &accounts[i].signer,
            Address::repeat_byte(0x24),
            U256::from(7),
            Bytes::new(),
            SUSD,
        )
        .await;
        let receipt = tokio::time::timeout(TIMEOUT, send_cip64(&rpc, &accounts[i].signer, &tx))
            .await
            .unwrap_or_else(|_| {
                panic!("an sUSD-paid transfer sent to validator {i} was not finalized")
            });
        receipts.push(receipt);
    }
    let rpc = validators[0].rpc();
    for receipt in &receipts {
        assert_eq!(fee_token(receipt), SUSD);
        assert_ne!(
            miner_of(&rpc, receipt).await,
            refuser,
            "validator 1 included an sUSD-paid transaction"
        );
    }

    // A GOLD-paid transfer no validator accepts stays pending, and the pool says why. It is
    // sent while validator 3 is down: validator 0 sends it again until 3 has it too.
    validators[3].kill();
    let gold = build_cip64(
        &rpc,
        &accounts[5].signer,
        Address::repeat_byte(0x25),
        U256::from(7),
        Bytes::new(),
        GOLD,
    )
    .await;
    let (raw, hash) = gold.sign(&accounts[5].signer);
    rpc.send_raw(&raw)
        .await
        .expect("GOLD-paid transfer admitted to the pool");
    let submitted_at = rpc.block_number().await;
    validators[3] = start(dir.path(), &net, 3, "validator-3-restarted.log");
    let all: Vec<&BinNode> = validators.iter().collect();
    // Eight more blocks: every validator has led at least once meanwhile, validator 1 too.
    wait_height(&all, submitted_at + 8).await;
    let mut miners = Vec::new();
    for number in submitted_at + 1..=submitted_at + 8 {
        miners.push(rpc.block_json(json!(format!("{number:#x}")), false).await["miner"].clone());
    }
    assert!(
        miners.contains(&refuser),
        "validator 1 proposed no block: {miners:?}"
    );
    assert!(
        rpc.call("eth_getTransactionReceipt", json!([hash]))
            .await
            .is_null(),
        "a GOLD-paid transaction was finalized although no validator accepts GOLD"
    );
    let content = validators[2].rpc().call("txpool_content", json!([])).await;
    let entry = &content["pending"][format!("{:#x}", accounts[5].address)]["0"];
    let reason = entry["minerPolicy"].as_str().unwrap_or_default();
    assert!(
        reason.contains("not accepted by this node's miner policy"),
        "txpool_content does not say why the GOLD-paid transaction waits: {content}"
    );
    let resent = tokio::time::timeout(Duration::from_secs(25), async {
        let rpc = validators[3].rpc();
        while rpc
            .call("eth_getTransactionByHash", json!([hash]))
            .await
            .is_null()
        {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
    .await;
    assert!(
        resent.is_ok(),
        "the restarted validator never received the pending transaction"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn testnet_run_starts_every_node_and_stops_them_on_sigterm() {
    let (dir, net) = init(4, 0);
    let mut runner = std::process::Command::new(env!("CARGO_BIN_EXE_supervm"))
        .args(["testnet", "run", "--dir"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run supervm testnet run");
    let stdout = runner.stdout.take().expect("stdout");
    let lines = std::thread::spawn(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<String>>()
    });
    let rpc = |i: usize| {
        RawRpc::new(
            net["nodes"][i]["rpc"]
                .as_str()
                .expect("rpc url")
                .parse()
                .expect("url"),
        )
    };
    let reached = tokio::time::timeout(TIMEOUT, async {
        loop {
            if let Ok(answer) = rpc(3).try_request("eth_blockNumber", json!([])).await {
                if answer["result"]
                    .as_str()
                    .is_some_and(|h| h != "0x0" && h != "0x1")
                {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    assert!(reached.is_ok(), "the testnet did not produce blocks");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &runner.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let exited = tokio::task::spawn_blocking(move || runner.wait()).await;
    assert!(exited.is_ok());
    let output = lines.join().expect("runner output");
    assert!(
        output.iter().any(|l| l.starts_with("[validator-2] ")),
        "node logs are not prefixed: {output:?}"
    );
    for i in 0..4 {
        assert!(
            rpc(i)
                .try_request("eth_blockNumber", json!([]))
                .await
                .is_err(),
            "node {i} still answers after the runner stopped"
        );
    }
}
