//! The kernel sources compile to PTX for sm_80 and sm_90 through NVRTC, which needs no
//! GPU: only `libnvrtc`, loaded at run time.
//!
//! Where `libnvrtc` is not loadable as it is (through `LD_LIBRARY_PATH` or the system's
//! library paths), the test looks for it in `$ZKDL_NVRTC_DIR` or in the virtual
//! environment that `.ci/run` installs the `nvidia-cuda-nvrtc-cu12` wheel into
//! (`target/nvrtc-venv`), and runs itself again with that folder on `LD_LIBRARY_PATH`
//! (the dynamic loader reads it once, at start). Where there is none, it prints
//! "skipped: ..." to stderr and passes; where there is one but NVRTC still cannot be
//! loaded, it fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use zkdl_gpu::kernels::{self, HEADERS, SOURCES};
use zkdl_gpu::GpuError;

const ARCHS: [&str; 2] = ["sm_80", "sm_90"];
const RERUN: &str = "ZKDL_NVRTC_RERUN";

fn kernel_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kernels")
}

/// The embedded sources are exactly the files of kernels/ (no file left out of the
/// compile check).
#[test]
fn embedded_sources_are_the_kernel_folder() {
    let mut on_disk: Vec<(String, String)> = std::fs::read_dir(kernel_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("cu" | "cuh")))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    on_disk.sort();
    let mut embedded: Vec<(String, String)> =
        SOURCES.iter().chain(HEADERS).map(|(n, t)| (n.to_string(), t.to_string())).collect();
    embedded.sort();
    assert_eq!(
        on_disk.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        embedded.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "kernels/ and zkdl_gpu::kernels::{{SOURCES, HEADERS}} list different files"
    );
    assert!(on_disk == embedded, "an embedded kernel file differs from kernels/ (rebuild)");
    // every source expands to text without an include of ours left
    for (name, _) in SOURCES {
        let text = kernels::expand(name).unwrap();
        assert!(!text.lines().any(|l| HEADERS.iter().any(|(h, _)| l.contains(&format!("#include \"{h}\"")))));
    }
}

/// The folder with libnvrtc.so.12 to try: `$ZKDL_NVRTC_DIR`, else the wheel's in
/// target/nvrtc-venv.
fn nvrtc_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ZKDL_NVRTC_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/nvrtc-venv/lib");
    std::fs::read_dir(lib).ok()?.filter_map(Result::ok).find_map(|e| {
        let dir = e.path().join("site-packages/nvidia/cuda_nvrtc/lib");
        dir.canonicalize().ok().filter(|d| d.is_dir())
    })
}

/// The `extern "C" __global__` functions a source defines.
fn kernel_names(source: &str) -> Vec<String> {
    source.split("__global__ void ").skip(1).map(|rest| rest.split('(').next().unwrap().trim().to_string()).collect()
}

fn timed_compile(name: &str, arch: &'static str) -> (Result<String, GpuError>, u128) {
    let start = Instant::now();
    let ptx = kernels::compile_ptx(name, arch);
    (ptx, start.elapsed().as_millis())
}

#[test]
fn every_kernel_source_compiles_to_ptx() {
    let (first, _) = SOURCES[0];
    let probe = timed_compile(first, ARCHS[0]);
    if let (Err(GpuError::LibraryUnavailable { message, .. }), _) = &probe {
        let Some(dir) = nvrtc_dir() else {
            // cudarc's message goes on to list every file name it tried
            let reason = message.split(" - ").next().unwrap_or(message);
            eprintln!(
                "skipped: NVRTC compile check of kernels/ ({reason}; install the nvidia-cuda-nvrtc-cu12 \
                 wheel as .ci/run does, or set ZKDL_NVRTC_DIR to the folder of libnvrtc.so.12)"
            );
            return;
        };
        assert!(
            std::env::var_os(RERUN).is_none(),
            "libnvrtc not loadable although {} is on LD_LIBRARY_PATH: {message}",
            dir.display()
        );
        let path = std::env::var("LD_LIBRARY_PATH").unwrap_or_default();
        let path = if path.is_empty() { dir.display().to_string() } else { format!("{}:{path}", dir.display()) };
        eprintln!("NVRTC: running again with {} on LD_LIBRARY_PATH", dir.display());
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["every_kernel_source_compiles_to_ptx", "--exact", "--nocapture", "--test-threads=1"])
            .env("LD_LIBRARY_PATH", path)
            .env(RERUN, "1")
            .output()
            .unwrap();
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        print!("{}", String::from_utf8_lossy(&out.stdout));
        assert!(out.status.success(), "the NVRTC compile check failed");
        return;
    }
    let mut probe = Some(probe);
    for (name, source) in SOURCES {
        let kernels = kernel_names(source);
        assert!(!kernels.is_empty(), "{name} defines no kernel");
        for arch in ARCHS {
            let (ptx, ms) = match probe.take() {
                Some(done) if (*name, arch) == (first, ARCHS[0]) => done,
                _ => timed_compile(name, arch),
            };
            let ptx = ptx.unwrap_or_else(|e| panic!("{e}"));
            assert!(ptx.contains(&format!(".target {arch}")), "{name}: no .target {arch} in the PTX");
            for k in &kernels {
                assert!(ptx.contains(&format!(".entry {k}(")), "{name} for {arch}: no entry {k}");
            }
            eprintln!(
                "NVRTC: {name} for {arch}: {} kernels, {} lines of PTX, {ms} ms",
                kernels.len(),
                ptx.lines().count()
            );
        }
    }
}

/// A name that is not a kernel source is an error (before NVRTC is needed).
#[test]
fn an_unknown_source_is_an_error() {
    match kernels::compile_ptx("no-such-file.cu", ARCHS[0]) {
        Err(GpuError::UnknownSource(name)) => assert_eq!(name, "no-such-file.cu"),
        other => panic!("expected UnknownSource, got {other:?}"),
    }
}
