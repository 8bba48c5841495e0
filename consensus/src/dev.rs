//! The development sealer: a single node that mines on demand, on every transaction, or on a
//! fixed interval.

use std::{sync::Arc, time::Duration};

use supervm_txpool::TxPool;
use tokio::sync::{mpsc, oneshot, watch};

use crate::{Clock, Decided, ExecutionClient};

/// When the dev sealer produces blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MiningMode {
    /// A block as soon as transactions are pending (anvil's default).
    Automine,
    /// A block every interval, empty or not.
    Interval(Duration),
    /// Only on `evm_mine`.
    Manual,
}

/// Why a requested block could not be mined.
#[derive(Debug, thiserror::Error)]
pub enum SealerError {
    /// The sealer task has stopped.
    #[error("block sealer is not running")]
    Stopped,
    /// Building or committing the block failed.
    #[error("block production failed: {0}")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The block production task panicked or was cancelled.
    #[error("block production task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

enum Command {
    Mine {
        timestamp: Option<u64>,
        reply: oneshot::Sender<Result<Decided, SealerError>>,
    },
}

/// Lets the RPC ask for blocks (`evm_mine`).
#[derive(Clone, Debug)]
pub struct SealerHandle {
    commands: mpsc::Sender<Command>,
}

impl SealerHandle {
    /// Mines one block now (with `timestamp` if given) and says what was committed.
    pub async fn mine(&self, timestamp: Option<u64>) -> Result<Decided, SealerError> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Mine { timestamp, reply })
            .await
            .map_err(|_| SealerError::Stopped)?;
        rx.await.map_err(|_| SealerError::Stopped)?
    }
}

/// The dev sealer task.
pub struct DevSealer<E, C> {
    client: Arc<E>,
    pool: Arc<TxPool>,
    clock: C,
    mode: MiningMode,
    commands: mpsc::Receiver<Command>,
}

impl<E: ExecutionClient, C: Clock> DevSealer<E, C> {
    /// A sealer and the handle to request blocks from it.
    pub fn new(
        client: Arc<E>,
        pool: Arc<TxPool>,
        clock: C,
        mode: MiningMode,
    ) -> (Self, SealerHandle) {
        let (tx, commands) = mpsc::channel(64);
        (
            Self {
                client,
                pool,
                clock,
                mode,
                commands,
            },
            SealerHandle { commands: tx },
        )
    }

    /// Runs until `shutdown` becomes true or every handle is dropped.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let mut ticker = match self.mode {
            MiningMode::Interval(period) => {
                let mut ticker =
                    tokio::time::interval_at(tokio::time::Instant::now() + period, period);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                Some(ticker)
            }
            _ => None,
        };
        let automine = self.mode == MiningMode::Automine;
        let pool = self.pool.clone();
        if automine {
            self.mine_pending().await;
        }
        loop {
            tokio::select! {
                _ = shutdown.changed() => {
                    if *shutdown.borrow() { return; }
                }
                command = self.commands.recv() => match command {
                    Some(Command::Mine { timestamp, reply }) => {
                        let result = self.mine_one(timestamp).await;
                        let _ = reply.send(result);
                        if automine { self.mine_pending().await; }
                    }
                    None => return,
                },
                _ = pool.pending_added(), if automine => self.mine_pending().await,
                _ = next_tick(ticker.as_mut()) => {
                    if let Err(err) = self.mine_one(None).await {
                        tracing::error!(%err, "interval block production failed");
                    }
                }
            }
        }
    }

    /// Automine: one block at a time while transactions are pending and blocks take them.
    /// A block that would be empty (every pending transaction left out) is not committed.
    async fn mine_pending(&self) {
        while self.pool.has_pending() {
            let timestamp = self.clock.now_secs();
            let sealed = self
                .blocking(move |client| {
                    let proposal = client.propose(timestamp)?;
                    if E::transaction_count(&proposal) == 0 {
                        return Ok(None);
                    }
                    client.decide(proposal).map(Some)
                })
                .await;
            match sealed {
                Ok(Some(_)) => {}
                Ok(None) => return,
                Err(err) => {
                    tracing::error!(%err, "automine block production failed");
                    return;
                }
            }
        }
    }

    /// Mines one block, empty or not.
    async fn mine_one(&self, timestamp: Option<u64>) -> Result<Decided, SealerError> {
        let timestamp = timestamp.unwrap_or_else(|| self.clock.now_secs());
        self.blocking(move |client| {
            let proposal = client.propose(timestamp)?;
            client.decide(proposal)
        })
        .await
    }

    /// Runs block production on the blocking pool: execution and the commit are CPU and disk
    /// work that must not hold up the runtime's workers.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&E) -> Result<T, E::Error> + Send + 'static,
    ) -> Result<T, SealerError> {
        let client = self.client.clone();
        tokio::task::spawn_blocking(move || {
            work(&client).map_err(|e| SealerError::Failed(Box::new(e)))
        })
        .await?
    }
}

async fn next_tick(ticker: Option<&mut tokio::time::Interval>) {
    match ticker {
        Some(ticker) => {
            ticker.tick().await;
        }
        None => std::future::pending().await,
    }
}
