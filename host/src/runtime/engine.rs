//! The wasmtime engine: pooling allocator, epoch interruption and the epoch ticker.

use super::memory_audit::MemoryAudit;
use std::time::Duration;
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances: guest code yields to other tasks and checks its wall-time
/// deadline at every tick.
pub const EPOCH_TICK: Duration = Duration::from_millis(2);

/// How guest memories and stacks are laid out, started and reset between calls. Each call gets
/// fresh memory either way (reset to the component's initial image); these only choose how:
/// `madvise` per call, which on several cores costs TLB shootdowns across them, or `memset` of
/// the pages kept resident. The runtime bench prints each knob's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolTuning {
    /// Bytes of each linear memory and table reset with `memset` and kept resident.
    pub keep_resident: usize,
    /// Decommits collected before one flush (1: every slot is decommitted at once).
    pub decommit_batch: usize,
    /// Reset only the pages a call touched, found with Linux's `PAGEMAP_SCAN` (6.7+; ignored
    /// where unsupported).
    pub pagemap_scan: bool,
    /// Map a memory's initial image copy-on-write instead of copying it in at instantiation.
    pub memory_init_cow: bool,
    /// Bytes of each call's host stack (the guest's own stack is at most 512 KiB of it).
    pub async_stack_size: usize,
    /// Address space reserved per linear memory; `None` is wasmtime's 4 GiB plus guard, which
    /// lets compiled code skip bounds checks.
    pub memory_reservation: Option<u64>,
}

impl PoolTuning {
    /// Wasmtime's defaults: everything decommitted with `madvise` after every call.
    pub const WASMTIME_DEFAULTS: PoolTuning = PoolTuning {
        keep_resident: 0,
        decommit_batch: 1,
        pagemap_scan: false,
        memory_init_cow: true,
        async_stack_size: 2 << 20,
        memory_reservation: None,
    };
}

impl Default for PoolTuning {
    /// What the runtime bench measured fastest on 2 cores.
    fn default() -> Self {
        PoolTuning { keep_resident: 1 << 20, decommit_batch: 16, pagemap_scan: true, ..Self::WASMTIME_DEFAULTS }
    }
}

/// An engine with the pooling allocator sized for `max_instances` concurrent calls of up to
/// `max_memory` bytes each. Falls back to on-demand allocation where the pool's virtual memory
/// cannot be reserved; the flag says which one is in use. With an audit, guest memories are
/// allocated (and copied at the end) by the audit instead.
pub fn build(
    max_instances: u32,
    max_memory: usize,
    audit: Option<&MemoryAudit>,
    tuning: PoolTuning,
) -> wasmtime::Result<(Engine, bool)> {
    let mut config = Config::new();
    config
        .epoch_interruption(true)
        .wasm_component_model(true)
        .memory_init_cow(tuning.memory_init_cow)
        .async_stack_size(tuning.async_stack_size);
    if let Some(bytes) = tuning.memory_reservation {
        config.memory_reservation(bytes);
    }
    if let Some(audit) = audit {
        audit.install(&mut config);
        return Ok((Engine::new(&config)?, false));
    }
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(max_instances)
        .total_core_instances(max_instances * 8)
        .total_memories(max_instances * 2)
        .total_tables(max_instances * 8)
        .total_stacks(max_instances)
        .max_memory_size(max_memory)
        .max_core_instances_per_component(32)
        .max_memories_per_component(4)
        .max_tables_per_component(16)
        .linear_memory_keep_resident(tuning.keep_resident)
        .table_keep_resident(tuning.keep_resident)
        .decommit_batch_size(tuning.decommit_batch)
        .pagemap_scan(if tuning.pagemap_scan { Enabled::Auto } else { Enabled::No });
    let mut pooled = config.clone();
    pooled.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    match Engine::new(&pooled) {
        Ok(engine) => Ok((engine, true)),
        Err(e) => {
            tracing::warn!("pooling allocator unavailable ({e:#}); using on-demand allocation");
            Ok((Engine::new(&config)?, false))
        }
    }
}

/// Advance the engine's epoch every [`EPOCH_TICK`] until the engine is dropped.
pub fn start_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("airlock-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawn the epoch ticker thread");
}
