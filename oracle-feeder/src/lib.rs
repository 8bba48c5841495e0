//! # supervm-oracle-feeder
//!
//! The off-chain price feeder behind `supervm oracle-feeder`: a daemon that a reporter runs with
//! its own key, beside (not inside) a node. It is its own crate so that nothing consensus code
//! compiles — `supervm-oracle`'s aggregation, the vm — carries its HTTP client, TLS, health
//! server or keystore signer.
//!
//! ## Job
//!
//! Every poll interval, for each configured token, it asks several independent HTTP JSON APIs
//! for a quote, converts each quote exactly into token base units per wei, keeps the quotes that
//! agree with their median, and — only if enough agree — signs a
//! `report(token, numerator, denominator)` transaction to the oracle system contract and submits
//! it over JSON-RPC. The chain then takes the median over reporters (`supervm_oracle::aggregate`,
//! run by the vm at the end of every block), so one lying API is filtered here and one lying
//! reporter there.
//!
//! ## Inputs
//!
//! - A TOML configuration ([`FeederConfig`]): the node's JSON-RPC URL, the tokens and their price
//!   sources, intervals, timeouts and the `/health` address. It names where the key is, never the
//!   key itself.
//! - The reporter key: an encrypted keystore file with its password in an environment variable,
//!   or a hex key in an environment variable ([`load_signer`]).
//! - The price APIs (HTTP GET, JSON) and the node (`eth_*` over HTTP, through alloy's provider).
//! - The time, injected ([`Clock`]) so `/health` can be tested.
//!
//! ## Data flow
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
//! from a keystore or the environment), [`rpc`] (the node's JSON-RPC API), [`backoff`],
//! [`submit`] (report transactions), [`health`] (`/health`), [`clock`] (injected time),
//! [`service`] (the loop). Operating guide: `docs/oracle.md`.
//!
//! ## Invariants
//!
//! - No floating point between a quote and a report: quotes are parsed as exact decimals and
//!   reported as exact fractions.
//! - Nothing is reported unless at least `min_sources` sources answer sane prices within
//!   `max_spread_bps` of their median.
//! - The private key never appears in the configuration, the logs or `/health`.
//! - A transaction the node says would fail (`eth_estimateGas` errors) is not sent, and a nonce
//!   is never reused.
//! - The oracle's address and ABI are the node's own (`supervm_primitives::system`).

#![deny(clippy::unwrap_used)] // Reads untrusted HTTP answers: no unwrap on them.

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
