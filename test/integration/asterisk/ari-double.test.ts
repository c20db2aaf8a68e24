// The double itself: it must fail a wrong client the way Asterisk does, and its events must have
// the shapes of Asterisk's events.json, or the adapter tests prove nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { apiDoc } from '../../support/ari-double/api-docs.js';
import { AriDouble } from '../../support/ari-double/ari-double.js';

interface Model {
  id: string;
  subTypes?: string[];
  extends?: string;
  properties: Record<string, { type: string; required?: boolean }>;
}

const models = apiDoc('events').models as Record<string, Model>;
const resourceModels = { ...(apiDoc('channels').models as Record<string, Model>), ...(apiDoc('bridges').models as Record<string, Model>) };

// Every required property of the model and the models it extends (Event -> Message) is present,
// recursively for Channel, Bridge, CallerID and DialplanCEP values.
function missingFields(value: Record<string, unknown>, modelName: string, path = modelName): string[] {
  const model = models[modelName] ?? resourceModels[modelName];
  if (model === undefined) return [];
  const missing: string[] = [];
  for (const [name, property] of Object.entries(model.properties)) {
    const field = value[name];
    if (field === undefined) {
      if (property.required) missing.push(`${path}.${name}`);
      continue;
    }
    if (typeof field === 'object' && field !== null && !Array.isArray(field)) missing.push(...missingFields(field as Record<string, unknown>, property.type, `${path}.${name}`));
  }
  const parent = Object.values(models).find((candidate) => candidate.subTypes?.includes(modelName));
  return parent ? [...missing, ...missingFields(value, parent.id, path)] : missing;
}

describe('ARI double', () => {
  let ari: AriDouble | undefined;
  afterEach(async () => {
    await ari?.close();
    ari = undefined;
  });

  const auth = { authorization: `Basic ${Buffer.from('parley:secret').toString('base64')}` };
  const call = async (method: string, path: string): Promise<{ status: number; body: { message?: string } & Record<string, unknown> }> => {
    const response = await fetch(`${ari!.url}/ari${path}`, { method, headers: auth });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : {} };
  };

  it('answers wrong requests with Asterisk’s status codes and messages', async () => {
    ari = await AriDouble.start();
    expect((await fetch(`${ari.url}/ari/channels`)).status).toBe(401);
    expect(await call('GET', '/nothing')).toEqual({ status: 404, body: { message: 'Resource not found' } });
    expect((await call('PUT', '/channels')).status).toBe(405);
    expect(await call('POST', '/channels/externalMedia?app=parley&format=ulaw')).toEqual({ status: 400, body: { message: 'external_host cannot be empty' } });
    expect(await call('POST', '/channels/externalMedia?app=parley&format=ulaw&external_host=127.0.0.1')).toEqual({ status: 400, body: { message: 'external_host must be <host>:<port>' } });
    expect(await call('POST', '/channels/externalMedia?app=parley&external_host=127.0.0.1:4000')).toEqual({ status: 400, body: { message: 'format cannot be empty' } });
    expect((await call('POST', '/channels/externalMedia?app=parley&format=ulaw&external_host=127.0.0.1:4000&direction=in')).status).toBe(400);
    expect(await call('POST', '/channels/externalMedia?app=parley&format=ulaw&external_host=127.0.0.1:4000&encapsulation=audiosocket&transport=udp')).toEqual({
      status: 501,
      body: { message: 'The encapsulation and/or transport is not supported' },
    });
    expect(await call('POST', '/channels/nope/answer')).toEqual({ status: 404, body: { message: 'Channel not found' } });
    expect(await call('DELETE', '/bridges/nope')).toEqual({ status: 404, body: { message: 'Bridge not found' } });
    const docs = JSON.parse(await (await fetch(`${ari.url}/ari/api-docs/channels.json`, { headers: auth })).text()) as { basePath: string };
    expect(docs.basePath).toBe(`${ari.url}/ari`);
  });

  it('emits events with every field events.json requires, in Asterisk’s order', async () => {
    ari = await AriDouble.start();
    const events: Array<Record<string, unknown>> = [];
    const socket = new WebSocket(`${ari.url.replace('http', 'ws')}/ari/events?app=parley&api_key=parley:secret`);
    socket.on('message', (data) => events.push(JSON.parse(String(data)) as Record<string, unknown>));
    await new Promise((resolve) => socket.once('open', resolve));
    const caller = ari.placeCall('parley', { context: 'parley-bot', exten: '7000' });
    await call('POST', `/channels/${caller.id}/answer`);
    await call('POST', '/bridges?type=mixing&bridgeId=b1&name=b1');
    const media = await call('POST', '/channels/externalMedia?app=parley&format=ulaw&external_host=127.0.0.1:4000&channelId=m1');
    expect((media.body.channelvars as Record<string, string>).UNICASTRTP_LOCAL_ADDRESS).toBe('127.0.0.1');
    expect((await call('GET', '/channels/m1/variable?variable=UNICASTRTP_LOCAL_PORT')).body.value).toMatch(/^\d+$/);
    expect((await call('POST', `/bridges/b1/addChannel?channel=${caller.id},m1`)).status).toBe(204);
    ari.sendDtmf(caller.id, '7');
    ari.callerHangsUp(caller.id);
    await call('DELETE', '/bridges/b1');
    await call('DELETE', '/channels/m1');
    await new Promise<void>((resolve) => {
      const check = (): void => (events.filter((event) => event.type === 'ChannelDestroyed').length === 2 ? resolve() : void setTimeout(check, 5));
      check();
    });
    socket.close();
    // The checker bites: an event without its documented fields is caught.
    expect(missingFields({ type: 'StasisStart' }, 'StasisStart')).toEqual(expect.arrayContaining(['StasisStart.args', 'StasisStart.channel', 'StasisStart.application']));
    for (const event of events) expect(missingFields(event, event.type as string)).toEqual([]);
    const callerEvents = events.filter((event) => (event.channel as { id?: string } | undefined)?.id === caller.id).map((event) => event.type);
    expect(callerEvents).toEqual([
      'StasisStart',
      'ChannelStateChange',
      'ChannelEnteredBridge',
      'ChannelDtmfReceived',
      'ChannelHangupRequest',
      'ChannelLeftBridge',
      'StasisEnd',
      'ChannelDestroyed',
    ]);
    expect(events.map((event) => event.type)).toContain('BridgeDestroyed');
  });
});
