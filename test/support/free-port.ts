// A loopback port free at the moment of asking (bound to port 0, then released), for a server that
// must be told its port up front (a child process, a config) or for a port nothing listens on.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

// Whether a UDP socket of this network namespace is bound to `port` (any address): a child process
// told its port up front is ready for datagrams once this is true.
export function udpPortBound(port: number): boolean {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return ['/proc/net/udp', '/proc/net/udp6'].some((table) => {
    try {
      return readFileSync(table, 'utf8')
        .split('\n')
        .some((line) => line.trim().split(/\s+/)[1]?.endsWith(hexPort));
    } catch {
      return false; // no IPv6 table
    }
  });
}
