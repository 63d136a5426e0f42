//! `GpuBackend::new` returns (never panics) where there is no CUDA driver or device,
//! and leaves the panic hook as it found it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use zkdl_gpu::GpuBackend;

#[test]
fn new_returns_an_error_without_a_device() {
    // a hook of ours, to see that it is back in place afterwards
    let reported = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&reported);
    std::panic::set_hook(Box::new(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    }));

    let first = GpuBackend::new();
    let second = GpuBackend::new();
    match &first {
        Ok(gpu) => eprintln!("CUDA device: {:?}, compute capability {:?}", gpu.name(), gpu.compute_capability()),
        Err(e) => eprintln!("no GPU backend: {e}"),
    }
    assert_eq!(first.is_ok(), second.is_ok());
    // no NVIDIA device node: no driver, no device
    if cfg!(target_os = "linux") && !std::path::Path::new("/dev/nvidiactl").exists() {
        assert!(first.is_err());
    }

    assert_eq!(reported.load(Ordering::SeqCst), 0, "the loader's panic reached the hook");
    let caught = std::panic::catch_unwind(|| panic!("on purpose"));
    assert!(caught.is_err());
    drop(std::panic::take_hook());
    assert_eq!(reported.load(Ordering::SeqCst), 1, "the hook was not restored");
}
