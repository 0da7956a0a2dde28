//! A memory audit for security reviews and tests: guest linear memories allocated by the host,
//! each copied into the audit when its store drops, so a reviewer can search what a real
//! connector left in its memory after a call (is a private key or a refresh token there?).
//! It turns the pooling allocator off and copies every memory: never for production use.

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::sync::{Arc, Mutex};
use wasmtime::{LinearMemory, MemoryCreator, MemoryType};

/// Alignment and allocation granule of audited memories.
const PAGE: usize = 4096;

/// Collects the final contents of every guest memory of a runtime built with it.
#[derive(Debug, Clone, Default)]
pub struct MemoryAudit {
    dumps: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl MemoryAudit {
    /// The memories collected so far (taken out of the audit).
    pub fn take(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut *self.dumps.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Configure `config` to allocate guest memories through this audit.
    pub(super) fn install(&self, config: &mut wasmtime::Config) {
        config
            .memory_reservation(0)
            .memory_guard_size(0)
            .memory_reservation_for_growth(0)
            .memory_may_move(true)
            // Copy-on-write images need mmap-based memories; audited ones are plain allocations.
            .memory_init_cow(false)
            .with_host_memory(Arc::new(self.clone()));
    }
}

/// One audited linear memory: a zeroed, page-aligned heap allocation that moves as it grows.
struct AuditedMemory {
    ptr: *mut u8,
    capacity: usize,
    size: usize,
    maximum: Option<usize>,
    dumps: Arc<Mutex<Vec<Vec<u8>>>>,
}

// SAFETY: the allocation is owned by this value alone and only wasmtime touches it, from one
// thread at a time (a store is never used concurrently).
unsafe impl Send for AuditedMemory {}
// SAFETY: as above; `&self` methods only read the pointer and sizes.
unsafe impl Sync for AuditedMemory {}

fn layout(capacity: usize) -> Layout {
    Layout::from_size_align(capacity, PAGE).expect("memory sizes are page multiples below isize::MAX")
}

/// A zeroed allocation of at least `bytes` (rounded up to whole pages, never empty).
fn allocate(bytes: usize) -> Result<(*mut u8, usize), String> {
    let capacity = bytes.max(1).div_ceil(PAGE).checked_mul(PAGE).ok_or("memory size overflows")?;
    // SAFETY: the layout has a non-zero size.
    let ptr = unsafe { alloc_zeroed(layout(capacity)) };
    if ptr.is_null() {
        return Err(format!("cannot allocate {capacity} bytes of guest memory"));
    }
    Ok((ptr, capacity))
}

// SAFETY: memories are zeroed, page-aligned and at least `byte_size` long; with no reservation
// and no guard region configured, wasmtime bounds-checks every access explicitly.
unsafe impl LinearMemory for AuditedMemory {
    fn byte_size(&self) -> usize {
        self.size
    }

    fn byte_capacity(&self) -> usize {
        self.capacity
    }

    fn grow_to(&mut self, new_size: usize) -> wasmtime::Result<()> {
        if self.maximum.is_some_and(|max| new_size > max) {
            wasmtime::bail!("memory growth beyond its maximum");
        }
        if new_size > self.capacity {
            let (ptr, capacity) = allocate(new_size).map_err(wasmtime::Error::msg)?;
            // SAFETY: both regions are valid for `self.size` bytes and do not overlap; the old
            // allocation was made with `layout(self.capacity)`.
            unsafe {
                std::ptr::copy_nonoverlapping(self.ptr, ptr, self.size);
                dealloc(self.ptr, layout(self.capacity));
            }
            (self.ptr, self.capacity) = (ptr, capacity);
        }
        self.size = new_size;
        Ok(())
    }

    fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }
}

impl Drop for AuditedMemory {
    fn drop(&mut self) {
        // SAFETY: the allocation is valid for `self.size` bytes until the `dealloc` below.
        let contents = unsafe { std::slice::from_raw_parts(self.ptr, self.size) }.to_vec();
        self.dumps.lock().unwrap_or_else(|e| e.into_inner()).push(contents);
        // SAFETY: allocated with exactly this layout and not used afterwards.
        unsafe { dealloc(self.ptr, layout(self.capacity)) };
    }
}

// SAFETY: every memory handed out is an `AuditedMemory` (see its `LinearMemory` impl).
unsafe impl MemoryCreator for MemoryAudit {
    fn new_memory(
        &self,
        _ty: MemoryType,
        minimum: usize,
        maximum: Option<usize>,
        _reserved_size_in_bytes: Option<usize>,
        _guard_size_in_bytes: usize,
    ) -> Result<Box<dyn LinearMemory>, String> {
        let (ptr, capacity) = allocate(minimum)?;
        Ok(Box::new(AuditedMemory { ptr, capacity, size: minimum, maximum, dumps: self.dumps.clone() }))
    }
}
