// What /healthz reports: each dependency the node needs to take calls, checked when asked, and
// draining once shutdown began. 200 only when every check passes, 503 otherwise, so a load
// balancer stops sending browsers to a node that could not serve them.
import { connect } from 'node:net';

export type HealthCheck = () => boolean | Promise<boolean>;

export interface HealthReport {
  status: 'ok' | 'failing' | 'draining';
  checks: Record<string, boolean>;
}

export class Health {
  private readonly checks = new Map<string, HealthCheck>();
  private draining = false;

  add(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  startDraining(): void {
    this.draining = true;
  }

  async report(): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]): Promise<[string, boolean]> => {
        try {
          return [name, await check()];
        } catch {
          return [name, false];
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const status = this.draining ? 'draining' : entries.every(([, ok]) => ok) ? 'ok' : 'failing';
    return { status, checks };
  }
}

const PROBE_TIMEOUT_MS = 1000;
// A probe result is reused this long: /healthz polled often (or by anyone who reaches the
// operator listener) costs at most one connection to the dependency per interval.
const PROBE_CACHE_MS = 5000;

// Whether a TCP connection to the URL's host and port opens (Janus's WebSocket transport).
export function tcpReachable(url: string): HealthCheck {
  const target = new URL(url);
  const port = Number(target.port) || (target.protocol === 'wss:' || target.protocol === 'https:' ? 443 : 80);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  let cached: { ok: boolean; atMs: number } | undefined;
  let inFlight: Promise<boolean> | undefined;
  const probe = (): Promise<boolean> =>
    new Promise((resolve) => {
      const socket = connect({ host, port });
      const done = (ok: boolean): void => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
  return () => {
    if (cached && performance.now() - cached.atMs < PROBE_CACHE_MS) return cached.ok;
    inFlight ??= probe().then((ok) => {
      cached = { ok, atMs: performance.now() };
      inFlight = undefined;
      return ok;
    });
    return inFlight;
  };
}
