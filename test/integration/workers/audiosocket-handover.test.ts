// An AudioSocket connection the control plane accepted, handed to the process that runs its call,
// over real TCP sockets on 127.0.0.1: the audio Asterisk writes at once after its UUID (read into
// the paused socket before the handover, or still arriving during it) all reaches the other
// process in order; and the connection's slot in the listener's limit is free again once the
// worker's copy closes.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MEDIA_WORKER_ENTRY } from '../../../api/node.js';
import { botConfigSchema } from '../../../engine/bot/bot-config.js';
import { HandedSockets } from '../../../engine/workers/socket-handover.js';
import { WorkerPool } from '../../../engine/workers/worker-pool.js';
import { AudioSocketKind, encodeAudio, encodeFrame } from '../../../gateway-adapters/asterisk/audiosocket-frame.js';
import { ASTERISK_PCM_LEG } from '../../../gateway-adapters/asterisk/asterisk-pcm-leg.js';
import { AudioSocketServer, type AcceptedAudioSocket } from '../../../gateway-adapters/asterisk/audiosocket-server.js';

const logger = pino({ level: process.env.PARLEY_TEST_LOG ?? 'silent' });
const RECEIVER = new URL('../../support/socket-receiver-process.mjs', import.meta.url);
// Enough that the stream is still arriving while the socket changes hands (more than the
// kernel's socket buffers hold): 20 ms slin frames, about 4 MB.
const STREAM_FRAMES = 13_000;
const FRAME_BYTES = 320;

function uuidMessage(uuid: string): Buffer {
  return encodeFrame(AudioSocketKind.uuid, Buffer.from(uuid.replace(/-/g, ''), 'hex'));
}

// Audio messages whose bytes show a loss or a reordering wherever it happens (251 is prime to
// every frame and chunk size).
function audioStream(frames: number): Buffer {
  const pcm = Buffer.alloc(frames * FRAME_BYTES);
  for (let i = 0; i < pcm.length; i++) pcm[i] = i % 251;
  const messages: Uint8Array[] = [];
  for (let offset = 0; offset < pcm.length; offset += FRAME_BYTES) messages.push(encodeAudio(pcm.subarray(offset, offset + FRAME_BYTES)));
  return Buffer.concat(messages);
}

async function dial(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

describe('AudioSocket handover to a media worker', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startServer(maxConnections: number): Promise<AudioSocketServer> {
    const server = new AudioSocketServer({ host: '127.0.0.1', port: 0, maxConnections, timeoutMs: 5000, logger });
    await server.listen();
    cleanups.push(() => server.close());
    return server;
  }

  it('delivers every byte written right after the UUID, in order, to the receiving process', async () => {
    const server = await startServer(10);
    const receiver: ChildProcess = fork(RECEIVER, [], { execArgv: ['--import', 'tsx'], serialization: 'advanced' });
    cleanups.push(() => receiver.kill());
    const messages: Array<{ type: string; bytes?: Uint8Array }> = [];
    const received = new Promise<Uint8Array>((resolve) =>
      receiver.on('message', (message: { type: string; bytes?: Uint8Array }) => {
        messages.push(message);
        if (message.type === 'received') resolve(message.bytes!);
      }),
    );
    await once(receiver, 'message');
    const uuid = '0b0e3c5a-1111-4222-8333-944455556666';
    const expected = server.expect(uuid);
    const client = await dial(server.port);
    cleanups.push(() => client.destroy());
    const audio = audioStream(STREAM_FRAMES);
    // All at once, as fast as the connection takes it: what the kernel cannot hold yet follows
    // during and after the handover.
    client.end(Buffer.concat([uuidMessage(uuid), audio]));
    const accepted = await expected.accepted;
    // As in a call, the handover comes a few turns after the UUID: by then this process has read
    // more of the stream into the paused socket.
    if (accepted.socket.readableLength === 0) await once(accepted.socket, 'readable');
    expect(accepted.socket.readableLength).toBeGreaterThan(0);
    new HandedSockets().send(receiver, { type: 'take', head: accepted.head }, accepted.socket);
    const bytes = Buffer.from(await received);
    expect(bytes.length).toBe(audio.length);
    const firstDifference = bytes.findIndex((byte, i) => byte !== audio[i]);
    expect(firstDifference).toBe(-1);
  });

  it("frees the connection's slot in the limit once the worker's copy closes", async () => {
    const server = await startServer(1);
    const pool = new WorkerPool({ count: 1, entry: MEDIA_WORKER_ENTRY, legKinds: { [ASTERISK_PCM_LEG]: {} }, bot: botConfigSchema.parse({}), logLevel: 'silent', logger });
    await pool.start();
    cleanups.push(() => pool.stop());
    // A connection that presents `uuid`: accepted by the listener, or closed by it over the limit.
    const present = async (uuid: string): Promise<{ client: Socket; accepted: AcceptedAudioSocket }> => {
      const expected = server.expect(uuid);
      const client = await dial(server.port);
      cleanups.push(() => client.destroy());
      const refused = once(client, 'close').then(() => 'closed by the server');
      client.write(uuidMessage(uuid));
      const accepted = await Promise.race([expected.accepted, refused]);
      if (typeof accepted !== 'object') throw new Error(`the connection of ${uuid} was ${accepted}`);
      return { client, accepted };
    };
    // Two calls in turn, each with its AudioSocket connection: the second fits only if the first's
    // slot came back when its leg closed.
    for (const uuid of ['0b0e3c5a-2222-4222-8333-944455556666', '0b0e3c5a-3333-4222-8333-944455556666']) {
      const { leg } = await pool.createLeg(uuid, ASTERISK_PCM_LEG, { transport: 'audiosocket', session: { bargeIn: false } });
      const { client, accepted } = await present(uuid);
      // The slot comes back when the worker's report of its copy's close arrives (this process's
      // husk of the socket closes then; without that report it never does, and the test times out).
      const released = once(accepted.socket, 'close');
      await leg.connectTransport({ via: 'audiosocket', uuid, head: accepted.head }, accepted.socket);
      // Parley ends the call: the worker sends the hangup message and closes its copy.
      const closed = once(client, 'close');
      client.resume();
      await leg.close('bot_hangup');
      await closed;
      await released;
    }
    // A handover the worker refuses (no leg for the call) frees the slot too.
    const uuid = '0b0e3c5a-4444-4222-8333-944455556666';
    const { accepted } = await present(uuid);
    const { leg } = await pool.createLeg('call-other', ASTERISK_PCM_LEG, { transport: 'audiosocket', session: { bargeIn: false } });
    await leg.close('bot_hangup');
    const released = once(accepted.socket, 'close');
    await expect(leg.connectTransport({ via: 'audiosocket', uuid, head: accepted.head }, accepted.socket)).rejects.toThrow(/no leg/);
    await released;
    expect((await present('0b0e3c5a-5555-4222-8333-944455556666')).accepted.uuid).toBe('0b0e3c5a-5555-4222-8333-944455556666');
  });
});
