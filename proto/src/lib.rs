//! wuguan's gRPC contracts. Other departments can use the `.proto` files beside this crate
//! directly; Rust code uses the generated modules below.

#![allow(clippy::large_enum_variant, clippy::doc_lazy_continuation)]

pub mod common {
    pub mod v1 {
        tonic::include_proto!("wuguan.common.v1");
    }
}

pub mod registry {
    pub mod v1 {
        tonic::include_proto!("wuguan.registry.v1");
    }
}

pub mod dispatch {
    pub mod v1 {
        tonic::include_proto!("wuguan.dispatch.v1");
    }
}

pub mod assessment {
    pub mod v1 {
        tonic::include_proto!("wuguan.assessment.v1");
    }
}

/// Encoded `FileDescriptorSet` of every wuguan proto, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wuguan_descriptor.bin"));

/// wuguan's vocabulary: every enum of the contracts as a domain enum (no UNSPECIFIED) with its
/// snake_case name and Chinese label, generated from the `.proto` options
/// (`wuguan/common/v1/labels.proto`). Services and the gateway print these and nothing else.
mod league;
mod status;

pub mod vocab {
    include!(concat!(env!("OUT_DIR"), "/vocab.rs"));
}
