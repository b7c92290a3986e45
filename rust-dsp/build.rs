//! Generates the gRPC service code from the project's proto (needs `protoc`: Debian's
//! protobuf-compiler, which `make setup` installs) and links the system libsoxr.
fn main() {
    println!("cargo:rerun-if-changed=../proto/fingerprint.proto");
    tonic_build::configure()
        .build_client(false)
        .compile_protos(&["../proto/fingerprint.proto"], &["../proto"])
        .expect("compiling proto/fingerprint.proto (is protoc installed?)");
    println!("cargo:rustc-link-lib=soxr");
}
