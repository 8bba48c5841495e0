//! Integration tests of the VM: contracts, fee-token choice and payment, and parallel
//! execution against the sequential reference, one binary so the VM is linked once.

mod common;
mod contracts;
mod fee_properties;
mod fee_token_choice;
mod parallel;
