//! cudarc loads `libcuda` and `libnvrtc` on first use and panics where it cannot find
//! them (or a function in them). [`quietly`] turns that panic into a [`GpuError`]
//! without the panic message on stderr.

use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use crate::GpuError;

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Runs `f`, which calls into the CUDA library `library`, and returns its value, or
/// [`GpuError::LibraryUnavailable`] if it panicked. While it runs, panics on this
/// thread are not reported by the panic hook; other threads' panics are, by the hook
/// that was installed before.
pub(crate) fn quietly<T>(library: &'static str, f: impl FnOnce() -> T) -> Result<T, GpuError> {
    // one hook swap at a time
    static SWAP: Mutex<()> = Mutex::new(());
    let _swap = SWAP.lock().unwrap_or_else(PoisonError::into_inner);
    let me = thread::current().id();
    let previous: Arc<Hook> = Arc::new(panic::take_hook());
    let forward = Arc::clone(&previous);
    panic::set_hook(Box::new(move |info| {
        if thread::current().id() != me {
            forward(info);
        }
    }));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    // dropping our hook drops `forward`, so `previous` is the last reference
    drop(panic::take_hook());
    match Arc::try_unwrap(previous) {
        Ok(hook) => panic::set_hook(hook),
        Err(shared) => panic::set_hook(Box::new(move |info| shared(info))),
    }
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
            .unwrap_or_else(|| "the loader panicked".to_string());
        GpuError::LibraryUnavailable { library, message }
    })
}
