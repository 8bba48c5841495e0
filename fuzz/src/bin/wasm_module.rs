//! WASM contract validation, compilation and instantiation: the input is the init code of a
//! contract creation, run with `eth_call` (validate, compile, instantiate, run `deploy`) on a
//! development node. Every module must be refused or run within the time limit.
//!
//! The node is started inside `fuzz!`, on the first input (see `supervm_fuzz::harness`).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let code = alloy_primitives::hex::encode_prefixed(data);
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{{"from":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","data":"{code}","gas":"0x1c9c380"}},"latest"]}}"#
        );
        let response = supervm_fuzz::harness().post(body.as_bytes());
        supervm_fuzz::print(|| String::from_utf8_lossy(&response).into_owned());
    });
}
