//! zkdl's GPU backend: CUDA through [`cudarc`], whose driver and NVRTC libraries are
//! loaded at run time (`dlopen`), never linked, so the crate builds and its tests run
//! on machines without CUDA.
//!
//! - [`kernels`]: the CUDA sources of the top-level `kernels/` folder (BLS12-381 Fr and
//!   Fp Montgomery arithmetic, G1 in XYZZ coordinates), embedded, and their
//!   compilation to PTX through NVRTC.
//! - [`GpuBackend`]: a CUDA context on the first device, or a [`GpuError`] where there
//!   is no driver library, no driver or no device.
//! - `host` (hidden, present where a C++ compiler built it): the same headers compiled
//!   as host C++ behind `extern "C"` functions, which the tests compare with arkworks.
//!   Its FFI calls are the crate's only `unsafe` code.
//!
//! Nothing else in the workspace depends on this crate.

pub mod kernels;
mod loader;

#[cfg(zkdl_host_shim)]
#[doc(hidden)]
pub mod host;

use std::sync::Arc;

use cudarc::driver::{CudaContext, DriverError};

/// What can go wrong in the GPU backend.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// A CUDA library could not be loaded (or lacks a function it should have); the
    /// message is the loader's.
    #[error("the CUDA {library} library could not be loaded: {message}")]
    LibraryUnavailable {
        /// `driver` (libcuda) or `nvrtc` (libnvrtc).
        library: &'static str,
        /// The loader's message.
        message: String,
    },
    /// The driver reported an error.
    #[error("CUDA driver error: {0}")]
    Driver(#[from] DriverError),
    /// The driver works but sees no device.
    #[error("no CUDA device")]
    NoDevice,
    /// No kernel source or header of that name (see [`kernels::SOURCES`]).
    #[error("no kernel source or header named {0:?}")]
    UnknownSource(String),
    /// NVRTC rejected a source; `log` is its program log.
    #[error("NVRTC could not compile {name} for {arch}: {log}")]
    Compile {
        /// The source's file name.
        name: String,
        /// The target architecture (`sm_80`, ...).
        arch: &'static str,
        /// NVRTC's error and program log.
        log: String,
    },
}

/// A CUDA context on device 0.
pub struct GpuBackend {
    ctx: Arc<CudaContext>,
}

impl GpuBackend {
    /// A context on the first CUDA device. Returns an error, and does not panic, where
    /// the driver library is missing, the driver fails or there is no device: the
    /// loader's panic where `libcuda` is missing is caught (which needs the default
    /// `panic = "unwind"`).
    pub fn new() -> Result<Self, GpuError> {
        let count = loader::quietly("driver", CudaContext::device_count)??;
        if count < 1 {
            return Err(GpuError::NoDevice);
        }
        let ctx = loader::quietly("driver", || CudaContext::new(0))??;
        Ok(Self { ctx })
    }

    /// The device's name.
    pub fn name(&self) -> Result<String, GpuError> {
        Ok(self.ctx.name()?)
    }

    /// The device's compute capability (major, minor): (8, 0) for an A100, (9, 0) for an
    /// H100.
    pub fn compute_capability(&self) -> Result<(i32, i32), GpuError> {
        Ok(self.ctx.compute_capability()?)
    }

    /// The cudarc context, for loading modules and allocating buffers.
    pub fn context(&self) -> &Arc<CudaContext> {
        &self.ctx
    }
}

impl std::fmt::Debug for GpuBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuBackend").field("ordinal", &self.ctx.ordinal()).finish()
    }
}
