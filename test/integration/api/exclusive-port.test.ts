// The API's port is its own: uSockets would otherwise listen with SO_REUSEPORT, and another
// process doing the same on that port would silently take a share of the connections (a grant
// from one node, the signaling socket on the other: calls that fail at random).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { UwsServer } from '../../../api/http/uws-server.js';
import { freeTcpPort } from '../../support/free-port.js';

// Another process listening the way uWS does by default (SO_REUSEPORT); prints whether it could.
const otherListener = `
  const uws = require('uwebsockets');
  uws.App().listen('127.0.0.1', Number(process.argv[1]), (socket) => { console.log(socket ? 'listening' : 'refused'); process.exit(0); });
`;

describe('UwsServer.listen', () => {
  let server: UwsServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it('keeps its port: another process cannot listen on it too', async () => {
    server = new UwsServer();
    // A port chosen before listening, as a node with a configured port does (a port the kernel
    // picks for 0 is never shared).
    const port = await server.listen('127.0.0.1', await freeTcpPort());
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', otherListener, String(port)], { cwd: process.cwd() });
    expect(stdout.trim()).toBe('refused');
  });
});
