// The node's drain (SIGTERM, SIGINT): once begun, nothing new starts (grants, signaling upgrades,
// offers, SIP INVITEs, ARI channels are refused), while live calls and signaling sockets go on
// until they end or the drain timeout passes; the rest then end with DRAIN_REASON.
import { EventEmitter } from 'node:events';
import { counter } from './metrics.js';

// The end reason of the calls still live when the drain timeout passes (browser `ended`, bot
// `stop`, ARI hangup and SIP BYE all carry or log it).
export const DRAIN_REASON = 'node_draining';
// What refusals during a drain ask the client to wait before retrying: about one health-check
// interval of a load balancer, after which /healthz's 503 has taken this node out of rotation and
// the retry reaches another node.
export const DRAIN_RETRY_AFTER_SECONDS = 5;

const refusedWhileDraining = counter('parley_drain_refused_total', 'New calls refused while draining, by surface', ['surface']);

// SIP INVITEs and ARI channels refused while draining are counted by their gateways' own metrics.
export type DrainSurface = 'grant' | 'signaling' | 'offer';

interface DrainEvents {
  begun: [];
  // A second signal: end the rest now instead of waiting for the timeout.
  hurried: [];
}

export class Drain extends EventEmitter<DrainEvents> {
  private begunAtMs: number | undefined;
  private hurriedFlag = false;

  get draining(): boolean {
    return this.begunAtMs !== undefined;
  }

  get hurried(): boolean {
    return this.hurriedFlag;
  }

  // Milliseconds since the drain began (0 before).
  get elapsedMs(): number {
    return this.begunAtMs === undefined ? 0 : performance.now() - this.begunAtMs;
  }

  // True the first time only.
  begin(): boolean {
    if (this.begunAtMs !== undefined) return false;
    this.begunAtMs = performance.now();
    this.emit('begun');
    return true;
  }

  hurry(): void {
    if (this.hurriedFlag) return;
    this.hurriedFlag = true;
    this.emit('hurried');
  }

  // Waits for `idle` (every call and signaling socket gone), the timeout, or a second signal,
  // whichever comes first, and says which it was.
  async settle(idle: Promise<unknown>, timeoutMs: number): Promise<'drained' | 'timeout' | 'hurried'> {
    if (this.hurriedFlag) return 'hurried';
    let timer: NodeJS.Timeout | undefined;
    let onHurry: (() => void) | undefined;
    try {
      return await Promise.race([
        idle.then(() => 'drained' as const),
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
        new Promise<'hurried'>((resolve) => this.once('hurried', (onHurry = () => resolve('hurried')))),
      ]);
    } finally {
      clearTimeout(timer);
      if (onHurry) this.off('hurried', onHurry);
    }
  }

  // Counts one refusal of a new call on `surface` (constant set: bounded labels).
  refused(surface: DrainSurface): void {
    refusedWhileDraining.inc({ surface });
  }
}
