//! The CUDA sources of the top-level `kernels/` folder, embedded in the crate, and
//! their compilation to PTX through NVRTC.
//!
//! The headers (`.cuh`) hold BLS12-381 arithmetic whose every function is
//! `__host__ __device__`: Fr and Fp in arkworks' Montgomery representation (a device
//! buffer takes arkworks' limbs as they are) and G1 in XYZZ coordinates. The sources
//! (`.cu`) define the kernels. [`compile_ptx`] inlines a source's `#include "..."` of
//! these headers, so NVRTC needs no include path and no file at run time.

use cudarc::nvrtc::{compile_ptx_with_opts, CompileError, CompileOptions};

use crate::{loader, GpuError};

/// The headers, by file name.
pub const HEADERS: &[(&str, &str)] = &[
    ("common.cuh", include_str!("../../../kernels/common.cuh")),
    ("field.cuh", include_str!("../../../kernels/field.cuh")),
    ("bls12_381.cuh", include_str!("../../../kernels/bls12_381.cuh")),
    ("g1.cuh", include_str!("../../../kernels/g1.cuh")),
];

/// The kernel sources, by file name: `arith.cu`, element-wise Fr and Fp products and
/// sums and G1 additions and doublings (`fr_mul_kernel`, `g1_add_kernel`, ...).
pub const SOURCES: &[(&str, &str)] = &[("arith.cu", include_str!("../../../kernels/arith.cu"))];

/// Nesting of includes beyond this is taken for a cycle.
const MAX_DEPTH: usize = 16;

/// The source or header `name` with its includes of [`HEADERS`] replaced by their
/// text (recursively; the headers' include guards drop repeats), with `#line`
/// directives so that NVRTC's messages name the original file and line.
pub fn expand(name: &str) -> Result<String, GpuError> {
    let mut out = String::new();
    expand_into(name, 0, &mut out)?;
    Ok(out)
}

fn lookup(name: &str) -> Option<&'static str> {
    SOURCES.iter().chain(HEADERS).find(|(n, _)| *n == name).map(|(_, text)| *text)
}

fn expand_into(name: &str, depth: usize, out: &mut String) -> Result<(), GpuError> {
    let text = lookup(name).ok_or_else(|| GpuError::UnknownSource(name.to_string()))?;
    if depth > MAX_DEPTH {
        return Err(GpuError::UnknownSource(format!("{name} (includes nested too deep)")));
    }
    out.push_str(&format!("#line 1 \"{name}\"\n"));
    for (i, line) in text.lines().enumerate() {
        let included = line.trim_start().strip_prefix("#include").map(str::trim).and_then(|rest| {
            rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')).filter(|n| HEADERS.iter().any(|(h, _)| h == n))
        });
        match included {
            Some(header) => {
                expand_into(header, depth + 1, out)?;
                out.push_str(&format!("#line {} \"{name}\"\n", i + 2));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(())
}

/// PTX for the kernel source `name` (one of [`SOURCES`]) and the architecture `arch`
/// (`sm_80`, `sm_90`, ...). Fails with [`GpuError::LibraryUnavailable`] where
/// `libnvrtc` cannot be loaded (it is looked up by name, through `LD_LIBRARY_PATH`
/// and the system's library paths), and with [`GpuError::Compile`] and NVRTC's log
/// where the source does not compile.
pub fn compile_ptx(name: &str, arch: &'static str) -> Result<String, GpuError> {
    let source = expand(name)?;
    let opts = CompileOptions { arch: Some(arch), name: Some(name.to_string()), ..Default::default() };
    let compiled = loader::quietly("nvrtc", || compile_ptx_with_opts(source, opts).map(|ptx| ptx.to_src()))?;
    compiled.map_err(|e| {
        let log = match e {
            CompileError::CompileError { nvrtc, log, .. } => format!("{nvrtc}\n{}", log.to_string_lossy()),
            other => other.to_string(),
        };
        GpuError::Compile { name: name.to_string(), arch, log }
    })
}
