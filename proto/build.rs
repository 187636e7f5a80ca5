//! Compiles every `.proto` under `wuguan/` with protox (pure Rust, no system protoc) and writes
//! the descriptor set that server reflection serves.

use prost::Message;
use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "wuguan/common/v1/common.proto",
    "wuguan/registry/v1/registry.proto",
    "wuguan/dispatch/v1/dispatch.proto",
    "wuguan/assessment/v1/assessment.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let fds = protox::compile(PROTOS, ["."])?;
    std::fs::write(out_dir.join("wuguan_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure().build_client(true).build_server(true).compile_fds(fds)?;
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    Ok(())
}
