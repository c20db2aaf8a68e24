import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection } from 'werift';
import { turnCredentials } from '../../../api/grants/turn-credentials.js';
import { requestGrant, startApi } from '../../support/api-harness.js';
import { startCoturn, type CoturnHandle } from '../../support/coturn.js';

// Relay-only gathering against the real coturn: a relay candidate appears only if coturn
// accepted the Allocate with these credentials.
async function relayCandidates(urls: string, username: string, credential: string): Promise<string[]> {
  const peer = new RTCPeerConnection({ iceServers: [{ urls, username, credential }], iceTransportPolicy: 'relay' });
  try {
    peer.addTransceiver('audio');
    await peer.setLocalDescription(await peer.createOffer());
    await new Promise<void>((resolve) => {
      if (peer.iceGatheringState === 'complete') resolve();
      peer.iceGatheringStateChange.subscribe((state) => state === 'complete' && resolve());
    });
    return peer.localDescription!.sdp.split('\r\n').filter((line) => line.includes('typ relay'));
  } finally {
    await peer.close();
  }
}

describe('ephemeral TURN credentials on a real coturn', () => {
  let coturn: CoturnHandle;
  beforeAll(async () => {
    coturn = await startCoturn();
  });
  afterAll(async () => {
    await coturn.stop();
  });

  it('allocates a relay with the credentials from a grant', async () => {
    const api = await startApi({
      gateway: { connect: () => Promise.reject(new Error('unused')) },
      startBot: () => ({ stop: () => undefined }),
      grant: { turnSecret: coturn.secret, turnUrls: [`turn:127.0.0.1:${coturn.port}?transport=udp`] },
    });
    try {
      const { body } = await requestGrant(api.baseUrl);
      const turn = (body.iceServers as Array<{ urls: string[]; username: string; credential: string }>).find((server) => server.username)!;
      expect(await relayCandidates(turn.urls[0]!, turn.username, turn.credential)).toHaveLength(1);
    } finally {
      await api.close();
    }
  });

  it('refuses expired credentials', async () => {
    const expired = turnCredentials(coturn.secret, 'caller', 60, Math.floor(Date.now() / 1000) - 3600);
    expect(await relayCandidates(`turn:127.0.0.1:${coturn.port}`, expired.username, expired.credential)).toHaveLength(0);
  });

  it('refuses tampered credentials', async () => {
    const valid = turnCredentials(coturn.secret, 'caller', 600);
    const longer = valid.username.replace(/^(\d+)/, (expiry) => String(Number(expiry) + 86_400));
    const forged = turnCredentials('not-the-secret', 'caller', 600);
    // Each refusal costs werift's full gathering timeout: run both at once.
    const [extended, wrongSecret] = await Promise.all([
      relayCandidates(`turn:127.0.0.1:${coturn.port}`, longer, valid.credential),
      relayCandidates(`turn:127.0.0.1:${coturn.port}`, forged.username, forged.credential),
    ]);
    expect(extended).toHaveLength(0);
    expect(wrongSecret).toHaveLength(0);
  });
});
