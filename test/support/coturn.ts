// A real coturn (Debian's turnserver) on loopback with the repo's config file and a test secret.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freeUdpPort } from './free-port.js';

export interface CoturnHandle {
  port: number;
  secret: string;
  stop(): Promise<void>;
}

// `configFile`: another fixture (the Janus test relays from the veth address, not loopback).
export async function startCoturn(secret = 'coturn-test-secret', configFile = '../fixtures/coturn/turnserver.conf'): Promise<CoturnHandle> {
  const port = await freeUdpPort();
  const config = fileURLToPath(new URL(configFile, import.meta.url));
  const child: ChildProcess = spawn(
    'turnserver',
    ['-c', config, '--listening-port', String(port), '--static-auth-secret', secret, '--min-port', '49160', '--max-port', '49260', '--log-file', 'stdout', '--simple-log', '--pidfile', `/tmp/parley-coturn-${port}.pid`, '--userdb', `/tmp/parley-coturn-${port}.sqlite`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      // Printed once every relay server (and so its UDP listener) is up.
      if (output.includes('Total General servers')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`turnserver exited with ${code}: ${output}`)));
  });
  return {
    port,
    secret,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
