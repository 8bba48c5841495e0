//! The genesis (chain specification): any text is refused with an error or accepted by the
//! parser (`ChainSpec::from_json`), and an accepted spec is refused with an error or turned
//! into the genesis state (`supervm_vm::genesis_state`: system contracts, fee tokens and their
//! balances, oracle feeds), as `supervm node` does at start-up.

use supervm_primitives::ChainSpec;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(text) = std::str::from_utf8(data) {
            let spec = ChainSpec::from_json(text);
            supervm_fuzz::print(|| format!("{spec:?}"));
            if let Ok(spec) = spec {
                let state = supervm_vm::genesis_state(&spec);
                supervm_fuzz::print(|| match &state {
                    Ok(changes) => format!("genesis state: {} accounts", changes.accounts.len()),
                    Err(err) => format!("genesis state: {err}"),
                });
            }
        }
    });
}
