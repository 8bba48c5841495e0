//! One node of the network: simplex for agreement, marshal for block delivery and
//! backfill, the buffered broadcast for proposals, all over already registered p2p
//! channels, so the same wiring runs on the authenticated TCP network and in a
//! deterministic simulation.
//!
//! Finalized blocks reach [`BlockExecution::finalize`] in height order (genesis first), each
//! acknowledged to marshal only after the commit returned: a crash between the two replays
//! the block, and finalization is idempotent.

use std::{num::NonZeroUsize, sync::Arc, time::Duration};

use commonware_broadcast::buffered;
use commonware_consensus::{
    marshal::{
        self, core::Actor as Marshal, resolver::p2p as marshal_resolver, standard::Inline, Update,
    },
    simplex::{
        self, elector::RoundRobin, scheme::ed25519::Scheme, ForwardPolicy, SkipBudget, SkipPolicy,
    },
    types::{Epoch, FixedEpocher, ViewDelta},
    Reporter,
};
use commonware_cryptography::{
    certificate::{ConstantProvider, Verifier as _},
    ed25519, Digested, Sha256,
};
use commonware_p2p::{Blocker, Provider, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::{
    buffer::paged::{page_size, CacheRef},
    Clock, Handle, Metrics, Spawner, Storage,
};
use commonware_storage::archive::immutable;
use commonware_utils::{Acknowledgement, NZUsize, NonZeroDuration, NZU64};
use futures::{channel::mpsc, StreamExt};
use rand_core::CryptoRng;

use super::{status::ConsensusStatus, App, Block, BlockCodec, BlockExecution, Digest};

/// One registered p2p channel: where to send and where to receive.
pub type Channel<S, R> = (S, R);

/// The p2p channels the engine uses (transaction gossip runs beside it).
pub struct Channels<S, R> {
    /// Votes.
    pub votes: Channel<S, R>,
    /// Notarization, nullification and finalization certificates.
    pub certificates: Channel<S, R>,
    /// simplex's own fetching of missing certificates.
    pub resolver: Channel<S, R>,
    /// Proposed blocks.
    pub blocks: Channel<S, R>,
    /// marshal's backfill of finalized blocks.
    pub backfill: Channel<S, R>,
}

/// Channel numbers, the same on every node.
pub mod channel {
    /// Votes.
    pub const VOTES: u64 = 0;
    /// Certificates.
    pub const CERTIFICATES: u64 = 1;
    /// simplex's certificate resolver.
    pub const RESOLVER: u64 = 2;
    /// Proposed blocks.
    pub const BLOCKS: u64 = 3;
    /// marshal's block backfill.
    pub const BACKFILL: u64 = 4;
}

/// Timing and sizes of the engine (`[consensus]` in the node's configuration).
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Domain of every consensus signature (from the genesis).
    pub namespace: Vec<u8>,
    /// The validator set (from the genesis).
    pub validators: Vec<ed25519::PublicKey>,
    /// This node's key when it votes; `None` for a follower.
    pub signer: Option<ed25519::PrivateKey>,
    /// Block decoding limits.
    pub block_codec: BlockCodec,
    /// Target time between blocks.
    pub block_time: Duration,
    /// How long a view waits for the leader's proposal.
    pub leader_timeout: Duration,
    /// How long a view waits for a notarization once the proposal is in.
    pub certification_timeout: Duration,
    /// How often a timed-out view's nullify vote is sent again.
    pub timeout_retry: Duration,
    /// After how long an inactive leader's views are skipped at once.
    pub skip_timeout: Duration,
    /// How long a fetch from one peer may take.
    pub fetch_timeout: Duration,
    /// Views of votes kept for peers that lag.
    pub view_retention: u64,
    /// Prefix of every storage partition (distinct per node in a shared simulation store).
    pub partition_prefix: String,
    /// Where the engine reports views, leaders and heights.
    pub status: Arc<ConsensusStatus>,
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The configuration cannot work.
    #[error("{0}")]
    Config(String),
    /// The consensus storage could not be opened.
    #[error("consensus storage: {0}")]
    Storage(String),
}

/// Forwards marshal's updates to the finalizer task (a reporter must not block).
#[derive(Clone)]
struct Finalizations(mpsc::UnboundedSender<Update<Block>>);

impl Reporter for Finalizations {
    type Activity = Update<Block>;

    fn report(&mut self, update: Update<Block>) -> commonware_actor::Feedback {
        match self.0.unbounded_send(update) {
            Ok(()) => commonware_actor::Feedback::Ok,
            Err(_) => commonware_actor::Feedback::Closed,
        }
    }
}

/// The simplex signing scheme of this node: a signer for a validator, a verifier for a
/// follower.
fn scheme(config: &EngineConfig) -> Result<Scheme, EngineError> {
    let participants = commonware_utils::ordered::Set::try_from(config.validators.clone())
        .map_err(|_| EngineError::Config("a validator is listed twice".into()))?;
    let namespace = consensus_namespace(&config.namespace);
    match &config.signer {
        Some(key) => Scheme::signer(&namespace, participants, key.clone()).ok_or_else(|| {
            EngineError::Config(
                "this node's key is not in the genesis validator set: run it as a follower or \
                 use a validator's key"
                    .into(),
            )
        }),
        None => Ok(Scheme::verifier(&namespace, participants)),
    }
}

/// The namespace consensus signatures are made in.
pub fn consensus_namespace(namespace: &[u8]) -> Vec<u8> {
    [namespace, b"_CONSENSUS"].concat()
}

/// The largest message any channel of the engine sends with `validators` voters: every node
/// must configure its network with at least this (a larger send panics inside the network).
pub fn max_message_size(validators: u32, block_codec: &BlockCodec) -> u32 {
    commonware_p2p::max_message_size(&[
        simplex::max_payload_size::<Scheme, Digest>(validators),
        marshal::max_payload_size::<marshal::standard::Standard<Block>, Scheme>(
            validators,
            block_codec,
        ),
    ])
}

fn archive_config<C>(
    prefix: &str,
    name: &str,
    cache: &CacheRef,
    codec_config: C,
) -> immutable::Config<C> {
    immutable::Config {
        metadata_partition: format!("{prefix}-{name}-metadata"),
        freezer_table_partition: format!("{prefix}-{name}-freezer-table"),
        freezer_table_initial_size: 1 << 16,
        freezer_table_resize_frequency: 4,
        freezer_table_resize_chunk_size: 1 << 12,
        freezer_key_partition: format!("{prefix}-{name}-freezer-key"),
        freezer_key_page_cache: cache.clone(),
        freezer_value_partition: format!("{prefix}-{name}-freezer-value"),
        freezer_value_target_size: 1 << 28,
        freezer_value_compression: None,
        ordinal_partition: format!("{prefix}-{name}-ordinal"),
        items_per_section: NZU64!(65_536),
        codec_config,
        replay_buffer: NZUsize!(1 << 20),
        freezer_key_write_buffer: NZUsize!(1 << 20),
        freezer_value_write_buffer: NZUsize!(1 << 20),
        ordinal_write_buffer: NZUsize!(1 << 20),
    }
}

/// Starts the node's engine and returns a handle that completes when any part of it stops
/// (which is fatal: the caller should shut the node down).
#[allow(clippy::too_many_arguments)]
pub async fn start<E, X, S, R, P, B>(
    context: E,
    config: EngineConfig,
    execution: Arc<X>,
    channels: Channels<S, R>,
    public_key: ed25519::PublicKey,
    peers: P,
    blocker: B,
) -> Result<Handle<()>, EngineError>
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics,
    X: BlockExecution,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
    P: Provider<PublicKey = ed25519::PublicKey>,
    B: Blocker<PublicKey = ed25519::PublicKey>,
{
    let scheme = scheme(&config)?;
    let fetch_timeout = NonZeroDuration::new(config.fetch_timeout)
        .ok_or_else(|| EngineError::Config("the fetch timeout must be positive".into()))?;
    let prefix = config.partition_prefix.clone();
    let cache = CacheRef::new(page_size(4096), NZUsize!(4096));
    let mailbox_size: NonZeroUsize = NZUsize!(1024);

    let resolver = marshal_resolver::init(
        context.child("marshal_resolver"),
        marshal_resolver::Config {
            public_key: public_key.clone(),
            peer_provider: peers.clone(),
            blocker: blocker.clone(),
            mailbox_size,
            fetch_timeout,
            fetch_retry_delay: Duration::from_millis(100),
            priority_requests: false,
            priority_responses: false,
        },
        channels.backfill,
    );
    let (broadcast, buffer) = buffered::Engine::new(
        context.child("broadcast"),
        buffered::Config {
            public_key: public_key.clone(),
            mailbox_size,
            deque_size: 10,
            priority: false,
            codec_config: config.block_codec.clone(),
            peer_provider: peers.clone(),
            strategy: Sequential,
        },
    );
    let broadcast = broadcast.start(channels.blocks);

    let finalizations = immutable::Archive::init(
        context.child("finalizations_by_height"),
        archive_config(
            &prefix,
            "finalizations-by-height",
            &cache,
            scheme.certificate_codec_config(),
        ),
    )
    .await
    .map_err(|err| EngineError::Storage(err.to_string()))?;
    let finalized_blocks = immutable::Archive::init(
        context.child("finalized_blocks"),
        archive_config(
            &prefix,
            "finalized-blocks",
            &cache,
            config.block_codec.clone(),
        ),
    )
    .await
    .map_err(|err| EngineError::Storage(err.to_string()))?;

    let genesis_block = execution.genesis();
    let genesis_digest = Digest(genesis_block.hash);
    let genesis = Digested::precomputed(Block(genesis_block), genesis_digest);
    let epocher = FixedEpocher::new(NZU64!(u64::MAX));
    let (marshal, marshal_mailbox, _floor) = Marshal::init(
        context.child("marshal"),
        finalizations,
        finalized_blocks,
        marshal::Config {
            provider: ConstantProvider::<Scheme, Epoch>::new(scheme.clone()),
            epocher: epocher.clone(),
            start: marshal::Start::Genesis(genesis),
            partition_prefix: format!("{prefix}-marshal"),
            mailbox_size,
            view_retention: ViewDelta::new(config.view_retention),
            prunable_items_per_section: NZU64!(4096),
            page_cache: cache.clone(),
            replay_buffer: NZUsize!(1 << 20),
            key_write_buffer: NZUsize!(1 << 20),
            value_write_buffer: NZUsize!(1 << 20),
            block_codec_config: config.block_codec.clone(),
            max_repair: NZUsize!(16),
            max_pending_acks: NZUsize!(1),
            strategy: Sequential,
        },
    )
    .await;
    let (updates, mut finalized) = mpsc::unbounded();
    let marshal = marshal.start(Finalizations(updates), buffer, resolver);
    let finalizer = {
        let execution = execution.clone();
        let status = config.status.clone();
        context.child("finalizer").spawn(move |context| async move {
            while let Some(update) = finalized.next().await {
                let (block, ack) = match update {
                    Update::Block(block, ack) => (block, ack),
                    Update::Tip(_, height, _) => {
                        status.observe_network(height.get());
                        continue;
                    }
                };
                let height = block.inner().0.number();
                let execution = execution.clone();
                let sealed = block.inner().0.clone();
                let committed = context
                    .child("commit")
                    .shared(true)
                    .spawn(move |_| async move { execution.finalize(&sealed) })
                    .await;
                match committed {
                    Ok(Ok(())) => {
                        ack.acknowledge();
                        status.committed(height);
                    }
                    Ok(Err(err)) => {
                        tracing::error!(error = %err, "cannot commit a finalized block; stopping");
                        return;
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "the commit task failed; stopping");
                        return;
                    }
                }
            }
        })
    };

    let app = App::new(execution, config.block_time, config.status.clone());
    let inline = Inline::new(context.child("application"), app, marshal_mailbox, epocher);
    let engine = simplex::Engine::new(
        context.child("engine"),
        simplex::Config {
            scheme,
            elector: RoundRobin::<Sha256>::default(),
            blocker,
            automaton: inline.clone(),
            relay: inline.clone(),
            reporter: inline,
            track_historical_votes: false,
            strategy: Sequential,
            partition: format!("{prefix}-simplex-e0"),
            mailbox_size,
            epoch: Epoch::zero(),
            floor: simplex::Floor::Genesis(genesis_digest),
            replay_buffer: NZUsize!(1 << 20),
            write_buffer: NZUsize!(1 << 20),
            page_cache: cache,
            leader_timeout: config.leader_timeout,
            certification_timeout: config.certification_timeout,
            timeout_retry: config.timeout_retry,
            view_retention: ViewDelta::new(config.view_retention),
            skip: SkipPolicy::Enabled {
                timeout: config.skip_timeout,
                budget: SkipBudget::Participants,
            },
            fetch_timeout,
            fetch_retry_delay: Duration::from_millis(100),
            forward: ForwardPolicy::Disabled,
        },
    );
    let engine = engine.start(channels.votes, channels.certificates, channels.resolver);
    Ok(context.child("supervisor").spawn(move |_| async move {
        let _ = Handle::select([broadcast, marshal, finalizer, engine]).await;
    }))
}
