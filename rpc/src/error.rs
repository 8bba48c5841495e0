//! JSON-RPC errors: codes and messages clients recognise.

use alloy_primitives::Bytes;
use jsonrpsee::types::ErrorObjectOwned;
use supervm_storage::StorageError;
use supervm_txpool::PoolError;
use supervm_vm::{InvalidTx, StateError, TxOutcome};

use crate::context::ReadFailure;

/// Code of invalid method parameters.
pub const INVALID_PARAMS: i32 = -32602;
/// Code of internal errors.
pub const INTERNAL_ERROR: i32 = -32603;
/// geth's generic server error code, used for rejected transactions and missing data.
pub const SERVER_ERROR: i32 = -32000;
/// geth's code for a reverted execution (with revert data).
pub const EXECUTION_REVERTED: i32 = 3;

/// An error answer.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// A parameter is well-formed JSON but not acceptable (-32602).
    #[error("{0}")]
    InvalidParams(String),
    /// Something failed inside the node (-32603).
    #[error("{0}")]
    Internal(String),
    /// A transaction or request was rejected, or data is missing (-32000).
    #[error("{0}")]
    Server(String),
    /// Execution reverted (code 3, revert data in `data`).
    #[error("execution reverted")]
    Reverted(Bytes),
}

impl From<RpcError> for ErrorObjectOwned {
    fn from(err: RpcError) -> Self {
        match err {
            RpcError::InvalidParams(msg) => {
                ErrorObjectOwned::owned(INVALID_PARAMS, msg, None::<()>)
            }
            RpcError::Internal(msg) => ErrorObjectOwned::owned(INTERNAL_ERROR, msg, None::<()>),
            RpcError::Server(msg) => ErrorObjectOwned::owned(SERVER_ERROR, msg, None::<()>),
            RpcError::Reverted(data) => {
                // geth appends the `Error(string)` message to "execution reverted".
                let message = match supervm_vm::system::decode_revert_message(&data) {
                    Some(reason) => format!("execution reverted: {reason}"),
                    None => "execution reverted".to_owned(),
                };
                ErrorObjectOwned::owned(EXECUTION_REVERTED, message, Some(data))
            }
        }
    }
}

impl RpcError {
    /// The answer to a call that failed: its revert data, or why it halted (geth answers
    /// "out of gas" and the like with -32000).
    pub fn failed(outcome: TxOutcome) -> Self {
        match outcome.halt_reason {
            Some(reason) => Self::Server(reason.to_string()),
            None => Self::Reverted(outcome.output),
        }
    }
}

impl From<StorageError> for RpcError {
    fn from(err: StorageError) -> Self {
        tracing::error!(%err, "storage error while answering an RPC request");
        Self::Internal(err.to_string())
    }
}

impl From<ReadFailure> for RpcError {
    fn from(failure: ReadFailure) -> Self {
        match failure {
            ReadFailure::Snapshot(err) => err.into(),
            ReadFailure::Task(err) => Self::Internal(format!("read task failed: {err}")),
        }
    }
}

impl From<StateError> for RpcError {
    fn from(err: StateError) -> Self {
        tracing::error!(%err, "state unavailable while answering an RPC request");
        Self::Internal(err.to_string())
    }
}

impl From<InvalidTx> for RpcError {
    fn from(err: InvalidTx) -> Self {
        match err {
            InvalidTx::State(state) => Self::Internal(state.to_string()),
            other => Self::Server(other.to_string()),
        }
    }
}

impl From<PoolError> for RpcError {
    fn from(err: PoolError) -> Self {
        match err {
            PoolError::Invalid(invalid) => invalid.into(),
            other => Self::Server(other.to_string()),
        }
    }
}

/// geth's answer for a block that does not exist in a state query.
pub fn header_not_found() -> RpcError {
    RpcError::Server("header not found".into())
}
