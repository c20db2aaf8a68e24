// The bot leg's batched WebSocket sends (native/net/websocket_send_batch.h) as a native program
// built with the sanitizers: native/test/websocket_send_batch_test.cc, over real loopback TCP
// connections, through io_uring and through plain sends. Frames as RFC 6455 lays them out, a key
// per frame, each connection's frames whole and in order, a closed socket skipped, a full socket
// reporting exactly the prefix the kernel took, malformed batches refused before any send.
import { describe, it } from 'vitest';
import { expectNativeChecks } from '../../support/native-checks.js';

describe('WebSocketSendBatch', () => {
  it('passes every check of native/test/websocket_send_batch_test.cc under ASan/UBSan', { timeout: 900_000 }, async () => {
    await expectNativeChecks('websocket_send_batch_test', 'websocket-send-batch', 34);
  });
});
