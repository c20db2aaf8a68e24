// A TCP socket the control plane accepted (AudioSocket, chan_websocket client mode) handed to the
// media worker that runs its call, with no byte lost or reordered on the way, and its slot in the
// accepting listener's connection limit held until the worker's copy closes.
//
// Why not just `child.send(message, socket)`: a paused net.Socket still reads from the kernel into
// its stream buffer (pause() stops 'data' events, not the handle), and from the moment Node takes
// the handle for sending until the worker acknowledges it, whatever this process's handle reads
// goes to a no-op (child_process sets `handle.onread = nop`) and the stream buffer is dropped with
// the socket. Asterisk writes audio at once after the UUID, so those bytes were lost. Here reading
// stops on the handle itself, in the same turn as the bytes already buffered are taken: every byte
// is then either in `socketHead` (sent with the message, put back in front by the worker) or still
// in the kernel, read by the worker.
//
// The slot: the socket object left in this process after the send has no handle, so it never
// closes by itself and the listener (which counts sockets until their 'close') never lets go. The
// worker reports its copy's close (`socketClosed`), and this process then destroys the husk; a
// failed send or a dead worker destroys it too.
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

// The envelope fields a handed socket's message carries beside its own (checked on arrival).
export interface SocketEnvelope {
  socketId: number;
  socketHead: Uint8Array;
}

// The part of libuv's stream handle used here (not in Node's typings).
interface StreamHandle {
  reading: boolean;
  readStop(): number;
}

// Stops `socket` reading at the handle and returns what it had read and not yet handed out. Call in
// the same turn as the send: no I/O callback may run in between.
function stopAndTakeBuffered(socket: Socket): Uint8Array {
  const parts: Buffer[] = [];
  // read() may restart reading on the handle (its _read does), so reading stops after the drain.
  for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) parts.push(chunk);
  const handle = (socket as unknown as { _handle: StreamHandle | null })._handle;
  if (handle !== null) {
    handle.reading = false;
    handle.readStop();
  }
  return new Uint8Array(Buffer.concat(parts));
}

// Sends `message` with `socket` to `child`, the bytes `socket` had buffered riding along.
// `done(error)` runs once the send finished or failed.
export function sendSocket(child: ChildProcess, message: object, socket: Socket, socketId: number, done: (error: Error | null) => void): void {
  const envelope: SocketEnvelope = { socketId, socketHead: stopAndTakeBuffered(socket) };
  // Without `server`, child_process leaves the accepting net.Server's count alone: the husk counts
  // itself off when destroyed, as it is once the worker's copy closed. (With it, child_process
  // counts it off at once and has the server ask the worker at close(); once that worker has
  // exited, Node 20's Server.close never calls back.)
  (socket as Socket & { server: unknown }).server = null;
  child.send({ ...message, ...envelope }, socket, done);
}

// The control plane's side: sockets handed to one worker whose copies are still open there.
export class HandedSockets {
  private readonly husks = new Map<number, Socket>();
  private nextId = 1;

  send(child: ChildProcess, message: object, socket: Socket): void {
    const socketId = this.nextId++;
    this.husks.set(socketId, socket);
    sendSocket(child, message, socket, socketId, (error) => {
      if (error) this.closedThere(socketId);
    });
  }

  // The worker's copy of `socketId` closed (or never arrived): the listener's slot is free.
  closedThere(socketId: number): void {
    this.husks.get(socketId)?.destroy();
    this.husks.delete(socketId);
  }

  // The worker is gone, and every socket it held with it.
  closeAll(): void {
    for (const socketId of [...this.husks.keys()]) this.closedThere(socketId);
  }

  get size(): number {
    return this.husks.size;
  }
}

function envelopeOf(raw: unknown): SocketEnvelope | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { socketId, socketHead } = raw as Partial<SocketEnvelope>;
  if (typeof socketId !== 'number' || !Number.isInteger(socketId) || !(socketHead instanceof Uint8Array)) return undefined;
  return { socketId, socketHead };
}

// The worker's side, as the message and its socket arrive: the bytes read before the handover go
// back in front of the stream, and `closed(socketId)` runs when this copy closes, so the control
// plane can free its slot. A socket without a valid envelope (not sent by sendSocket) is destroyed.
export function receiveSocket(raw: unknown, socket: Socket, closed: (socketId: number) => void): Socket | undefined {
  const envelope = envelopeOf(raw);
  if (envelope === undefined) {
    socket.destroy();
    return undefined;
  }
  socket.once('close', () => closed(envelope.socketId));
  if (envelope.socketHead.length > 0) socket.unshift(Buffer.from(envelope.socketHead.buffer, envelope.socketHead.byteOffset, envelope.socketHead.byteLength));
  return socket;
}
