// RFC 3261 retransmission over UDP, one shape for the three places it applies: final responses to
// INVITE until the ACK (Timer G, giving up at Timer H, section 17.2.1), a UAS's 2xx until the ACK
// (section 13.3.1.4, same intervals), and a UAC's non-INVITE request until a response (Timer E,
// giving up at Timer F, section 17.1.2.2). Intervals double from T1 up to T2; give up at 64*T1.

export interface SipTimerSettings {
  t1Ms: number; // round-trip estimate, 500 ms by default (section 17.1.1.1)
  t2Ms: number; // maximum retransmit interval, 4 s by default
}

export class Retransmitter {
  private timer: NodeJS.Timeout | undefined;
  private giveUp: NodeJS.Timeout | undefined;
  private intervalMs: number;
  sent = 0;

  constructor(
    private readonly send: () => void,
    private readonly timers: SipTimerSettings,
    private readonly onTimeout: () => void,
  ) {
    this.intervalMs = timers.t1Ms;
  }

  start(): void {
    this.transmit();
    this.giveUp = setTimeout(() => {
      this.stop();
      this.onTimeout();
    }, 64 * this.timers.t1Ms);
  }

  stop(): void {
    clearTimeout(this.timer);
    clearTimeout(this.giveUp);
    this.timer = undefined;
    this.giveUp = undefined;
  }

  get running(): boolean {
    return this.giveUp !== undefined;
  }

  private transmit(): void {
    this.send();
    this.sent++;
    this.timer = setTimeout(() => this.transmit(), this.intervalMs);
    this.intervalMs = Math.min(2 * this.intervalMs, this.timers.t2Ms);
  }
}
