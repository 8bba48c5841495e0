//! # supervm-vm
//!
//! Transaction semantics: what a transaction does to state, and whether it is valid at all.
//!
//! ## Data flow
//!
//! ```text
//! RecoveredTx ──Message::from_tx──► Message ──execute_tx(env, msg, &mut impl StateAccess)──► TxOutcome
//! eth_call request ──────────────► Message ─┘                          │
//!                                                    PendingState ──into_changes──► StateChanges
//! ```
//!
//! ## Invariants
//!
//! - [`execute_tx`] is a pure function of the block environment, the message and the state it
//!   reads: no clock, no randomness, no I/O besides [`StateAccess`]. The parallel executor of
//!   a later issue wraps it unchanged.
//! - A transaction that fails validation ([`InvalidTx`]) changes nothing: every check runs
//!   before the first write.
//! - Fee payments to the beneficiary and the base-fee recipient go through
//!   [`StateAccess::credit`], a commutative delta, so they never order transactions.

mod execute;
mod message;
mod state;

pub use execute::{execute_tx, BlockEnv, InvalidTx, TxOutcome};
pub use message::{check_chain_id, Message};
pub use state::{PendingState, StateAccess, StateError, StateReader, StoreState};
