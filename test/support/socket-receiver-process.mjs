// A stand-in for a media worker's end of a socket handover (engine/workers/socket-handover.ts),
// forked with tsx as the loader: takes the socket that comes with a message, reads it to its end
// the way a worker's AudioSocket connection does (the message's `head` first, then the stream),
// reports every byte it got, then closes its copy, which it reports as a worker does.
import { Socket } from 'node:net';
import { receiveSocket } from '../../engine/workers/socket-handover.ts';

process.on('message', (raw, handle) => {
  if (!(handle instanceof Socket)) return;
  const socket = receiveSocket(raw, handle, (socketId) => process.send({ type: 'socketClosed', socketId }));
  if (!socket) return;
  const chunks = [Buffer.from(raw.head)];
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.once('end', () => {
    process.send({ type: 'received', bytes: new Uint8Array(Buffer.concat(chunks)) });
    socket.end();
  });
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
