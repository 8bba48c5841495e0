//! JSON-RPC over HTTP: any body, posted to a running development node. Every request must
//! get an HTTP answer (a JSON-RPC error for a bad one) without crashing or stalling the node.

fn main() {
    let harness = supervm_fuzz::Harness::start();
    afl::fuzz!(|data: &[u8]| {
        harness.post(data);
    });
}
