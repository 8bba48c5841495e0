//! Integration tests of the node crate: BFT finality on the chain and a simulated validator
//! network, one binary so the node and consensus engine are linked once.

mod common;
mod consensus_sim;
mod finality;
