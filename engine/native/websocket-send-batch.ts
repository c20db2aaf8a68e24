// Typed face of the native WebSocket send batch (native/net/websocket_send_batch.h): many
// connections' client frames framed, masked and sent in one crossing, through one io_uring_enter
// where the kernel allows it (else one send(2) each). Sends never wait; `written` says what each
// socket took, and the rest is the caller's to write, in order.
import { callNative } from '../errors.js';
import { nativeModule } from './addon.js';

// The arrays' layouts and the opcodes, as the binding defines them. `frames` holds, per frame,
// where its payload is in `payloads`, its length and its opcode; `connections`, per connection,
// its socket and frame count (in), then where its bytes are in `out` and what the kernel took
// (bytes, or -errno; -EBADF for fd -1; -EIO: unknown, after io_uring itself failed) (out).
export interface SendBatchLayout {
  frameFields: number;
  connectionFields: number;
  opcodeText: number;
  opcodeBinary: number;
  // The most bytes a frame's header (its mask key included) adds to its payload.
  maxHeaderBytes: number;
}

interface NativeSendBatch {
  readonly usesIoUring: boolean;
  flush(payloads: Uint8Array, frames: Int32Array, frameCount: number, connections: Int32Array, connectionCount: number, out: Uint8Array): void;
}

interface WebSocketSendBatchModule {
  WebSocketSendBatch: new (plainSends?: boolean) => NativeSendBatch;
  layout: SendBatchLayout;
}

const native = (): WebSocketSendBatchModule => nativeModule<WebSocketSendBatchModule>('webSocketSendBatch');

export const sendBatchLayout = (): SendBatchLayout => native().layout;

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
