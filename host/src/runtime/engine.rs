//! The wasmtime engine: pooling allocator, epoch interruption and the epoch ticker.

use super::memory_audit::MemoryAudit;
use std::time::Duration;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances: guest code yields to other tasks and checks its wall-time
/// deadline at every tick.
pub const EPOCH_TICK: Duration = Duration::from_millis(2);

/// An engine with the pooling allocator sized for `max_instances` concurrent calls of up to
/// `max_memory` bytes each. Falls back to on-demand allocation where the pool's virtual memory
/// cannot be reserved; the flag says which one is in use. With an audit, guest memories are
/// allocated (and copied at the end) by the audit instead.
pub fn build(max_instances: u32, max_memory: usize, audit: Option<&MemoryAudit>) -> wasmtime::Result<(Engine, bool)> {
    let mut config = Config::new();
    config.epoch_interruption(true).wasm_component_model(true);
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
        .max_tables_per_component(16);
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
