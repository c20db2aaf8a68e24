// The WebSockets a server has open, so a drain can wait for them to end and close the rest with a
// code of its choosing (both HttpServer implementations keep one).
import type { WsConnection } from './http-types.js';

// How long closing sockets get for their close handshake before the server is closed under them.
const CLOSE_HANDSHAKE_MS = 1000;

export class SocketSet {
  private readonly open = new Set<WsConnection>();
  private emptyWaiters: Array<() => void> = [];

  get size(): number {
    return this.open.size;
  }

  add(connection: WsConnection): void {
    this.open.add(connection);
  }

  delete(connection: WsConnection): void {
    if (!this.open.delete(connection) || this.open.size > 0) return;
    for (const wake of this.emptyWaiters.splice(0)) wake();
  }

  whenEmpty(): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  // Sends each open socket a close frame and waits (bounded) for the closes to complete.
  async closeAll(goingAway: { code: number; reason: string }): Promise<void> {
    if (this.open.size === 0) return;
    for (const connection of [...this.open]) connection.close(goingAway.code, goingAway.reason);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.whenEmpty(), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_HANDSHAKE_MS)))]);
    clearTimeout(timer);
  }
}
