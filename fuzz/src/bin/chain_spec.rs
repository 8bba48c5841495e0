//! The genesis (chain specification) parser: any text is refused with an error or accepted.

use supervm_primitives::ChainSpec;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(text) = std::str::from_utf8(data) {
            let spec = ChainSpec::from_json(text);
            supervm_fuzz::print(|| format!("{spec:?}"));
        }
    });
}
