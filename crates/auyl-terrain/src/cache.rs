//! A tile cache bounded by a byte budget, least-recently-used first out. Tiles are handed out as
//! `Arc<Tile>`, so a tile evicted while a thread still samples it stays valid for that thread.
//! Loading happens outside the cache lock, one load per source at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::{TerrainError, Tile};

/// Counters of the cache, for reports and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// The byte budget.
    pub budget_bytes: usize,
    /// Bytes of the tiles held now.
    pub resident_bytes: usize,
    /// Tiles held now.
    pub resident_tiles: usize,
    /// Tiles decoded so far (a tile evicted and needed again counts twice).
    pub loads: u64,
    /// Tiles evicted so far.
    pub evictions: u64,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<u32, (Arc<Tile>, u64)>,
    tick: u64,
    stats: CacheStats,
}

#[derive(Debug)]
pub(crate) struct TileCache {
    state: Mutex<State>,
    load_locks: Vec<Mutex<()>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic in another thread cannot leave the cache inconsistent (every update is one step).
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl TileCache {
    pub(crate) fn new(budget_bytes: usize) -> TileCache {
        let stats = CacheStats {
            budget_bytes,
            ..CacheStats::default()
        };
        TileCache {
            state: Mutex::new(State {
                stats,
                ..State::default()
            }),
            load_locks: Vec::new(),
        }
    }

    pub(crate) fn add_source(&mut self) {
        self.load_locks.push(Mutex::new(()));
    }

    pub(crate) fn set_budget(&mut self, budget_bytes: usize) {
        lock(&self.state).stats.budget_bytes = budget_bytes;
    }

    pub(crate) fn stats(&self) -> CacheStats {
        lock(&self.state).stats
    }

    fn lookup(&self, source: u32) -> Option<Arc<Tile>> {
        let mut st = lock(&self.state);
        st.tick += 1;
        let tick = st.tick;
        st.entries.get_mut(&source).map(|e| {
            e.1 = tick;
            Arc::clone(&e.0)
        })
    }

    /// The tile of `source`, loading it with `load` on a miss.
    pub(crate) fn get(
        &self,
        source: u32,
        load: impl FnOnce() -> Result<Tile, TerrainError>,
    ) -> Result<Arc<Tile>, TerrainError> {
        if let Some(t) = self.lookup(source) {
            return Ok(t);
        }
        // One loader per source: a second thread waits here and then finds the tile cached.
        let _guard = self.load_locks.get(source as usize).map(lock);
        if let Some(t) = self.lookup(source) {
            return Ok(t);
        }
        let tile = Arc::new(load()?);
        let mut st = lock(&self.state);
        st.tick += 1;
        let tick = st.tick;
        let size = tile.byte_size();
        st.stats.loads += 1;
        st.stats.resident_bytes += size;
        st.stats.resident_tiles += 1;
        st.entries.insert(source, (Arc::clone(&tile), tick));
        while st.stats.resident_bytes > st.stats.budget_bytes && st.entries.len() > 1 {
            let Some((&victim, _)) = st
                .entries
                .iter()
                .filter(|(k, _)| **k != source)
                .min_by_key(|(_, e)| e.1)
            else {
                break;
            };
            if let Some((t, _)) = st.entries.remove(&victim) {
                st.stats.resident_bytes -= t.byte_size();
                st.stats.resident_tiles -= 1;
                st.stats.evictions += 1;
            }
        }
        Ok(tile)
    }
}
