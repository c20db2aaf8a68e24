// The node-wide cap on concurrent calls (config media.maxCalls, PARLEY_MAX_CALLS), whatever their
// kind: a slot is taken when a call arrives (browser offer, SIP INVITE, Asterisk StasisStart),
// before anything is set up for it, and freed when its media leg ends or its setup fails. A call
// over the cap is refused by its gateway the way its protocol says (SIP 503 with Retry-After,
// Asterisk hangup `congestion`, the browser's `node_busy`), counted once in
// parley_refused_total{surface,reason="node_call_cap"} and logged once per stretch at the cap.
// A gateway may also bound its own surface's share (the SIP endpoint's sip.maxCalls, so a flood
// of INVITEs from an allowed source can't take every slot from browsers): counted here too, with
// reason "surface_call_cap".
import type { Logger } from 'pino';
import { ParleyError } from '../errors.js';
import { countRefused, gauge, type RefusedSurface } from '../metrics.js';

export const CALL_CAP_REASON = 'node_call_cap';
export const SURFACE_CAP_REASON = 'surface_call_cap';
// The cap when the configuration names none: above what a two-core node's media carries (the
// load bench, bench/results/load.json: a few hundred PCMU calls per core with echo cancellation,
// under a thousand without), so it bounds a flood's memory and ports rather than ordinary load.
// An operator sets it from their own bench run.
export const DEFAULT_MAX_CALLS = 2000;
// What a refused caller is told to wait: calls last minutes, a slot frees on any call's end.
export const CALL_CAP_RETRY_AFTER_SECONDS = 30;

const slotsHeld = gauge('parley_call_slots_held', 'Calls holding a slot of the node-wide cap (live and being set up)');

export class CallCapError extends ParleyError {
  readonly retryAfterSeconds = CALL_CAP_RETRY_AFTER_SECONDS;
  constructor(
    max: number,
    // The surface whose own bound was reached; undefined: the node's.
    readonly surface?: RefusedSurface,
  ) {
    super('ERR_PARLEY_CALL_CAP', surface ? `the ${surface} surface is at its cap of ${max} concurrent calls` : `the node is at its cap of ${max} concurrent calls`);
  }
}

// One call's hold on the cap; release() frees it once, whoever calls it first.
export interface CallSlot {
  release(): void;
}

export class CallCap {
  private held = 0;
  private readonly heldBySurface = new Map<RefusedSurface, number>();
  // Scopes (the node, or a surface) whose first refusal at their cap was logged; a scope is
  // cleared when one of its slots frees (the rest are counted only).
  private readonly atCapLogged = new Set<RefusedSurface | 'node'>();

  constructor(
    readonly max: number,
    private readonly logger: Logger,
  ) {}

  get inUse(): number {
    return this.held;
  }

  // A slot, or CallCapError once counted and (first at the cap) logged. `surfaceMax` bounds the
  // calls from `surface` within the node's cap.
  take(surface: RefusedSurface, surfaceMax = Infinity): CallSlot {
    const fromSurface = this.heldBySurface.get(surface) ?? 0;
    if (this.held >= this.max) this.refuse(surface, 'node', this.max);
    if (fromSurface >= surfaceMax) this.refuse(surface, surface, surfaceMax);
    this.held++;
    this.heldBySurface.set(surface, fromSurface + 1);
    slotsHeld.set(this.held);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.held--;
        this.heldBySurface.set(surface, this.heldBySurface.get(surface)! - 1);
        this.atCapLogged.delete('node');
        this.atCapLogged.delete(surface);
        slotsHeld.set(this.held);
      },
    };
  }

  private refuse(surface: RefusedSurface, scope: RefusedSurface | 'node', max: number): never {
    countRefused(surface, scope === 'node' ? CALL_CAP_REASON : SURFACE_CAP_REASON);
    if (!this.atCapLogged.has(scope)) {
      this.atCapLogged.add(scope);
      const capOf = scope === 'node' ? 'the node is at its call cap' : `the ${scope} surface is at its own call cap`;
      this.logger.warn({ surface, maxCalls: max }, `refusing a call: ${capOf} (further refusals only counted until a call ends)`);
    }
    throw new CallCapError(max, scope === 'node' ? undefined : scope);
  }
}
