// One signaling socket's hold on the call budget, from its upgrade to its call's end. A call may
// start only while the hold is current; once released (hangup, socket closed, call ended) or past
// its end it never holds again. The signaling socket checks `held` synchronously at the moment it
// starts a call, so no order of messages (a hangup before or during the offer, an offer after the
// end) can start a call outside the limits, and the call lasts at most until the hold's end.
import type { CallLimits } from './call-limits.js';

export class CallReservation {
  private released = false;

  private constructor(
    private readonly limits: CallLimits,
    readonly clientIp: string,
    readonly sessionId: string,
    private untilMs: number,
    private readonly now: () => number,
  ) {}

  // Takes over the reservation made at grant time, moved to `untilMs`; undefined when it is no
  // longer held (released or expired in the store).
  static async claim(
    limits: CallLimits,
    clientIp: string,
    sessionId: string,
    untilMs: number,
    now: () => number = Date.now,
  ): Promise<CallReservation | undefined> {
    if (!(await limits.extend(clientIp, sessionId, untilMs))) return undefined;
    return new CallReservation(limits, clientIp, sessionId, untilMs, now);
  }

  get held(): boolean {
    return !this.released && this.now() < this.untilMs;
  }

  get remainingMs(): number {
    return this.held ? this.untilMs - this.now() : 0;
  }

  // Moves the end (when a call is about to start: to its maximum duration); false, and the hold
  // released, if it had ended meanwhile here or in the store.
  async renew(untilMs: number): Promise<boolean> {
    if (!this.held) return false;
    const moved = await this.limits.extend(this.clientIp, this.sessionId, untilMs);
    if (!moved) this.release();
    if (!this.held) return false;
    this.untilMs = untilMs;
    return true;
  }

  // Frees the slot; once, for good.
  release(): void {
    if (this.released) return;
    this.released = true;
    void this.limits.release(this.clientIp, this.sessionId);
  }
}
