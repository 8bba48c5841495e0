//! `StreamBlocks`: history from a block number, then new blocks as they are committed, each
//! with its receipts — no gap and no duplicate, resumable by number.
//!
//! The task subscribes to new blocks *before* replaying history, so a block committed during
//! the replay is either read from storage or received as an event, and numbers already sent are
//! skipped. When events are missed (the subscriber lagged) the task catches up from storage.
//! The buffer to the client is bounded: a client that does not read for
//! [`SLOW_CONSUMER_TIMEOUT`] gets RESOURCE_EXHAUSTED and can resume from the next number.

use std::{sync::Arc, time::Duration};

use supervm_primitives::ExecutedBlock;
use tokio::sync::{
    broadcast::{self, error::RecvError},
    mpsc, watch, OwnedSemaphorePermit,
};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::{convert, proto};
use crate::RpcContext;

/// Messages (whole blocks) buffered per stream, plus one slot reserved for the final error:
/// with the bound on open streams, what unread streams can hold is bounded.
const STREAM_BUFFER: usize = 16;
/// How often a full buffer is checked for room.
const BUFFER_POLL: Duration = Duration::from_millis(20);
/// How long a client may leave a full buffer unread.
pub(super) const SLOW_CONSUMER_TIMEOUT: Duration = Duration::from_secs(30);

type Item = Result<proto::StreamBlocksResponse, Status>;

fn message(executed: &ExecutedBlock, full: bool) -> proto::StreamBlocksResponse {
    proto::StreamBlocksResponse {
        block: Some(convert::block(&executed.block, full)),
        receipts: convert::receipts(&executed.block, &executed.receipts),
    }
}

/// Reads block `number` and its receipts from storage, with the head number.
async fn stored(
    ctx: &Arc<RpcContext>,
    number: u64,
) -> Result<(u64, Option<ExecutedBlock>), Status> {
    ctx.read(move |_, reader| {
        let head = reader.head_number();
        if number > head {
            return Ok((head, None));
        }
        let block = reader
            .block(number)
            .map_err(|e| Status::internal(e.to_string()))?;
        let receipts = reader
            .block_receipts(number)
            .map_err(|e| Status::internal(e.to_string()))?;
        Ok((head, block.map(|block| ExecutedBlock { block, receipts })))
    })
    .await
}

/// Sends the message of block `number`; `false` when the stream is over (client gone or too
/// slow). One slot of the buffer is kept free for the final RESOURCE_EXHAUSTED status, so a
/// slow client always receives it, after the messages already buffered.
async fn deliver(tx: &mpsc::Sender<Item>, item: Item, number: u64) -> bool {
    let deadline = tokio::time::Instant::now() + SLOW_CONSUMER_TIMEOUT;
    loop {
        if tx.is_closed() {
            return false;
        }
        if tx.capacity() > 1 {
            return tx.try_send(item).is_ok();
        }
        if tokio::time::Instant::now() >= deadline {
            let status = Status::resource_exhausted(format!(
                "stream consumer too slow: resume with from_number = {number}"
            ));
            let _ = tx.try_send(Err(status));
            return false;
        }
        tokio::time::sleep(BUFFER_POLL).await;
    }
}

/// Starts the stream task and returns the client side.
pub(super) fn start(
    ctx: Arc<RpcContext>,
    from: u64,
    full: bool,
    mut shutdown: watch::Receiver<bool>,
    permit: OwnedSemaphorePermit,
) -> ReceiverStream<Item> {
    let (tx, rx) = mpsc::channel(STREAM_BUFFER + 1);
    let events = ctx.events.subscribe();
    tokio::spawn(async move {
        // The stream's slot is free again when the task ends.
        let _permit = permit;
        // A client that goes away ends the task at once, even while no block arrives.
        let client = tx.clone();
        tokio::select! {
            _ = follow(ctx, from, full, events, tx) => {}
            _ = client.closed() => {}
            _ = async { while shutdown.changed().await.is_ok() && !*shutdown.borrow() {} } => {}
        }
    });
    ReceiverStream::new(rx)
}

/// Replays and follows until the client goes away or falls too far behind.
async fn follow(
    ctx: Arc<RpcContext>,
    from: u64,
    full: bool,
    mut events: broadcast::Receiver<Arc<ExecutedBlock>>,
    tx: mpsc::Sender<Item>,
) {
    {
        let mut next = from;
        loop {
            // Catch up from storage.
            loop {
                match stored(&ctx, next).await {
                    Ok((_, Some(executed))) => {
                        if !deliver(&tx, Ok(message(&executed, full)), next).await {
                            return;
                        }
                        next += 1;
                    }
                    Ok((_, None)) => break,
                    Err(status) => {
                        let _ = tx.send(Err(status)).await;
                        return;
                    }
                }
            }
            // Follow new blocks until one is missed.
            loop {
                match events.recv().await {
                    Ok(executed) => {
                        let number = executed.block.number();
                        if number < next {
                            continue;
                        }
                        if number > next {
                            break;
                        }
                        if !deliver(&tx, Ok(message(&executed, full)), next).await {
                            return;
                        }
                        next += 1;
                    }
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => return,
                }
            }
        }
    }
}
