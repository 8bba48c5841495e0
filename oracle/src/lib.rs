//! # supervm-oracle
//!
//! Fee-token prices that one lying or dead source cannot move and that go stale visibly.
//!
//! ## Data flow
//!
//! ```text
//! price APIs ──HTTP──► feeder (off-chain: median of agreeing sources) ──signed report tx──►
//!   oracle system contract (vm): reports per (token, reporter) with their block timestamps
//!   end of every block: aggregate::update — median of fresh reports, quorum, circuit breaker
//!   ──► accepted rate + status ──► the next block's rate snapshot prices fee payments
//! ```
//!
//! The off-chain half, `supervm oracle-feeder`, is the [`feeder`] module (operating guide:
//! `docs/oracle.md`).
//!
//! ## Invariants
//!
//! - On-chain aggregation is integer math on fixed-point prices ([`PRICE_SCALE`]): the same
//!   reports give the same rate on every machine.
//! - A token without a quorum of fresh reports has no rate for fee payment — never 1:1, never
//!   the last price forever.
//! - The accepted rate moves at most `maxChangeBps` per block toward the median.

pub mod aggregate;
pub mod feeder;

pub use aggregate::{FeedParams, FeedStatus, Report, Update, PRICE_SCALE};
