//! Compiles the kernel headers as host C++ (`shim/host.cpp`, the headers of the
//! top-level `kernels/`) into a static library for the `host` module and its tests.
//! Where no C++ compiler works, it says so in a cargo warning and leaves the
//! `zkdl_host_shim` cfg unset: the crate builds without the module and the host
//! arithmetic tests report themselves skipped.
use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(zkdl_host_shim)");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let kernels = manifest.join("../../kernels");
    println!("cargo::rerun-if-changed=shim/host.cpp");
    println!("cargo::rerun-if-changed={}", kernels.display());

    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++14")
        .file(manifest.join("shim/host.cpp"))
        .include(&kernels)
        // the shim uses nothing of the C++ library
        .cpp_link_stdlib(None)
        .flag_if_supported("-fno-exceptions")
        .flag_if_supported("-fno-rtti");
    match build.try_compile("zkdl_host_shim") {
        Ok(()) => println!("cargo::rustc-cfg=zkdl_host_shim"),
        Err(e) => {
            println!("cargo::warning=zkdl-gpu: kernels/ not built as host C++ ({e}); host arithmetic tests skipped")
        }
    }
}
