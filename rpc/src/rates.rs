//! The fee-token rates a block prices fees at.
//!
//! Below the `eth` namespace and the token catalogue, which both need them, so that neither has
//! to import the other.

use std::sync::Arc;

use supervm_storage::Reader;
use supervm_vm::{PendingState, RateSnapshot, StoreState};

use crate::RpcError;

/// The fee-token rates for a block built on the post-state of block `number`.
pub(crate) fn rates_at(reader: &Reader, number: u64) -> Result<Arc<RateSnapshot>, RpcError> {
    let mut state = PendingState::new(StoreState::new(reader, number));
    Ok(Arc::new(
        RateSnapshot::read(&mut state).map_err(|e| RpcError::Internal(e.to_string()))?,
    ))
}
