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
//! block: [Message] ──BlockExecutor::execute (Block-STM, N threads)──► results + PendingState
//! ```
//!
//! ## Invariants
//!
//! - [`execute_tx`] is a pure function of the block environment, the message and the state it
//!   reads: no clock, no randomness, no I/O besides [`StateAccess`]. The parallel executor
//!   ([`parallel`], Block-STM) runs it unchanged over a multi-version view of the state, and
//!   its result equals running it transaction after transaction.
//! - A transaction that fails validation ([`InvalidTx`]) changes nothing: every check runs
//!   before the first write.
//! - Contract code runs in [`wasm`] (wasmtime): deterministic, metered with fuel, limited in
//!   memory, stack and call depth; compiled modules are cached by code hash across
//!   transactions, blocks and threads.
//! - Fee payments to the beneficiary and the base-fee recipient go through
//!   [`StateAccess::credit`], a commutative delta, so they never order transactions.

mod block_env;
mod call;
mod execute;
pub mod fee_token;
pub mod genesis;
mod halt;
mod invalid;
mod layered;
mod message;
pub mod parallel;
mod state;
pub mod system;
pub mod wasm;

pub use block_env::{BlockEnv, NextBlock};
pub use execute::{execute_tx, validate_payment, TxOutcome};
pub use fee_token::{FeePayment, RateSnapshot};
pub use genesis::{genesis_state, GenesisError};
pub use halt::HaltReason;
pub use invalid::{FeeTokenShortfall, InvalidTx};
pub use layered::LayeredState;
pub use message::{check_chain_id, Message};
pub use parallel::{BlockExecutor, BlockOutput, ExecutionStats};
pub use state::{Frame, PendingState, StateAccess, StateError, StateReader, StoreState};
pub use wasm::{ContractRuntime, ModuleError};
