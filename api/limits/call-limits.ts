// The budget a public button must enforce: per client IP at most `perIpActive` calls (or unused
// grants) at once and, when configured, `perIpPerHour` grants an hour, and at most `globalActive` calls on the node
// (or the cluster, with Redis). A reservation is held from the grant until the call ends or the
// grant expires unused; expired reservations free themselves (no timers).

export interface CallLimitsConfig {
  perIpActive: number;
  // Unset: no hourly budget (embedded mode's default, so a developer can call as often as they like).
  perIpPerHour?: number;
  globalActive: number;
}

export type Refusal = { ok: false; reason: 'ip_busy' | 'ip_hourly' | 'global_cap'; retryAfterSeconds: number };
export type Reservation = { ok: true } | Refusal;

export interface CallLimits {
  reserve(clientIp: string, sessionId: string, untilMs: number): Promise<Reservation>;
  // Moves a reservation's end (when a call starts: to its maximum duration), atomically with the
  // check that it is still held: false, and nothing moved, once it was released or has expired.
  extend(clientIp: string, sessionId: string, untilMs: number): Promise<boolean>;
  release(clientIp: string, sessionId: string): Promise<void>;
  close(): Promise<void>;
}
