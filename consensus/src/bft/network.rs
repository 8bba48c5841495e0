//! A validator or follower on the real network: commonware's authenticated `lookup` p2p
//! (static addresses, ed25519 identities, encrypted streams) carrying the engine's channels
//! and transaction gossip, all on a commonware tokio runtime of its own thread so that
//! consensus never competes with the RPC servers' runtime for a worker.

use std::{
    net::SocketAddr,
    num::NonZeroUsize,
    path::PathBuf,
    sync::{mpsc as std_mpsc, Arc, Mutex, PoisonError},
    thread::JoinHandle,
    time::Duration,
};

use alloy_primitives::Bytes;
use commonware_cryptography::{ed25519, ChaCha20Poly1305, Signer as _};
use commonware_p2p::{
    authenticated::lookup, Address, AddressableManager as _, AddressableTrackedPeers, Blocker,
    Receiver, Recipients, Sender as _,
};
use commonware_runtime::{
    tokio as cw_tokio, Handle, Metrics as _, Quota, Runner as _, Spawner, Supervisor as _,
};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::{ordered::Map, NZUsize, NZU32};
use futures::channel::oneshot;
use tokio::sync::broadcast;

use super::{
    engine::{self, channel, Channels, EngineConfig, EngineError},
    gossip::{self, TxImport},
    keys,
    status::{self, ConsensusStatus},
    BlockExecution,
};

/// The transaction gossip channel.
pub const TX_CHANNEL: u64 = 5;
/// The channel nodes announce their finalized height and view on.
pub const STATUS_CHANNEL: u64 = 6;

/// Everything a node needs to join the network.
#[derive(Clone, Debug)]
pub struct NetworkConfig {
    /// The engine's timing, validator set and signer.
    pub engine: EngineConfig,
    /// This node's p2p identity: the validator's key, or a follower's own key.
    pub identity: ed25519::PrivateKey,
    /// Where this node accepts connections.
    pub listen: SocketAddr,
    /// Every other node (validators and followers) and where it listens. Every validator
    /// must be listed; a key that is not a validator is a follower.
    pub peers: Vec<(ed25519::PublicKey, SocketAddr)>,
    /// Directory of the engine's own storage (votes journal, finalized-block archives).
    pub storage_dir: PathBuf,
    /// Threads of the consensus runtime.
    pub worker_threads: usize,
}

/// The engine's and p2p network's own metrics (views, timeouts, peers, bytes per channel) as
/// OpenMetrics text, every name prefixed `supervm_consensus_`, refreshed every second.
#[derive(Clone, Debug, Default)]
pub struct ConsensusMetrics(Arc<Mutex<String>>);

/// What every metric name of the engine is prefixed with on the node's `/metrics`.
pub const METRICS_PREFIX: &str = "supervm_consensus_";

impl ConsensusMetrics {
    /// The latest sample: metric families without the closing `# EOF`, ready to be placed
    /// before the node's own.
    pub fn text(&self) -> String {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, encoded: &str) {
        let mut text = String::with_capacity(encoded.len() + encoded.len() / 4);
        for line in encoded.lines() {
            if line.is_empty() || line == "# EOF" {
                continue;
            }
            match line.strip_prefix("# ") {
                Some(comment) => match comment.split_once(' ') {
                    Some((keyword @ ("HELP" | "TYPE" | "UNIT"), rest)) => {
                        text.push_str(&format!("# {keyword} {METRICS_PREFIX}{rest}"))
                    }
                    _ => continue,
                },
                None => {
                    text.push_str(METRICS_PREFIX);
                    text.push_str(line);
                }
            }
            text.push('\n');
        }
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = text;
    }
}

/// The running network side of a node.
pub struct NetworkHandle {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), EngineError>>>,
    metrics: ConsensusMetrics,
}

impl NetworkHandle {
    /// The engine's metrics, sampled every second.
    pub fn metrics(&self) -> ConsensusMetrics {
        self.metrics.clone()
    }

    /// Whether the engine stopped on its own (a fatal error: the node should exit).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stops the engine and the network and waits for their thread.
    pub fn stop(mut self) -> Result<(), EngineError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), EngineError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(JoinHandle::join) {
            None => Ok(()),
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(EngineError::Config("the consensus thread panicked".into())),
        }
    }
}

impl Drop for NetworkHandle {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// The peer sets the p2p network tracks: validators are dialed (primary), followers are
/// accepted when they dial in (secondary). Every validator needs an address.
fn tracked_peers(
    config: &NetworkConfig,
) -> Result<AddressableTrackedPeers<ed25519::PublicKey>, EngineError> {
    let me = config.identity.public_key();
    let address_of = |key: &ed25519::PublicKey| {
        if *key == me {
            return Some(config.listen);
        }
        config
            .peers
            .iter()
            .find(|(peer, _)| peer == key)
            .map(|(_, addr)| *addr)
    };
    let mut validators = Vec::new();
    for key in &config.engine.validators {
        let addr = address_of(key).ok_or_else(|| {
            EngineError::Config(format!(
                "validator {key} has no address: add it to [p2p] peers"
            ))
        })?;
        validators.push((key.clone(), Address::from(addr)));
    }
    let mut followers: Vec<(ed25519::PublicKey, Address)> = config
        .peers
        .iter()
        .filter(|(key, _)| !config.engine.validators.contains(key))
        .map(|(key, addr)| (key.clone(), Address::from(*addr)))
        .collect();
    if !config.engine.validators.contains(&me) {
        followers.push((me, Address::from(config.listen)));
    }
    let validators = Map::try_from(validators)
        .map_err(|_| EngineError::Config("a validator is listed twice".into()))?;
    let followers = Map::try_from(followers)
        .map_err(|_| EngineError::Config("a [p2p] peer is listed twice".into()))?;
    Ok(AddressableTrackedPeers::new(validators, followers))
}

/// Per peer and channel, in each direction: votes and certificates for a few views per
/// second, blocks for catch-up, batches of gossiped transactions.
fn quota(channel: u64) -> Quota {
    match channel {
        channel::VOTES | channel::CERTIFICATES => Quota::per_second(NZU32!(1024)),
        channel::RESOLVER => Quota::per_second(NZU32!(256)),
        channel::BLOCKS | channel::BACKFILL => Quota::per_second(NZU32!(128)),
        STATUS_CHANNEL => Quota::per_second(NZU32!(4)),
        _ => Quota::per_second(NZU32!(256)),
    }
}

/// Starts the network and engine on a thread of their own and returns once they run.
/// A listen address already in use or a bad configuration is an error here, not a panic
/// on the engine's thread.
pub fn spawn<X>(
    config: NetworkConfig,
    execution: Arc<X>,
    submitted: broadcast::Receiver<Bytes>,
) -> Result<NetworkHandle, EngineError>
where
    X: BlockExecution + TxImport,
{
    let tracked = tracked_peers(&config)?;
    let peers_per_set = NonZeroUsize::new(config.peers.len() + 1).unwrap_or(NZUsize!(1));
    std::net::TcpListener::bind(config.listen).map_err(|err| {
        EngineError::Config(format!(
            "cannot listen for peers on {}: {err}",
            config.listen
        ))
    })?;
    std::fs::create_dir_all(&config.storage_dir)
        .map_err(|err| EngineError::Storage(format!("{}: {err}", config.storage_dir.display())))?;
    let (stop, stopped) = oneshot::channel();
    let (started, starting) = std_mpsc::channel();
    let metrics = ConsensusMetrics::default();
    let shared_metrics = metrics.clone();
    let runtime = cw_tokio::Config::new()
        .with_worker_threads(config.worker_threads.max(1))
        .with_storage_directory(config.storage_dir.clone())
        .with_catch_panics(false);
    let thread = std::thread::Builder::new()
        .name("consensus".into())
        .spawn(move || {
            cw_tokio::Runner::new(runtime).start(|context| async move {
                let running = run(
                    context,
                    config,
                    tracked,
                    peers_per_set,
                    execution,
                    submitted,
                    shared_metrics,
                )
                .await;
                match running {
                    Ok(handle) => {
                        let _ = started.send(Ok(()));
                        futures::pin_mut!(handle);
                        futures::pin_mut!(stopped);
                        match futures::future::select(handle, stopped).await {
                            futures::future::Either::Left(_) => {
                                Err(EngineError::Config("the consensus engine stopped".into()))
                            }
                            futures::future::Either::Right(_) => Ok(()),
                        }
                    }
                    Err(err) => {
                        let _ = started.send(Err(err.to_string()));
                        Err(err)
                    }
                }
            })
        })
        .map_err(|err| EngineError::Config(format!("cannot start the consensus thread: {err}")))?;
    let mut handle = NetworkHandle {
        stop: Some(stop),
        thread: Some(thread),
        metrics,
    };
    match starting.recv() {
        Ok(Ok(())) => Ok(handle),
        Ok(Err(_)) | Err(_) => Err(handle
            .shutdown()
            .err()
            .unwrap_or_else(|| EngineError::Config("the consensus engine did not start".into()))),
    }
}

/// Builds the p2p network and the engine; the returned handle ends when any part stops.
async fn run<X>(
    context: cw_tokio::Context,
    config: NetworkConfig,
    tracked: AddressableTrackedPeers<ed25519::PublicKey>,
    peers_per_set: NonZeroUsize,
    execution: Arc<X>,
    submitted: broadcast::Receiver<Bytes>,
    metrics: ConsensusMetrics,
) -> Result<Handle<()>, EngineError>
where
    X: BlockExecution + TxImport,
{
    let public_key = config.identity.public_key();
    let handshake = Cups::<_, ChaCha20Poly1305>::new(
        Sake {
            signer: config.identity.clone(),
            synchrony_bound: Duration::from_secs(5),
            max_handshake_age: Duration::from_secs(10),
            version: sake::Version::V1,
        },
        cups::Version::V1,
    );
    let max_message = engine::max_message_size(
        config.engine.validators.len() as u32,
        &config.engine.block_codec,
    )
    .max(gossip::MAX_BATCH_BYTES as u32);
    let namespace = [config.engine.namespace.as_slice(), b"_P2P"].concat();
    let all_loopback = config.listen.ip().is_loopback()
        && config.peers.iter().all(|(_, addr)| addr.ip().is_loopback());
    let mut p2p = if all_loopback {
        lookup::Config::local(
            handshake,
            &namespace,
            config.listen,
            peers_per_set,
            max_message,
            NZUsize!(1024),
        )
    } else {
        let mut recommended = lookup::Config::recommended(
            handshake,
            &namespace,
            config.listen,
            peers_per_set,
            max_message,
            NZUsize!(1024),
        );
        // Validators commonly sit on private networks; the addresses are configured by the
        // operator, not discovered, so private ones are allowed.
        recommended.allow_private_ips = true;
        recommended.peer_connection_cooldown = Duration::from_secs(5);
        recommended
    };
    p2p.tracked_peer_sets = NZUsize!(1);
    if max_message > lookup::max_size::<Cups<Sake<ed25519::PrivateKey>, ChaCha20Poly1305>>() {
        return Err(EngineError::Config(format!(
            "blocks of {} bytes do not fit a p2p message",
            config.engine.block_codec.max_bytes
        )));
    }
    let (mut network, mut oracle) = lookup::Network::new(context.child("p2p"), p2p);
    let mut register = |channel| network.register(channel, quota(channel));
    let channels = Channels {
        votes: register(channel::VOTES),
        certificates: register(channel::CERTIFICATES),
        resolver: register(channel::RESOLVER),
        blocks: register(channel::BLOCKS),
        backfill: register(channel::BACKFILL),
    };
    let (tx_sender, tx_receiver) = register(TX_CHANNEL);
    let (status_sender, status_receiver) = register(STATUS_CHANNEL);
    oracle.track(0, tracked);
    let network = network.start();
    let status = config.engine.status.clone();
    let engine = engine::start(
        context.child("engine"),
        config.engine,
        execution.clone(),
        channels,
        public_key,
        oracle.clone(),
        oracle.clone(),
    )
    .await?;
    let send = {
        let pool = execution.clone();
        context
            .child("gossip_send")
            .spawn(move |context| gossip::send_submitted(context, submitted, tx_sender, pool))
    };
    let receive = {
        let oracle = oracle.clone();
        context
            .child("gossip_receive")
            .spawn(move |context| gossip::receive(context, tx_receiver, oracle, execution))
    };
    let announce = {
        let status = status.clone();
        let mut sender = status_sender;
        context
            .child("status_send")
            .spawn(move |context| async move {
                loop {
                    sender.send(Recipients::All, status.announcement().to_vec(), false);
                    commonware_runtime::Clock::sleep(&context, status::ANNOUNCE_EVERY).await;
                }
            })
    };
    let listen = context
        .child("status_receive")
        .spawn(move |_| receive_status(status_receiver, oracle, status));
    let sample = context.child("metrics").spawn(move |context| async move {
        loop {
            metrics.set(&context.encode());
            commonware_runtime::Clock::sleep(&context, Duration::from_secs(1)).await;
        }
    });
    Ok(context.child("node").spawn(move |_| async move {
        let _ = Handle::select([network, engine, send, receive, announce, listen, sample]).await;
    }))
}

/// Records the heights and views peers announce; blocks a peer whose announcement is not one.
async fn receive_status<R, B>(mut receiver: R, mut blocker: B, status: Arc<ConsensusStatus>)
where
    R: Receiver<PublicKey = ed25519::PublicKey>,
    B: Blocker<PublicKey = ed25519::PublicKey>,
{
    while let Ok((peer, message)) = receiver.recv().await {
        match ConsensusStatus::parse_announcement(message.as_ref()) {
            Some((height, view)) => status.peer(keys::public_key_bytes(&peer), height, view),
            None => {
                tracing::warn!(%peer, bytes = message.len(), "malformed status announcement; blocking the peer");
                blocker.block(peer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_metrics_are_prefixed_and_lose_their_eof() {
        let metrics = ConsensusMetrics::default();
        metrics.set("# HELP views Views.\n# TYPE views counter\nviews_total{a=\"b\"} 3\n# EOF\n");
        assert_eq!(
            metrics.text(),
            "# HELP supervm_consensus_views Views.\n# TYPE supervm_consensus_views counter\n\
             supervm_consensus_views_total{a=\"b\"} 3\n"
        );
    }
}
