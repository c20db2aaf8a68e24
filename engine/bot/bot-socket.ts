// The TCP connection under a plain (ws://) bot WebSocket, read into one buffer the whole process
// shares instead of a new one per read.
//
// Node reads a stream socket into a fresh 64 KB allocation each time (malloc, the pages it
// touches, a realloc to the bytes read, and an ArrayBuffer over them): for a bot connection that
// is 50 reads a second per call of a few hundred bytes each. In a profile of the bot leg's driver
// (docs/benchmarks.md, "The bot socket's reads") this took page faults and malloc/free from 10 %
// to 7 % of the node side's samples. With `onread`, Node reads into the buffer given; each read
// is copied out at once into a Buffer of its own size (small ones come from Buffer's pool) and
// emitted as `data`, which is what `ws` and the HTTP client before the upgrade listen to. The
// copy is needed: `ws` keeps a chunk that ends inside a frame until the rest arrives. One buffer
// serves every connection since a read's callback returns before the next read. Only `data`
// listeners see the bytes: read(), 'readable', pipe() and async iteration get nothing from such a
// socket (ws and the HTTP client use none of them). TLS (wss://) sockets read through their own
// layer and keep Node's default.
import type { ClientRequestArgs } from 'node:http';
import { connect, type Socket, type TcpNetConnectOpts } from 'node:net';

// Node's own read size for stream sockets.
export const READ_BYTES = 64 * 1024;
let shared: Buffer | undefined;

// `ws`'s createConnection: the request's options, whose `path` is the HTTP path (a Unix socket's
// to net.connect), so it is set to the socket path as ws's own connector does.
export function connectBotSocket(options: ClientRequestArgs): Socket {
  shared ??= Buffer.allocUnsafeSlow(READ_BYTES);
  const tcp = { ...options, path: options.socketPath } as unknown as TcpNetConnectOpts;
  const socket: Socket = connect({
    ...tcp,
    onread: {
      buffer: shared,
      // Reading goes on: pause() (ws's under backpressure) stops it and resume() starts it, as
      // with Node's own reads.
      callback: (bytes: number, buffer: Uint8Array): boolean => {
        socket.emit('data', Buffer.copyBytesFrom(buffer, 0, bytes));
        return true;
      },
    },
  });
  return socket;
}
