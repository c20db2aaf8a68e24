// The node-wide cap on concurrent calls (config media.maxCalls, PARLEY_MAX_CALLS), whatever their
// kind: a slot is taken when a call arrives (browser offer, SIP INVITE, Asterisk StasisStart),
// before anything is set up for it, and freed when its media leg ends or its setup fails. A call
// over the cap is refused by its gateway the way its protocol says (SIP 503 with Retry-After,
// Asterisk hangup `congestion`, the browser's `node_busy`), counted once in
// parley_refused_total{surface,reason="node_call_cap"} and logged once per stretch at the cap.
import type { Logger } from 'pino';
import { ParleyError } from '../errors.js';
import { countRefused, gauge, type RefusedSurface } from '../metrics.js';

export const CALL_CAP_REASON = 'node_call_cap';
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
  constructor(max: number) {
    super('ERR_PARLEY_CALL_CAP', `the node is at its cap of ${max} concurrent calls`);
  }
}

// One call's hold on the cap; release() frees it once, whoever calls it first.
export interface CallSlot {
  release(): void;
}

export class CallCap {
  private held = 0;
  // Set by the first refusal at the cap (logged), cleared when a slot frees (the rest counted).
  private atCapLogged = false;

  constructor(
    readonly max: number,
    private readonly logger: Logger,
  ) {}

  get inUse(): number {
    return this.held;
  }

  // A slot, or CallCapError once counted and (first at the cap) logged.
  take(surface: RefusedSurface): CallSlot {
    if (this.held >= this.max) {
      countRefused(surface, CALL_CAP_REASON);
      if (!this.atCapLogged) {
        this.atCapLogged = true;
        this.logger.warn({ surface, maxCalls: this.max }, 'refusing a call: the node is at its call cap (further refusals only counted until a call ends)');
      }
      throw new CallCapError(this.max);
    }
    this.held++;
    slotsHeld.set(this.held);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.held--;
        this.atCapLogged = false;
        slotsHeld.set(this.held);
      },
    };
  }
}
