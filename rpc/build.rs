//! Generates the gRPC explorer API from `proto/` with a vendored `protoc`, so building needs
//! no system install.

use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    env::set_var("PROTOC", protoc);
    let out = PathBuf::from(env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .build_client(true)
        .file_descriptor_set_path(out.join("explorer_descriptor.bin"))
        .compile_protos(&["proto/supervm/explorer/v1/explorer.proto"], &["proto"])?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
