//! Turning block tags, numbers and hashes into canonical block numbers.
//!
//! This single-node chain finalises a block when it commits it, so `safe` and `finalized`
//! are the head, as is `pending` for reads (the pending nonce is answered by the pool).

use alloy_eips::{BlockId, BlockNumberOrTag};
use supervm_storage::Reader;

use crate::{error::header_not_found, RpcError};

/// The block a tag or number names, if it exists in the snapshot.
pub(crate) fn number_of_tag(reader: &Reader, tag: BlockNumberOrTag) -> Option<u64> {
    let head = reader.head_number();
    match tag {
        BlockNumberOrTag::Latest
        | BlockNumberOrTag::Pending
        | BlockNumberOrTag::Safe
        | BlockNumberOrTag::Finalized => Some(head),
        BlockNumberOrTag::Earliest => Some(0),
        BlockNumberOrTag::Number(n) => (n <= head).then_some(n),
    }
}

/// The block an EIP-1898 block id names, if it exists.
pub(crate) fn number_of_id(reader: &Reader, id: BlockId) -> Result<Option<u64>, RpcError> {
    match id {
        BlockId::Number(tag) => Ok(number_of_tag(reader, tag)),
        BlockId::Hash(hash) => Ok(reader.block_number(&hash.block_hash)?),
    }
}

/// The block whose post-state a state query reads; missing blocks are geth's
/// "header not found".
pub(crate) fn state_block(reader: &Reader, id: Option<BlockId>) -> Result<u64, RpcError> {
    number_of_id(reader, id.unwrap_or_default())?.ok_or_else(header_not_found)
}
