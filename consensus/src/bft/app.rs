//! The commonware `Application`: proposing is building on the parent the engine names,
//! verifying is re-executing the proposal (and, first, any ancestor this node has not
//! executed yet). Both run on the runtime's blocking pool so execution never stalls voting.

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use commonware_consensus::{
    marshal::ancestry::Ancestry, simplex::scheme::ed25519::Scheme, simplex::types::Context,
    Application,
};
use commonware_cryptography::{ed25519, Digested};
use commonware_runtime::{Clock, Metrics, Spawner};
use futures::StreamExt;
use supervm_primitives::SealedBlock;

use super::{keys, status::ConsensusStatus, Block, BlockExecution, Digest, ExecutionError};

/// How far ahead of this node's clock a proposal's timestamp may be before the node waits
/// for its clock to catch up (instead of voting).
pub const MAX_CLOCK_DRIFT: Duration = Duration::from_secs(2);

/// The application the engine drives.
pub struct App<X> {
    execution: Arc<X>,
    /// Target time between a parent and its child (the proposer's pacing).
    block_time: Duration,
    /// Where the views and leaders of proposals are recorded.
    status: Arc<ConsensusStatus>,
}

impl<X> Clone for App<X> {
    fn clone(&self) -> Self {
        Self {
            execution: self.execution.clone(),
            block_time: self.block_time,
            status: self.status.clone(),
        }
    }
}

impl<X: BlockExecution> App<X> {
    /// An application over `execution`, proposing one block per `block_time`.
    pub fn new(execution: Arc<X>, block_time: Duration, status: Arc<ConsensusStatus>) -> Self {
        Self {
            execution,
            block_time,
            status,
        }
    }

    fn observe(&self, context: &Context<Digest, ed25519::PublicKey>) {
        self.status.observe_view(
            context.round.view().get(),
            keys::public_key_bytes(&context.leader),
        );
    }

    /// Runs `work` on the runtime's blocking pool.
    async fn blocking<E, T>(
        &self,
        runtime: &E,
        work: impl FnOnce(&X) -> T + Send + 'static,
    ) -> Option<T>
    where
        E: Spawner,
        T: Send + 'static,
    {
        let execution = self.execution.clone();
        runtime
            .child("execute")
            .shared(true)
            .spawn(move |_| async move { work(&execution) })
            .await
            .ok()
    }

    /// Makes sure `block` is executed: validates it, and when its parent is not executed
    /// yet, pulls ancestors from `ancestry` until one is, then validates them oldest first.
    /// `Err` carries why a block on the way is invalid; a failure that may be temporary
    /// (the ancestry ends, the store fails) never returns — it waits until cancelled, so
    /// this node abstains rather than voting against a block it could not check.
    async fn execute_with_ancestors<E: Spawner>(
        &self,
        runtime: &E,
        block: Digested<Block>,
        ancestry: &mut impl Ancestry<Block>,
    ) -> Result<(), String> {
        let mut unexecuted = vec![block];
        loop {
            let Some(oldest) = unexecuted.last().map(|b| b.inner().0.clone()) else {
                return Ok(());
            };
            match self.validate(runtime, oldest).await {
                Ok(()) => {
                    unexecuted.pop();
                    break;
                }
                Err(ExecutionError::UnknownParent(_)) => match ancestry.next().await {
                    Some(parent) => unexecuted.push(parent),
                    None => return futures::future::pending().await,
                },
                Err(ExecutionError::Invalid(reason)) => return Err(reason),
                Err(ExecutionError::Fatal(reason)) => {
                    tracing::error!(%reason, "cannot execute a block; abstaining");
                    return futures::future::pending().await;
                }
            }
        }
        while let Some(block) = unexecuted.pop() {
            match self.validate(runtime, block.inner().0.clone()).await {
                Ok(()) => {}
                Err(ExecutionError::Invalid(reason)) => return Err(reason),
                Err(other) => {
                    tracing::error!(error = %other, "cannot execute an ancestor; abstaining");
                    return futures::future::pending().await;
                }
            }
        }
        Ok(())
    }

    async fn validate<E: Spawner>(
        &self,
        runtime: &E,
        block: SealedBlock,
    ) -> Result<(), ExecutionError> {
        self.blocking(runtime, move |execution| execution.validate(&block))
            .await
            .unwrap_or_else(|| Err(ExecutionError::Fatal("execution task failed".into())))
    }
}

/// Whole seconds since the Unix epoch of a runtime time.
fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

impl<E, X> Application<E> for App<X>
where
    E: Clock + Spawner + Metrics,
    X: BlockExecution,
{
    type SigningScheme = Scheme;
    type Context = Context<Digest, ed25519::PublicKey>;
    type Block = Block;
    type Input = ();

    async fn propose(
        &mut self,
        (runtime, context): (E, Self::Context),
        mut ancestry: impl Ancestry<Block>,
        _input: (),
    ) -> Option<Digested<Block>> {
        self.observe(&context);
        let parent = ancestry.next().await?;
        if let Err(reason) = self
            .execute_with_ancestors(&runtime, parent.clone(), &mut ancestry)
            .await
        {
            tracing::error!(%reason, "the parent the engine chose is invalid; not proposing");
            return None;
        }
        // Pace: one block per block time after the parent, whole seconds, never before the
        // parent's timestamp plus one.
        let parent_time = parent.inner().0.header.timestamp;
        let earliest = UNIX_EPOCH
            + Duration::from_secs(parent_time)
            + self.block_time.max(Duration::from_secs(1));
        if runtime.current() < earliest {
            runtime.sleep_until(earliest).await;
        }
        let timestamp = unix_seconds(runtime.current()).max(parent_time + 1);
        let parent_hash = parent.inner().0.hash;
        let built = self
            .blocking(&runtime, move |execution| {
                execution.build_on(parent_hash, timestamp)
            })
            .await?;
        match built {
            Ok(block) => {
                let digest = Digest(block.hash);
                Some(Digested::precomputed(Block(block), digest))
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot build a proposal");
                None
            }
        }
    }

    async fn verify(
        &mut self,
        (runtime, context): (E, Self::Context),
        mut ancestry: impl Ancestry<Block>,
    ) -> bool {
        self.observe(&context);
        let Some(block) = ancestry.next().await else {
            return futures::future::pending().await;
        };
        // A timestamp from the future: wait for this node's clock rather than vote against
        // a proposer whose clock runs slightly ahead.
        let timestamp = UNIX_EPOCH + Duration::from_secs(block.inner().0.header.timestamp);
        if timestamp > runtime.current() + MAX_CLOCK_DRIFT {
            runtime.sleep_until(timestamp - MAX_CLOCK_DRIFT).await;
        }
        match self
            .execute_with_ancestors(&runtime, block.clone(), &mut ancestry)
            .await
        {
            Ok(()) => true,
            Err(reason) => {
                tracing::warn!(
                    number = block.inner().0.number(),
                    hash = %block.inner().0.hash,
                    %reason,
                    "proposal rejected"
                );
                false
            }
        }
    }
}
