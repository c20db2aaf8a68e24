// Due times of entries kept in a map elsewhere, earliest first, so expiring them costs O(log n)
// per entry instead of a scan of every live entry on each write. Deletion is lazy: owners push a
// new due time on every write and never remove one; when an entry reaches the front, the owner's
// `isCurrent` says whether it still describes live state (a released or extended entry leaves a
// stale one behind, dropped when it comes due or reaches the front).
import { Heap } from 'heap-js';

interface Due<K> {
  key: K;
  atMs: number;
}

export class ExpiryQueue<K> {
  private readonly heap = new Heap<Due<K>>((a, b) => a.atMs - b.atMs);

  push(key: K, atMs: number): void {
    this.heap.push({ key, atMs });
  }

  // Removes every entry due at or before `nowMs`, oldest first, handing each to `onDue`.
  popDue(nowMs: number, onDue: (key: K, atMs: number) => void): void {
    for (let front = this.heap.peek(); front && front.atMs <= nowMs; front = this.heap.peek()) {
      this.heap.pop();
      onDue(front.key, front.atMs);
    }
  }

  // The earliest due time still current, dropping stale entries in front of it.
  earliest(isCurrent: (key: K, atMs: number) => boolean): number | undefined {
    for (let front = this.heap.peek(); front; front = this.heap.peek()) {
      if (isCurrent(front.key, front.atMs)) return front.atMs;
      this.heap.pop();
    }
    return undefined;
  }

  get size(): number {
    return this.heap.length;
  }
}
