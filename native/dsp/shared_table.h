// Read-only tables (filter phases, FFT twiddles, windows) built once per parameter set and shared
// by every instance that uses them. Each call's DSP objects used to carry their own copies: with
// a thousand calls a tick streamed a thousand identical tables through the cache, and that cache
// traffic, not the arithmetic, was most of their cost.
#pragma once

#include <map>
#include <mutex>

namespace parley {

// The table for `key`, built by `build(key)` on first use and kept for the life of the process
// (there are a handful of keys: sample rates, frame sizes). `Owner` only keeps different users'
// tables with the same key type apart. The lock is taken when an object is built (call setup),
// never per frame.
template <typename Owner, typename Table, typename Key>
const Table& SharedTable(const Key& key, Table (*build)(const Key&)) {
  static std::mutex mutex;
  static std::map<Key, Table> tables;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = tables.find(key);
  if (it == tables.end()) it = tables.emplace(key, build(key)).first;
  return it->second;
}

}  // namespace parley
