//! A node in validator or follower mode: the engine's configuration from `[consensus]`,
//! `[p2p]`, the key file and the genesis validator set, and the pool side of transaction
//! gossip.

use std::{path::Path, time::Duration};

use alloy_primitives::{Bytes, B256};
use std::sync::Arc;

use supervm_consensus::bft::{
    engine::EngineConfig, keys, network::NetworkConfig, status::ConsensusStatus, BlockCodec,
    KnownSenders, TxImport,
};
use supervm_primitives::{recover_all, ChainSpec, TxEnvelope};
use supervm_vm::StoreState;

use crate::{
    config::{ConsensusMode, NodeConfig},
    Chain, NodeError,
};

/// Largest encoded block the network carries: above what a 30M-gas block of calldata can
/// reach (zero bytes cost 4 gas), so every block a proposer can build fits.
const MAX_BLOCK_BYTES: usize = 16 << 20;

/// A genesis validator key as the engine's type.
fn public_key(bytes: &B256) -> Result<keys::PublicKey, NodeError> {
    keys::public_key(bytes)
        .ok_or_else(|| NodeError::Config(format!("{bytes} is not an ed25519 public key")))
}

/// The engine and network configuration of a validator or follower.
pub(crate) fn network_config(
    config: &NodeConfig,
    spec: &ChainSpec,
    data_dir: &Path,
    exec_threads: usize,
    known_senders: Arc<dyn KnownSenders>,
) -> Result<NetworkConfig, NodeError> {
    config.consensus.validate().map_err(NodeError::Config)?;
    let genesis = spec.consensus().ok_or_else(|| {
        NodeError::Config(format!(
            "[consensus] mode = \"{}\" needs a genesis with config.supervm.consensus (the \
             validator set); this genesis has none",
            mode_name(config.consensus.mode)
        ))
    })?;
    let validators = genesis
        .sorted_validators()
        .iter()
        .map(public_key)
        .collect::<Result<Vec<_>, _>>()?;
    let key_file = config
        .consensus
        .key_file
        .as_deref()
        .ok_or_else(|| NodeError::Config("[consensus] key_file is required".into()))?;
    let identity = keys::load(key_file)
        .map_err(|err| NodeError::Config(format!("[consensus] key_file: {err}")))?;
    let me = keys::public_of(&identity);
    let signer = match config.consensus.mode {
        ConsensusMode::Validator if validators.contains(&me) => Some(identity.clone()),
        ConsensusMode::Validator => {
            return Err(NodeError::Config(format!(
                "this node's key ({me}) is not in the genesis validator set: run it with \
                 mode = \"follower\" or use a validator's key"
            )))
        }
        ConsensusMode::Follower if validators.contains(&me) => {
            return Err(NodeError::Config(format!(
                "this node's key ({me}) is a validator's: a follower needs a key of its own \
                 (`supervm key generate`)"
            )))
        }
        ConsensusMode::Follower | ConsensusMode::Dev => None,
    };
    let mut peers = Vec::with_capacity(config.p2p.peers.len());
    for peer in &config.p2p.peers {
        let key = public_key(&peer.public_key)?;
        if key == me {
            return Err(NodeError::Config(format!(
                "[p2p] peers lists this node's own key ({me})"
            )));
        }
        peers.push((key, peer.address));
    }
    let status = Arc::new(ConsensusStatus::new(
        keys::public_key_bytes(&me),
        validators.iter().map(keys::public_key_bytes).collect(),
    ));
    let ms = Duration::from_millis;
    let consensus = &config.consensus;
    Ok(NetworkConfig {
        engine: EngineConfig {
            namespace: genesis.namespace.as_bytes().to_vec(),
            validators,
            signer,
            block_codec: BlockCodec {
                max_bytes: MAX_BLOCK_BYTES,
                recover_threads: exec_threads.max(1),
                known_senders: Some(known_senders),
            },
            block_time: ms(consensus.block_time_ms),
            leader_timeout: ms(consensus.leader_timeout_ms),
            certification_timeout: ms(consensus.certification_timeout_ms),
            timeout_retry: ms(consensus.timeout_retry_ms),
            skip_timeout: ms(consensus.skip_timeout_ms),
            fetch_timeout: ms(consensus.fetch_timeout_ms),
            view_retention: 256,
            partition_prefix: "supervm".into(),
            status,
        },
        identity,
        listen: config.p2p.listen,
        peers,
        storage_dir: data_dir.join("consensus"),
        worker_threads: consensus.threads,
    })
}

/// The name of a mode as written in the configuration.
pub fn mode_name(mode: ConsensusMode) -> &'static str {
    match mode {
        ConsensusMode::Dev => "dev",
        ConsensusMode::Validator => "validator",
        ConsensusMode::Follower => "follower",
    }
}

impl KnownSenders for Chain {
    fn sender(&self, hash: &B256) -> Option<alloy_primitives::Address> {
        self.pool.get(hash).map(|pooled| pooled.tx.sender)
    }
}

impl TxImport for Chain {
    fn is_pending(&self, hash: &B256) -> bool {
        self.pool.get(hash).is_some()
    }

    fn import(&self, raw: Vec<Bytes>) -> usize {
        let decoded: Vec<(TxEnvelope, Bytes)> = raw
            .into_iter()
            .filter_map(|raw| match TxEnvelope::decode_raw(&raw) {
                Ok(tx)
                    if self.pool.get(&tx.hash()).is_none()
                        && self.pool.precheck(&tx, raw.len()).is_ok() =>
                {
                    Some((tx, raw))
                }
                _ => None,
            })
            .collect();
        if decoded.is_empty() {
            return 0;
        }
        let (txs, raws): (Vec<_>, Vec<_>) = decoded.into_iter().unzip();
        let recovered = recover_all(txs, self.executor.threads());
        let Ok(reader) = self.store.reader() else {
            return 0;
        };
        let state = StoreState::new(&reader, reader.head_number());
        recovered
            .into_iter()
            .zip(raws)
            .filter_map(|(tx, raw)| tx.map(|tx| (tx, raw)))
            .map(|(tx, raw)| self.pool.add_prechecked(tx, raw, &state))
            .filter(Result::is_ok)
            .count()
    }
}
