//! The off-chain price feeder behind `supervm oracle-feeder`.
//!
//! A reporter runs it with its own key. Every poll interval, for each configured token, it asks
//! several independent HTTP JSON APIs for a quote, converts each quote exactly into token base
//! units per wei, keeps the quotes that agree with their median, and — only if enough agree —
//! signs a `report(token, numerator, denominator)` transaction to the oracle contract and
//! submits it over JSON-RPC. The chain then takes the median over reporters (see
//! [`crate::aggregate`]), so one lying API is filtered here and one lying reporter there.
//!
//! ```text
//! config ──► service (loop, shutdown) ──► poll (per token, sources concurrently)
//!                │                           ├─ source   HTTP GET, JSON pointer, exact decimal
//!                │                           └─ quorum   median, spread, outliers (pure)
//!                ├─► submit (nonce, gas, fees, sign EIP-1559, send, backoff) ──► rpc
//!                └─► health (state + GET /health)
//! ```
//!
//! Modules: [`config`] (TOML and validation), [`fraction`] (exact decimals), [`source`]
//! (one API), [`quorum`] (agreement), [`poll`] (one round of one token), [`key`] (reporter key
//! from a keystore or the environment), [`rpc`] (JSON-RPC client), [`backoff`], [`submit`]
//! (report transactions), [`health`] (`/health`), [`clock`] (injected time), [`service`] (the
//! loop). Operating guide: `docs/oracle.md`.

pub mod backoff;
pub mod clock;
pub mod config;
pub mod fraction;
pub mod health;
pub mod key;
pub mod poll;
pub mod quorum;
pub mod rpc;
pub mod service;
pub mod source;
pub mod submit;

pub use clock::{Clock, SystemClock};
pub use config::{ConfigError, FeederConfig, KeySource, SourceConfig, TokenConfig};
pub use fraction::Fraction;
pub use key::{load_signer, process_env, KeyError};
pub use poll::{poll_token, PollOutcome, SourceOutcome, SourceStatus};
pub use quorum::NoPrice;
pub use service::{source_client, Feeder, FeederError, TokenRound};
pub use source::SourceError;
pub use submit::{ReportError, Submitted};
