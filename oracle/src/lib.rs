//! # supervm-oracle
//!
//! Fee-token prices that one lying or dead source cannot move and that go stale visibly: the
//! pure, on-chain half of the oracle.
//!
//! ## Job and inputs
//!
//! [`aggregate::update`] turns the reports stored for one token (price, block timestamp), the
//! previous accepted price, the block time and the feed's [`FeedParams`] into an [`Update`]:
//! the new accepted price and [`FeedStatus`]. The oracle system contract in `supervm-vm` stores
//! the reports and calls it at the end of every block; nothing else here runs.
//!
//! ## Data flow
//!
//! ```text
//! price APIs ──HTTP──► supervm-oracle-feeder (off-chain: median of agreeing sources)
//!   ──signed report tx──► oracle system contract (vm): reports per (token, reporter)
//!   end of every block: aggregate::update — median of fresh reports, quorum, circuit breaker
//!   ──► accepted rate + status ──► the next block's rate snapshot prices fee payments
//! ```
//!
//! The oracle's address and Solidity interface are in `supervm_primitives::system`; the off-chain
//! feeder behind `supervm oracle-feeder` is the `supervm-oracle-feeder` crate (operating guide:
//! `docs/oracle.md`).
//!
//! ## Invariants
//!
//! - No I/O and no network: pure functions of their arguments, so consensus code can call them.
//! - On-chain aggregation is integer math on fixed-point prices ([`PRICE_SCALE`]): the same
//!   reports give the same rate on every machine.
//! - A token without a quorum of fresh reports has no rate for fee payment — never 1:1, never
//!   the last price forever.
//! - The accepted rate moves at most `maxChangeBps` per block toward the median.

pub mod aggregate;

pub use aggregate::{FeedParams, FeedStatus, Report, Update, PRICE_SCALE};
