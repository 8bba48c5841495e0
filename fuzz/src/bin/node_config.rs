//! The node's TOML configuration parser and its validation.

use supervm_node::NodeConfig;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(text) = std::str::from_utf8(data) {
            let config = NodeConfig::from_toml(text);
            supervm_fuzz::print(|| format!("{config:?}"));
        }
    });
}
