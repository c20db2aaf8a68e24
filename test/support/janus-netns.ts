// A real Janus (Debian's janus 1.1.2) for direct-mode tests. Janus gathers no ICE candidates on
// loopback, so it runs in a network namespace of its own, joined to this one by a veth pair:
// 198.18.0.1 here (Parley's SIP endpoint, RTP and the TURN relay bind to it), 198.18.0.2 in the
// namespace (Janus's WebSocket API, SIP and ICE). 198.18.0.0/15 is the benchmarking range (RFC
// 2544): nothing leaves this machine. Everything is torn down in stop(), also after a failure.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const HOST_ADDRESS = '198.18.0.1';
export const JANUS_ADDRESS = '198.18.0.2';
export const JANUS_TOKEN_SECRET = 'janus-test-token-secret'; // as in test/fixtures/janus/janus.jcfg
const HOST_LINK = 'parley-h0';
const JANUS_LINK = 'parley-j0'; // janus.jcfg's ice_enforce_list

export interface JanusInNamespace {
  url: string;
  stop(): Promise<void>;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

// Why namespaces cannot be used here (not root, no `ip`, no CAP_SYS_ADMIN), or undefined.
export function namespacesUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the tests do not run as root';
  const probe = `parley-probe-${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return undefined;
  } catch (error) {
    return `ip netns add failed: ${(error as Error).message.split('\n')[0]}`;
  }
}

function removeLeftovers(namespace: string): void {
  for (const args of [['netns', 'del', namespace], ['link', 'del', HOST_LINK]]) {
    try {
      ip(...args);
    } catch {
      // not there: nothing to remove
    }
  }
}

export async function startJanusInNamespace(outputDir: string): Promise<JanusInNamespace> {
  const namespace = 'parley-janus';
  removeLeftovers(namespace);
  ip('netns', 'add', namespace);
  let janus: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (janus && janus.exitCode === null && janus.signalCode === null) {
      const exited = new Promise((resolve) => janus!.once('exit', resolve));
      janus.kill('SIGTERM');
      const timer = setTimeout(() => janus!.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    removeLeftovers(namespace);
  };
  try {
    ip('link', 'add', HOST_LINK, 'type', 'veth', 'peer', 'name', JANUS_LINK);
    ip('link', 'set', JANUS_LINK, 'netns', namespace);
    ip('addr', 'add', `${HOST_ADDRESS}/30`, 'dev', HOST_LINK);
    ip('link', 'set', HOST_LINK, 'up');
    ip('netns', 'exec', namespace, 'ip', 'addr', 'add', `${JANUS_ADDRESS}/30`, 'dev', JANUS_LINK);
    ip('netns', 'exec', namespace, 'ip', 'link', 'set', JANUS_LINK, 'up');
    ip('netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up');

    const configs = fileURLToPath(new URL('../fixtures/janus', import.meta.url));
    mkdirSync(outputDir, { recursive: true });
    const log = createWriteStream(`${outputDir}/janus.log`);
    janus = spawn('ip', ['netns', 'exec', namespace, 'janus', '-F', configs, '-o'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const child = janus;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer): void => {
        log.write(chunk);
        output += chunk.toString();
        // Printed once the WebSocket transport listens.
        if (output.includes('WebSockets thread started')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`janus exited with ${code}:\n${output.slice(-2000)}`)));
    });
    return { url: `ws://${JANUS_ADDRESS}:8188`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
