// Typed face of the native WebSocket send batch (native/net/websocket_send_batch.h): many
// connections' client frames framed, masked and sent in one crossing, through one io_uring_enter
// where the kernel allows it (else one send(2) each). Sends never wait; `written` says what each
// socket took, and the rest is the caller's to write, in order.
import { callNative } from '../errors.js';
import { nativeModule } from './addon.js';

// Per frame in `frames`: where its payload is in `payloads`, its length, its opcode.
export const FRAME_FIELDS = 3;
// Per connection in `connections`: its socket and frame count (in), then where its bytes are in
// `out` and what the kernel took (bytes, or -errno; -EBADF for fd -1) (out).
export const CONNECTION_FIELDS = 5;
export const OPCODE_TEXT = 1;
export const OPCODE_BINARY = 2;

interface NativeSendBatch {
  readonly usesIoUring: boolean;
  flush(payloads: Uint8Array, frames: Int32Array, frameCount: number, connections: Int32Array, connectionCount: number, out: Uint8Array): void;
}

interface WebSocketSendBatchModule {
  WebSocketSendBatch: new (plainSends?: boolean) => NativeSendBatch;
  maxHeaderBytes: number;
}

const native = (): WebSocketSendBatchModule => nativeModule<WebSocketSendBatchModule>('webSocketSendBatch');

// The most bytes a frame's header (its mask key included) adds to its payload.
export const maxWebSocketHeaderBytes = (): number => native().maxHeaderBytes;

export class WebSocketSendBatch {
  private readonly batch: NativeSendBatch;

  // plainSends: one send(2) per connection, io_uring not tried.
  constructor(plainSends = false) {
    const { WebSocketSendBatch: Batch } = native();
    this.batch = callNative(() => new Batch(plainSends));
  }

  get usesIoUring(): boolean {
    return this.batch.usesIoUring;
  }

  flush(payloads: Uint8Array, frames: Int32Array, frameCount: number, connections: Int32Array, connectionCount: number, out: Uint8Array): void {
    callNative(() => this.batch.flush(payloads, frames, frameCount, connections, connectionCount, out));
  }
}
