// Sockets Asterisk opens to Parley, awaited by the call they belong to: a call registers its key
// (AudioSocket UUID, chan_websocket call id) before asking Asterisk to connect; the listener hands
// each accepted socket to the call that expects its key, or reports that none does.
import { AriProtocolError, SetupAbortedError } from './errors.js';

export class SocketWaiters<T> {
  private readonly waiters = new Map<string, (accepted: T) => void>();

  constructor(
    private readonly what: string,
    private readonly timeoutMs: number,
  ) {}

  // Resolves with the socket that presents `key`; rejects after the timeout, or at once when
  // cancelled (the call is torn down), so nothing awaiting it waits on.
  expect(key: string): { accepted: Promise<T>; cancel: () => void } {
    let timer: NodeJS.Timeout | undefined;
    let refuse: (error: Error) => void = () => undefined;
    const cancel = (): void => {
      clearTimeout(timer);
      this.waiters.delete(key);
      refuse(new SetupAbortedError(`the ${this.what} ${key} is no longer expected`));
    };
    const accepted = new Promise<T>((resolve, reject) => {
      refuse = reject;
      timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new AriProtocolError(`Asterisk did not open the ${this.what} ${key} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiters.set(key, (socket) => {
        clearTimeout(timer);
        resolve(socket);
      });
    });
    // Setup may fail before anyone awaits it; the rejection is handled where it is awaited.
    accepted.catch(() => undefined);
    return { accepted, cancel };
  }

  // Hands `socket` to the call expecting `key`; false when none does.
  deliver(key: string, socket: T): boolean {
    const waiter = this.waiters.get(key);
    if (waiter === undefined) return false;
    this.waiters.delete(key);
    waiter(socket);
    return true;
  }
}
