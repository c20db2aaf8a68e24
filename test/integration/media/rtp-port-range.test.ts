import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidStateError } from '../../../engine/errors.js';
import { MediaEngine } from '../../../engine/media/media-engine.js';
import { freeUdpPort } from '../../support/free-port.js';

async function bind(port: number): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', resolve);
  });
  return socket;
}

describe('RTP port range (PARLEY_RTP_PORT_MIN/MAX)', () => {
  let engine: MediaEngine | undefined;
  const sockets: Socket[] = [];
  afterEach(() => {
    engine?.stop();
    for (const socket of sockets.splice(0)) socket.close();
  });

  it('binds sessions inside the range, skips ports in use, and refuses with a clear error when it is full', async () => {
    engine = new MediaEngine({ clock: 'manual' });
    // Four ports that were free a moment ago, one of which another process then takes.
    const min = await freeUdpPort();
    const range = { localPortMin: min, localPortMax: min + 3 };
    sockets.push(await bind(min + 1));
    const ports = [0, 1, 2].map(() => engine!.createRtpSession('ranged', { codec: 'PCMU', ...range }));
    const bound = ports.map((handle) => handle.localPort!).sort();
    expect(new Set(bound).size).toBe(3);
    for (const port of bound) expect(port === min || port === min + 2 || port === min + 3).toBe(true);

    expect(() => engine!.createRtpSession('one-too-many', { codec: 'PCMU', ...range })).toThrow(InvalidStateError);
    expect(() => engine!.createRtpSession('one-too-many', { codec: 'PCMU', ...range })).toThrow(
      new RegExp(`no free UDP port in the RTP range ${min}\\.\\.${min + 3} \\(4 tried\\)`),
    );
    // A call that ends gives its port back.
    ports[0]!.session.close('test');
    expect(engine.createRtpSession('again', { codec: 'PCMU', ...range }).localPort).toBe(ports[0]!.localPort);
  });

  it('binds RTP on an even port and RTCP on the next one when RTCP is not muxed (RFC 3550 section 11), inside the range', async () => {
    engine = new MediaEngine({ clock: 'manual' });
    const min = (await freeUdpPort()) & ~1;
    // Six ports: three pairs, the middle one half taken by another process.
    const range = { localPortMin: min, localPortMax: min + 5 };
    sockets.push(await bind(min + 3));
    const pairs = [0, 1].map(() => engine!.createRtpSession('paired', { codec: 'PCMU', rtcp: 'pair', ...range }).localPort!).sort();
    expect(pairs).toEqual([min, min + 4]);
    // Each RTCP port is taken by its leg.
    for (const port of pairs) await expect(bind(port + 1)).rejects.toThrow(/EADDRINUSE/);
    expect(() => engine!.createRtpSession('no-pair-left', { codec: 'PCMU', rtcp: 'pair', ...range })).toThrow(/no free RTP\/RTCP port pair/);
  });

  it('refuses a half or reversed range before binding anything', () => {
    engine = new MediaEngine({ clock: 'manual' });
    expect(() => engine!.createRtpSession('bad', { codec: 'PCMU', localPortMin: 40_000 })).toThrow(/range/);
    expect(() => engine!.createRtpSession('bad', { codec: 'PCMU', localPortMin: 40_010, localPortMax: 40_000 })).toThrow(/range/);
  });
});
