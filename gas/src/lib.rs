//! # supervm-gas
//!
//! Fee arithmetic, separate from execution so that the pool, the block builder, the RPC's fee
//! estimates and the executor all use the same formulas.
//!
//! ## Data flow
//!
//! ```text
//! parent header ──base_fee::next_base_fee──► base fee of the next block
//! tx fields ─────intrinsic::intrinsic_gas──► minimum gas a tx must carry
//! tx fields + base fee ──fees::TxFees──────► effective price, tip, upfront cost, settlement
//! ```
//!
//! ## Invariants
//!
//! - Integer math only; every product that could overflow `u128` is done in `U256`.
//! - Settlement is exact: `debit = refund + tip + base` for every transaction.

pub mod base_fee;
pub mod fees;
pub mod intrinsic;

pub use base_fee::next_base_fee;
pub use fees::{FeeError, Settlement, TxFees};
pub use intrinsic::intrinsic_gas;
