//! The node's end-to-end tests, one binary: every module starts real nodes (in process or the
//! `supervm` binary) and talks to them over JSON-RPC, WebSocket and gRPC. One binary links the
//! node once instead of once per file, which keeps the test build small and fast.

mod bad_input;
mod bench;
mod call_overrides;
mod common;
mod contract_limits;
mod contracts;
mod crash;
mod docs_errors;
mod fee_tokens_apis;
mod fee_tokens_cip64;
mod fee_tokens_decimals;
mod fee_tokens_erc20;
mod fee_tokens_errors;
mod fee_tokens_governance;
mod fee_tokens_preference;
mod fee_tokens_transacted;
mod feeder;
mod filters;
mod grpc;
mod hardening;
mod metrics;
mod mining;
mod network;
mod oracle;
mod restart;
mod soak;
mod transfers;
