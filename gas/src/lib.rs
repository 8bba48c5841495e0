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
//! tx fields + base fee + Payment ──fees────► checks, maximum debit, settlement
//! oracle state ──Rate (exact fraction)─────► native ↔ token conversion with stated rounding
//! ```
//!
//! ## Invariants
//!
//! - Integer math only; conversions multiply in 512 bits, so nothing overflows silently.
//! - Settlement is exact: `debit = refund + tip + base` for every transaction, in the paying
//!   token's units. Debits round up, refunds and tips round down, the remainder goes to the
//!   base fee: rounding never favours the payer.

pub mod base_fee;
pub mod fees;
pub mod intrinsic;
pub mod rate;

pub use base_fee::{next_base_fee, next_block_base_fee};
pub use fees::{FeeError, Payment, Settlement, TxFees};
pub use intrinsic::intrinsic_gas;
pub use rate::Rate;
