//! The validator set fixed in the genesis, under `config.supervm.consensus`:
//!
//! ```json
//! "consensus": { "namespace": "supervm-31337",
//!                "validators": ["0x<32-byte ed25519 public key>", …] }
//! ```
//!
//! The set is part of the chain's identity: the genesis header's `extraData` is
//! [`ConsensusGenesis::commitment`], so the genesis hash commits to it and a node whose
//! database was created for another set refuses to start.

use alloy_primitives::{keccak256, B256};
use serde::{Deserialize, Serialize};

/// Most validators a genesis may name: ed25519 certificates carry one signature per signer,
/// so they grow with the set.
pub const MAX_VALIDATORS: usize = 100;
/// Longest namespace, in bytes.
pub const MAX_NAMESPACE_BYTES: usize = 64;

/// `config.supervm.consensus`: who votes, and the domain their signatures are made in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsensusGenesis {
    /// Domain separator of every consensus signature and p2p handshake, so a signature made
    /// for one network is worthless on another.
    pub namespace: String,
    /// The validators' ed25519 public keys, 32 bytes each (order does not matter).
    pub validators: Vec<B256>,
}

impl ConsensusGenesis {
    /// Checks what can be checked without a curve: a namespace, between one and
    /// [`MAX_VALIDATORS`] keys, none twice. The consensus engine checks each key is a
    /// valid ed25519 point when it starts.
    pub fn validate(&self) -> Result<(), String> {
        if self.namespace.is_empty() || self.namespace.len() > MAX_NAMESPACE_BYTES {
            return Err(format!(
                "config.supervm.consensus.namespace must be 1 to {MAX_NAMESPACE_BYTES} bytes, got {}",
                self.namespace.len()
            ));
        }
        if self.validators.is_empty() || self.validators.len() > MAX_VALIDATORS {
            return Err(format!(
                "config.supervm.consensus.validators must list 1 to {MAX_VALIDATORS} keys, got {}",
                self.validators.len()
            ));
        }
        let sorted = self.sorted_validators();
        if let Some((twice, _)) = sorted
            .iter()
            .zip(sorted.iter().skip(1))
            .find(|(a, b)| a == b)
        {
            return Err(format!(
                "config.supervm.consensus.validators lists {twice} twice"
            ));
        }
        Ok(())
    }

    /// The validators in ascending byte order, the order the engine indexes them in.
    pub fn sorted_validators(&self) -> Vec<B256> {
        let mut sorted = self.validators.clone();
        sorted.sort_unstable();
        sorted
    }

    /// `keccak256(len(namespace) as u32 BE ‖ namespace ‖ sorted keys)`: the genesis header's
    /// `extraData`. Independent of the order the keys are listed in.
    pub fn commitment(&self) -> B256 {
        let mut preimage =
            Vec::with_capacity(4 + self.namespace.len() + 32 * self.validators.len());
        preimage.extend_from_slice(&(self.namespace.len() as u32).to_be_bytes());
        preimage.extend_from_slice(self.namespace.as_bytes());
        for key in self.sorted_validators() {
            preimage.extend_from_slice(key.as_slice());
        }
        keccak256(preimage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(keys: &[u8]) -> ConsensusGenesis {
        ConsensusGenesis {
            namespace: "supervm-test".into(),
            validators: keys.iter().map(|k| B256::repeat_byte(*k)).collect(),
        }
    }

    #[test]
    fn the_commitment_ignores_the_listing_order() {
        assert_eq!(set(&[1, 2, 3]).commitment(), set(&[3, 1, 2]).commitment());
        assert_ne!(set(&[1, 2, 3]).commitment(), set(&[1, 2, 4]).commitment());
        let mut other = set(&[1, 2, 3]);
        other.namespace = "supervm-other".into();
        assert_ne!(set(&[1, 2, 3]).commitment(), other.commitment());
    }

    #[test]
    fn bad_sets_are_refused_by_name() {
        assert!(set(&[1, 2]).validate().is_ok());
        let err = set(&[]).validate().unwrap_err();
        assert!(
            err.contains("validators must list 1 to 100 keys, got 0"),
            "{err}"
        );
        let err = set(&[7, 7]).validate().unwrap_err();
        assert!(err.contains("twice"), "{err}");
        let mut unnamed = set(&[1]);
        unnamed.namespace.clear();
        assert!(unnamed.validate().unwrap_err().contains("namespace"));
    }
}
