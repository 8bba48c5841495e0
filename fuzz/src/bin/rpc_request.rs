//! JSON-RPC over HTTP: any body, posted to a running development node. Every request must
//! get an HTTP answer (a JSON-RPC error for a bad one) without crashing or stalling the node.
//!
//! The node is started inside `fuzz!`, on the first input (see `supervm_fuzz::harness`).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let response = supervm_fuzz::harness().post(data);
        supervm_fuzz::print(|| String::from_utf8_lossy(&response).into_owned());
    });
}
