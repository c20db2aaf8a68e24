// The AudioSocket listener over real TCP sockets on 127.0.0.1: matching by UUID, and every class
// of hostile connection refused, counted and closed while a matched call's connection carries on.
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { registry } from '../../../../engine/metrics.js';
import { AudioSocketConnection, type AudioSocketSink } from '../../../../gateway-adapters/asterisk/audiosocket-connection.js';
import { AudioSocketKind, HANGUP_FRAME, encodeAudio, encodeFrame } from '../../../../gateway-adapters/asterisk/audiosocket-frame.js';
import { AudioSocketServer } from '../../../../gateway-adapters/asterisk/audiosocket-server.js';

const logger = pino({ level: process.env.PARLEY_TEST_LOG ?? 'silent' });

function uuidMessage(uuid: string): Buffer {
  return encodeFrame(AudioSocketKind.uuid, Buffer.from(uuid.replace(/-/g, ''), 'hex'));
}

async function refusedCount(reason: string): Promise<number> {
  const metric = await registry.getSingleMetric('parley_refused_total')!.get();
  return metric.values.find((value) => value.labels.surface === 'audiosocket' && value.labels.reason === reason)?.value ?? 0;
}

async function dial(server: AudioSocketServer): Promise<Socket> {
  const socket = connect(server.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

// Resolves when the server closes the socket; what the server sent before is returned.
function closedBy(socket: Socket): Promise<Buffer> {
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve(Buffer.concat(received))));
}

class RecordingSink implements AudioSocketSink {
  readonly samples: number[] = [];
  readonly digits: string[] = [];
  readonly ends: string[] = [];
  closedCount = 0;
  audio(pcm: Int16Array): void {
    this.samples.push(...pcm);
  }
  dtmf(digit: string): void {
    this.digits.push(digit);
  }
  ended(reason: string): void {
    this.ends.push(reason);
  }
  closed(): void {
    this.closedCount++;
  }
}

let server: AudioSocketServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function startServer(options: { maxConnections?: number; timeoutMs?: number } = {}): Promise<AudioSocketServer> {
  server = new AudioSocketServer({ host: '127.0.0.1', port: 0, maxConnections: options.maxConnections ?? 10, timeoutMs: options.timeoutMs ?? 2000, logger });
  await server.listen();
  return server;
}

// A call's connection, matched and attached, fed one second of a known ramp.
async function matchedCall(listener: AudioSocketServer, uuid: string): Promise<{ socket: Socket; connection: AudioSocketConnection; sink: RecordingSink }> {
  const expected = listener.expect(uuid);
  const socket = await dial(listener);
  socket.write(uuidMessage(uuid));
  // As the call's leg does where its media runs: the socket handed over, read past the UUID.
  const accepted = await expected.accepted;
  expect(accepted.uuid).toBe(uuid);
  const connection = new AudioSocketConnection(accepted.socket, accepted.uuid, accepted.head, logger);
  const sink = new RecordingSink();
  connection.attach(sink);
  return { socket, connection, sink };
}

describe('AudioSocket server', () => {
  it('matches a connection to its call by UUID and delivers audio (little-endian slin), DTMF and hangup', async () => {
    const listener = await startServer();
    const { socket, sink } = await matchedCall(listener, '0b0e3c5a-1111-4222-8333-944455556666');
    const pcm = Int16Array.from({ length: 480 }, (_, i) => (i * 67) % 30000 - 15000);
    const bytes = Buffer.alloc(pcm.length * 2);
    pcm.forEach((sample, i) => bytes.writeInt16LE(sample, i * 2));
    // Split mid-frame, as TCP may.
    const wire = Buffer.concat([encodeAudio(bytes), encodeFrame(AudioSocketKind.dtmf, Buffer.from('7')), HANGUP_FRAME]);
    socket.write(wire.subarray(0, 401));
    await new Promise((resolve) => setImmediate(resolve));
    socket.write(wire.subarray(401));
    await expect.poll(() => sink.ends.length).toBe(1);
    expect(sink.samples).toEqual([...pcm]);
    expect(sink.digits).toEqual(['7']);
    expect(sink.ends).toEqual(['audiosocket_hangup']);
    socket.destroy();
    await expect.poll(() => sink.closedCount).toBe(1);
  });

  it('refuses each malformed or unmatched connection, counted by reason, and keeps a live call going', async () => {
    const listener = await startServer({ maxConnections: 3, timeoutMs: 300 });
    const live = await matchedCall(listener, '0b0e3c5a-aaaa-4222-8333-944455556666');
    const known = '0b0e3c5a-bbbb-4222-8333-944455556666';
    const twice = '0b0e3c5a-dddd-4222-8333-944455556666';
    listener.expect(known).accepted.catch(() => undefined);
    // A second UUID is refused by the connection the call's leg makes of the socket.
    void listener.expect(twice).accepted.then((accepted) => new AudioSocketConnection(accepted.socket, accepted.uuid, accepted.head, logger).attach(new RecordingSink()));
    const cases: Array<{ reason: string; send: Buffer }> = [
      { reason: 'unknown_type', send: Buffer.concat([uuidMessage(known), Buffer.from([0x07, 0, 0])]) },
      { reason: 'oversize', send: Buffer.from([0x10, 0xff, 0xff, 1, 2, 3]) },
      { reason: 'audio_before_uuid', send: encodeAudio(Buffer.alloc(320)) },
      { reason: 'unknown_uuid', send: uuidMessage('0b0e3c5a-cccc-4222-8333-944455556666') },
      { reason: 'bad_uuid', send: Buffer.concat([uuidMessage(twice), uuidMessage(twice)]) },
      { reason: 'no_uuid', send: Buffer.alloc(0) },
    ];
    for (const { reason, send } of cases) {
      const before = await refusedCount(reason);
      const socket = await dial(listener);
      const closed = closedBy(socket);
      if (send.length > 0) socket.write(send);
      await closed;
      expect(await refusedCount(reason), reason).toBe(before + 1);
    }
    // Truncated: a frame cut off by the end of the stream.
    {
      const before = await refusedCount('truncated');
      const socket = await dial(listener);
      const closed = closedBy(socket);
      socket.end(Buffer.from([0x10, 0x01, 0x40, 1, 2]));
      await closed;
      expect(await refusedCount('truncated')).toBe(before + 1);
    }
    // Too many: the live call and two idle connections fill the limit of 3.
    {
      const idle = [await dial(listener), await dial(listener)];
      const before = await refusedCount('too_many_connections');
      const extra = connect(listener.port, '127.0.0.1');
      await closedBy(extra);
      expect(await refusedCount('too_many_connections')).toBe(before + 1);
      for (const socket of idle) socket.destroy();
    }
    // The live call was never disturbed.
    live.socket.write(encodeAudio(Buffer.alloc(640, 1)));
    await expect.poll(() => live.sink.samples.length).toBe(320);
    expect(live.sink.closedCount).toBe(0);
    expect(live.sink.ends).toEqual([]);
  });

  it('writes what the link sends, and times a call out when Asterisk never connects', async () => {
    const listener = await startServer({ timeoutMs: 200 });
    await expect(listener.expect('0b0e3c5a-eeee-4222-8333-944455556666').accepted).rejects.toThrow(/did not open/);
    const { socket, connection } = await matchedCall(listener, '0b0e3c5a-ffff-4222-8333-944455556666');
    const received = closedBy(socket);
    connection.write(HANGUP_FRAME);
    connection.close();
    expect([...(await received)]).toEqual([0, 0, 0]);
  });
});
